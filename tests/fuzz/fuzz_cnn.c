/* libFuzzer target for src/core/eml_cnn.c, running what it loads with
 * eml_cnn_int8.c or eml_cnn_fp32.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core tests/fuzz/fuzz_cnn.c \
 *       src/core/eml_cnn.c src/core/eml_cnn_int8.c src/core/eml_cnn_fp32.c
 *
 * Seeds: `python3 -m emlearn_mp.cnn_badmodels BAD_DIR SEEDS_DIR` writes the
 * malformed-model corpus and valid models (tools/fuzz.py, `make fuzz`, seeds
 * this target with them). Each input is tried twice:
 * - as a model file, copied to an allocation of exactly its size (4-byte
 *   aligned, as the loader asks), so any read past the end is caught;
 * - as the description of a model that is valid by construction (random
 *   shapes, kernels, strides, padding, depth multipliers, activations,
 *   scales and zero points; sometimes one byte corrupted), which the loader
 *   must accept when nothing was corrupted: raw bytes seldom make a model
 *   whose convolution sizes agree.
 * A refused file must give a reason. A loaded one is checked by a second
 * reading of what the loader promises (every tensor of fewer than 2^31
 * values and inside the file's buffer in 64-bit arithmetic, that buffer at
 * the arena's start and the reordered weights after it, every parameter
 * array inside its layer),
 * then, when its working memory is at most 1 MB and its arithmetic small,
 * run with pixel and with float inputs in buffers of exactly the sizes the
 * model gives (the arena too), so any access outside them is caught.
 * UBSan reports are fatal (see fuzz_common.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eml_cnn.h"
#include "fuzz_common.h"

#define MAX_ARENA (1u << 20)
#define MAX_WORK (UINT64_C(1) << 22)     /* multiply-adds of one run */

static uint64_t count64(const uint16_t *d) {
    return (uint64_t)d[1] * d[2] * d[3];
}

/* ---------------------------------------------------------------- loaded models */

/* What eml_cnn_load promises of a model it accepts, read again from the
 * file in 64-bit arithmetic; returns the multiply-adds of one run. */
static uint64_t check_loaded(const eml_cnn *m, const uint8_t *data, size_t size) {
    const uint64_t esize = m->type == EML_CNN_INT8 ? 1 : 4;
    uint32_t buffer;        /* the file's tensor buffer, at the arena's start */
    memcpy(&buffer, data + 12, 4);
    check(m->type == EML_CNN_INT8 || m->type == EML_CNN_FP32);
    check(buffer <= 0x7fffffffu && m->buffer_size == buffer);
    check(m->weights_offset >= buffer && m->weights_offset % 4 == 0 && m->weights_offset <= m->arena_size);
    check(m->n_layers >= 1 && m->output != NULL && m->data == data);
    uint64_t work = 0;
    const eml_cnn_head *h = eml_cnn_first(m);
    for (uint32_t i = 0; i < m->n_layers; i++, h = eml_cnn_next(h)) {
        const uint8_t *at = (const uint8_t *)h;
        check(at >= data + EML_CNN_HEADER_SIZE && (size_t)(at - data) + sizeof(eml_cnn_head) <= size);
        check(h->size >= sizeof(eml_cnn_head) && h->size % 8 == 0 && (size_t)(at - data) + h->size <= size);
        const uint64_t n_in = count64(h->in_dims), n_out = count64(h->out_dims);
        check(n_in >= 1 && n_out >= 1 && n_in <= 0x7fffffffu && n_out <= 0x7fffffffu);
        check(h->in_offset % esize == 0 && h->in_offset + n_in * esize <= buffer);
        check(h->out_offset % esize == 0 && h->out_offset + n_out * esize <= buffer);
        switch (h->type) {
        case EML_CNN_CONV2D:
        case EML_CNN_DWCONV2D: {
            check(h->size >= sizeof(eml_cnn_conv));
            const eml_cnn_conv *l = (const eml_cnn_conv *)h;
            const uint64_t out_c = h->out_dims[3];
            const uint64_t terms = (uint64_t)(l->depth_multiplier ? 1u : h->in_dims[3]) * l->kernel_w * l->kernel_h;
            check(terms >= 1 && terms <= 131071);
            check(l->weights_offset + out_c * terms * esize <= h->size);
            check(l->bias_offset % 4 == 0 && l->bias_offset + out_c * 4 <= h->size);
            check(m->type != EML_CNN_INT8 || (l->scales_offset % 4 == 0 && l->scales_offset + out_c * 4 <= h->size));
            if (l->depth_multiplier) {
                check((uint64_t)h->in_dims[3] * l->depth_multiplier == out_c);
            }
            check(l->activation <= EML_CNN_ACT_RELU6);
            check(m->weights_offset + terms * esize <= m->arena_size);     /* one channel's weights */
            work += n_out * terms * 2;      /* clipped windows sum their weights again */
            break;
        }
        case EML_CNN_FC: {
            check(h->size >= sizeof(eml_cnn_fc));
            const eml_cnn_fc *l = (const eml_cnn_fc *)h;
            check(n_in <= 131071);
            check(l->weights_offset + n_out * n_in * esize <= h->size);
            check(l->bias_offset % 4 == 0 && l->bias_offset + n_out * 4 <= h->size);
            check(m->type != EML_CNN_INT8 || (l->scales_offset % 4 == 0 && l->scales_offset + 4 <= h->size));
            work += n_in * n_out;
            break;
        }
        case EML_CNN_GAP:
            check(n_out == h->in_dims[3] && h->out_dims[3] == h->in_dims[3]);
            work += n_in;
            break;
        case EML_CNN_SOFTMAX:
        case EML_CNN_RESHAPE:
            check(n_in == n_out);
            work += n_in;
            break;
        default:
            check(0);
        }
        if (m->type == EML_CNN_INT8) {
            check(h->in_zero >= -128 && h->in_zero <= 127 && h->out_zero >= -128 && h->out_zero <= 127);
            check(isfinite(h->in_scale) && h->in_scale > 0 && isfinite(h->out_scale) && h->out_scale > 0);
        }
        check((i + 1 == m->n_layers) == (h == m->output));
    }
    check(m->output->is_output != 0);
    const eml_cnn_head *first = eml_cnn_first(m);
    check(m->n_inputs == count64(first->in_dims) && m->n_outputs == count64(m->output->out_dims));
    check(m->in_height == first->in_dims[1] && m->in_width == first->in_dims[2]
        && m->in_channels == first->in_dims[3]);
    return work;
}

/* Run m with inputs drawn from the fuzzer's bytes: pixels, then floats
 * (some NaN, infinite, huge). */
static void run_model(const eml_cnn *m, const uint8_t *bytes, size_t n_bytes) {
    const uint32_t n_in = m->n_inputs, n_out = m->n_outputs;
    uint8_t *arena = (uint8_t *)xmalloc(m->arena_size);  /* exactly its size */
    uint8_t *pixels = (uint8_t *)xmalloc(n_in);
    float *values = (float *)xmalloc((size_t)n_in * sizeof(float));
    float *out = (float *)xmalloc((size_t)n_out * sizeof(float));
    static const float odd[] = { NAN, INFINITY, -INFINITY, 1e30f, -1e30f, -0.0f, 1e-40f, 0.5f };
    for (uint32_t i = 0; i < n_in; i++) {
        const uint8_t b = n_bytes ? bytes[(i * 7u) % n_bytes] : (uint8_t)i;
        pixels[i] = b;
        values[i] = (b >= 0xf8) ? odd[b & 7] : (float)((int)b - 64) / 64.0f;
    }
    memset(arena, 0x5a, m->arena_size);
    for (int kind = 0; kind < 2; kind++) {
        if (m->type == EML_CNN_INT8) {
            if (kind == 0) {
                eml_cnn_int8_input_pixels(m, arena, pixels);
            } else {
                eml_cnn_int8_input_floats(m, arena, values);
            }
            eml_cnn_int8_run(m, arena, out);
            if (m->output->type != EML_CNN_SOFTMAX) {
                for (uint32_t i = 0; i < n_out; i++) {
                    check(!isnan(out[i]));      /* dequantized int8 */
                }
            }
        } else {
            if (kind == 0) {
                eml_cnn_fp32_input_pixels(m, arena, pixels);
            } else {
                eml_cnn_fp32_input_floats(m, arena, values);
            }
            eml_cnn_fp32_run(m, arena, out);
        }
        check(eml_cnn_argmax(out, n_out) < n_out);
    }
    free(arena);
    free(pixels);
    free(values);
    free(out);
}

/* Load data[0:size] from an allocation of exactly its size; returns whether it loaded. */
static int try_model(const uint8_t *data, size_t size, const uint8_t *bytes, size_t n_bytes) {
    if (size > (1u << 24)) {
        return 0;
    }
    uint8_t *copy = (uint8_t *)xmalloc(size);
    memcpy(copy, data, size);
    eml_cnn m;
    const char *why = NULL;
    const eml_status st = eml_cnn_load(&m, copy, (uint32_t)size, &why);
    if (st != EML_OK) {
        check(st == EML_ERR_FORMAT && why != NULL && why[0] != 0);
    } else {
        const uint64_t work = check_loaded(&m, copy, size);
        if (m.arena_size <= MAX_ARENA && work <= MAX_WORK) {
            run_model(&m, bytes, n_bytes);
        }
    }
    free(copy);
    return st == EML_OK;
}

/* ---------------------------------------------------------------- models by construction */

static void put(uint8_t *out, size_t *len, size_t cap, const void *src, size_t n) {
    check(*len + n <= cap);
    memcpy(out + *len, src, n);
    *len += n;
}

#define REGION 4096u    /* values: layers read one half of the arena and write the other */
#define MAX_SIDE 16u

/* A layer's parameters after its fixed part: weight scales (int8), weights,
 * bias; returns the layer's size (a multiple of 8). */
static uint32_t put_params(reader *r, uint8_t *out, size_t *len, size_t cap, int int8, uint32_t fixed,
    uint32_t n_out, uint32_t n_scales, uint32_t n_weights, uint32_t *offsets) {
    static const float weight_scales[] = { 0.001f, 0.004f, 0.01f, 0.03f };
    const size_t start = *len - fixed;
    offsets[0] = fixed;
    if (int8) {
        for (uint32_t i = 0; i < n_scales; i++) {
            const float s = weight_scales[take(r) & 3];
            put(out, len, cap, &s, 4);
        }
    }
    offsets[1] = (uint32_t)(*len - start);
    for (uint32_t i = 0; i < n_weights; i++) {
        const uint8_t b = take(r);
        if (int8) {
            put(out, len, cap, &b, 1);
        } else {
            const float w = (float)((int)b - 128) / 256.0f;
            put(out, len, cap, &w, 4);
        }
    }
    while ((*len - start) % 4) {
        const uint8_t zero = 0;
        put(out, len, cap, &zero, 1);
    }
    offsets[2] = (uint32_t)(*len - start);
    for (uint32_t i = 0; i < n_out; i++) {
        const uint8_t b = take(r);
        if (int8) {
            const int32_t q = ((int32_t)b - 128) * 97;
            put(out, len, cap, &q, 4);
        } else {
            const float v = (float)((int)b - 128) / 64.0f;
            put(out, len, cap, &v, 4);
        }
    }
    while ((*len - start) % 8) {
        const uint8_t zero = 0;
        put(out, len, cap, &zero, 1);
    }
    return (uint32_t)(*len - start);
}

/* A model of 1 to 5 layers from the bytes; returns its size, and in
 * *corrupted whether one byte was then overwritten. */
static size_t synthesize(const uint8_t *data, size_t size, uint8_t *out, size_t cap, int *corrupted) {
    static const float out_scales[] = { 0.0039215689f, 0.01f, 0.05f, 0.2f, 1.0f, 0.002f, 3.0f, 0.00390625f };
    reader r = { data, size };
    const uint8_t mode = take(&r);
    const int int8 = !(mode & 1);
    const uint32_t esize = int8 ? 1 : 4;
    uint16_t dims[4] = { 3, (uint16_t)(1 + take(&r) % 8), (uint16_t)(1 + take(&r) % 8), (uint16_t)(1 + take(&r) % 4) };
    const uint32_t n_layers = 1 + take(&r) % 5;
    uint8_t header[EML_CNN_HEADER_SIZE] = { 'M', 'A', 'I', 'X', (uint8_t)(int8 ? EML_CNN_INT8 : EML_CNN_FP32), 1,
        1, 0, 1, 0, (uint8_t)n_layers, 0 };
    const uint32_t arena = 2 * REGION * esize;
    memcpy(header + 12, &arena, 4);
    memcpy(header + 20, dims, 8);
    size_t len = 0;
    put(out, &len, cap, header, sizeof header);
    float scale = 0.0039215689f;
    int32_t zero = -128;
    for (uint32_t i = 0; i < n_layers; i++) {
        eml_cnn_conv c;
        memset(&c, 0, sizeof c);
        eml_cnn_head *h = &c.head;
        const uint32_t count = (uint32_t)dims[1] * dims[2] * dims[3];
        memcpy(h->in_dims, dims, 8);
        h->in_offset = (i % 2) * REGION * esize;
        h->out_offset = ((i + 1) % 2) * REGION * esize;
        h->in_scale = scale;
        h->in_zero = zero;
        h->out_scale = out_scales[take(&r) & 7];
        h->out_zero = (int8_t)take(&r);
        h->is_output = i + 1 == n_layers;
        uint8_t kind = take(&r) % 6;
        if (kind == 3 && count > 800) {
            kind = 4;   /* a fully connected layer that large: a softmax instead */
        }
        uint16_t od[4] = { 1, 1, 1, (uint16_t)count };
        uint32_t offsets[3];
        const size_t start = len;
        uint32_t oh = 0, ow = 0, oc = 0;
        if (kind <= 1) {        /* convolution geometry */
            c.kernel_h = (uint8_t)(1 + take(&r) % 4);
            c.kernel_w = (uint8_t)(1 + take(&r) % 4);
            c.stride_h = (uint8_t)(1 + take(&r) % 3);
            c.stride_w = (uint8_t)(1 + take(&r) % 3);
            c.dilation_w = c.dilation_h = 1;
            c.activation = take(&r) % 4;
            for (int k = 0; k < 4; k++) {
                c.pad[k] = take(&r) % 3;
            }
            if (dims[1] + c.pad[0] + c.pad[1] < c.kernel_h) {
                c.pad[1] = (uint8_t)(c.kernel_h - dims[1] - c.pad[0]);
            }
            if (dims[2] + c.pad[2] + c.pad[3] < c.kernel_w) {
                c.pad[3] = (uint8_t)(c.kernel_w - dims[2] - c.pad[2]);
            }
            oh = (dims[1] + c.pad[0] + c.pad[1] - c.kernel_h) / c.stride_h + 1;
            ow = (dims[2] + c.pad[2] + c.pad[3] - c.kernel_w) / c.stride_w + 1;
            const uint32_t dmul = kind == 1 ? 1u + take(&r) % 3 : 0u;
            oc = dmul ? dims[3] * dmul : 1u + take(&r) % 6;
            c.depth_multiplier = dmul;
            if (oc > MAX_SIDE) {
                oc = dmul ? dims[3] : MAX_SIDE;
                c.depth_multiplier = dmul ? 1 : 0;
            }
            if (oh * ow * oc > REGION) {
                kind = 2;   /* a tensor larger than half the arena: pooling instead */
                memset((uint8_t *)&c + sizeof c.head, 0, sizeof c - sizeof c.head);
            }
        }
        if (kind <= 1) {        /* convolution, depthwise convolution */
            h->type = kind == 1 ? EML_CNN_DWCONV2D : EML_CNN_CONV2D;
            od[0] = 3;
            od[1] = (uint16_t)oh;
            od[2] = (uint16_t)ow;
            od[3] = (uint16_t)oc;
            const uint32_t terms = (c.depth_multiplier ? 1u : dims[3]) * c.kernel_w * c.kernel_h;
            len += sizeof c;
            check(len <= cap);
            h->size = put_params(&r, out, &len, cap, int8, sizeof c, oc, oc, oc * terms, offsets);
            c.scales_offset = offsets[0];
            c.weights_offset = offsets[1];
            c.bias_offset = offsets[2];
        } else if (kind == 2) {     /* global average pooling */
            h->type = EML_CNN_GAP;
            od[3] = dims[3];
            h->size = sizeof(eml_cnn_head);
            len += sizeof(eml_cnn_head);
        } else if (kind == 3) {     /* fully connected */
            h->type = EML_CNN_FC;
            od[3] = (uint16_t)(1 + take(&r) % 10);
            len += sizeof(eml_cnn_fc);
            check(len <= cap);
            h->size = put_params(&r, out, &len, cap, int8, sizeof(eml_cnn_fc), od[3], 1, od[3] * count, offsets);
        } else {                    /* softmax, reshape */
            h->type = kind == 4 ? EML_CNN_SOFTMAX : EML_CNN_RESHAPE;
            if (kind == 4) {
                memcpy(od, dims, 8);
            }
            if (kind == 5 && (take(&r) & 1)) {
                /* in place: the next layer then reads what the layer before
                 * left in the other half, as valid a plan as any */
                h->out_offset = h->in_offset;
            }
            h->size = sizeof(eml_cnn_head);
            len += sizeof(eml_cnn_head);
        }
        memcpy(h->out_dims, od, 8);
        if (h->type == EML_CNN_FC) {
            eml_cnn_fc f;
            memset(&f, 0, sizeof f);
            f.head = *h;
            f.scales_offset = offsets[0];
            f.weights_offset = offsets[1];
            f.bias_offset = offsets[2];
            memcpy(out + start, &f, sizeof f);
        } else if (h->type == EML_CNN_CONV2D || h->type == EML_CNN_DWCONV2D) {
            memcpy(out + start, &c, sizeof c);
        } else {
            memcpy(out + start, h, sizeof *h);
        }
        memcpy(dims, od, 8);
        scale = h->out_scale;
        zero = h->out_zero;
    }
    *corrupted = 0;
    const uint8_t corrupt = take(&r);
    if (corrupt % 8 == 7 && len > 0) {
        const uint32_t at = ((uint32_t)take(&r) << 8 | take(&r)) % (uint32_t)len;
        out[at] = take(&r);
        *corrupted = 1;
    }
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try_model(data, size, data, size);
    static uint8_t synth[1 << 18];
    int corrupted;
    const size_t n = synthesize(data, size, synth, sizeof synth, &corrupted);
    const int loaded = try_model(synth, n, data, size);
    check(loaded || corrupted);
    return 0;
}
