/* Validation of TinyMaix model files, and what int8 and float32 runs share. */
#include "eml_cnn.h"

#include "eml_math.h"

#define MAGIC 0x5849414du        /* "MAIX" */

/* A dot product of more int8 terms could pass int32 (128 * 128 each). */
#define MAX_DOT_TERMS 131071u

/* The header, as stored. */
typedef struct {
    uint32_t magic;
    uint8_t type;
    uint8_t dequantize_output;  /* ignored: outputs are always floats here */
    uint16_t n_inputs;
    uint16_t n_outputs;
    uint16_t n_layers;
    uint32_t buffer_size;
    uint32_t sub_buffer_size;
    uint16_t in_dims[4];
    uint16_t out_dims[4];
} file_header;

/* Checking one layer: the file, the model type and the layer. */
typedef struct {
    eml_cnn *model;         /* filled in as layers are checked */
    const uint8_t *layer;
    uint32_t layer_size;
    uint32_t esize;         /* bytes per tensor value: 1 or 4 */
    const char **reason;
} checker;

static eml_status fail(const char **reason, const char *why) {
    *reason = why;
    return EML_ERR_FORMAT;
}

/* 1 to 3 dimensions, none 0, and fewer than 2^31 values (eml_cnn_count
 * multiplies in 32 bits: 4096 x 4096 x 256 would wrap to 0). */
static int dims_valid(const uint16_t *d) {
    return d[0] >= 1 && d[0] <= 3 && d[1] >= 1 && d[2] >= 1 && d[3] >= 1
        && (uint64_t)d[1] * d[2] * d[3] <= 0x7fffffffu;
}

/* Whether n items of item_size bytes at offset lie in the layer, aligned to
 * align (for floats and int32s). */
static int in_layer(const checker *c, uint32_t offset, uint64_t n, uint32_t item_size, uint32_t align) {
    return offset % align == 0 && offset + n * item_size <= c->layer_size;
}

/* A tensor at offset, of count values, within the arena and aligned. */
static int in_arena(const checker *c, uint32_t offset, uint32_t count) {
    return offset % c->esize == 0 && (uint64_t)offset + (uint64_t)count * c->esize <= c->model->buffer_size;
}

static int finite_positive(float f) {
    return eml_isfinite(f) && eml_float_key(f) > 0;
}

eml_status eml_cnn_rescale(float multiplier, uint32_t *m, uint32_t *shift) {
    const uint32_t bits = eml_float_bits(multiplier);
    if (bits >= 0x47800000u) {      /* 2^16 or more, infinite, NaN or negative */
        return EML_ERR_VALUE;
    }
    int32_t e;
    *m = eml_float_significand(bits, &e);
    /* multiplier = m * 2^e with e <= -8; past a shift of 62 the product
     * (below 2^56) rounds to 0 either way */
    *shift = e < -62 ? 62u : (uint32_t)-e;
    return EML_OK;
}

/* int8 conv and fc layers: scales and zero points, and every channel's
 * rescale (n_scales weight scales at scales, or one for all). */
static eml_status check_int8_scales(const checker *c, const eml_cnn_head *h, uint32_t scales_offset,
    uint32_t n_scales) {
    if (!in_layer(c, scales_offset, n_scales, 4, 4)) {
        return fail(c->reason, "weight scales outside their layer");
    }
    const float *ws = (const float *)(c->layer + scales_offset);
    for (uint32_t i = 0; i < n_scales; i++) {
        uint32_t m, shift;
        if (eml_float_key(ws[i]) < 0 || eml_cnn_rescale(ws[i] * h->in_scale / h->out_scale, &m, &shift) != EML_OK) {
            return fail(c->reason, "weight scale out of range");
        }
    }
    return EML_OK;
}

/* Weights and bias of a conv or fc layer: n_out channels of dot products of
 * `terms` inputs. */
static eml_status check_parameters(const checker *c, const eml_cnn_head *h, uint32_t weights_offset,
    uint32_t bias_offset, uint32_t scales_offset, uint32_t n_scales, uint32_t n_out, uint32_t terms) {
    if (terms > MAX_DOT_TERMS) {
        return fail(c->reason, "layer sums more than 131071 products");
    }
    if (!in_layer(c, weights_offset, (uint64_t)n_out * terms, c->esize, c->esize)) {
        return fail(c->reason, "weights outside their layer");
    }
    if (!in_layer(c, bias_offset, n_out, 4, 4)) {
        return fail(c->reason, "bias outside its layer");
    }
    if (c->model->type == EML_CNN_INT8) {
        return check_int8_scales(c, h, scales_offset, n_scales);
    }
    return EML_OK;
}

/* Output size along one axis of a convolution with this padding. */
static int conv_axis_valid(uint32_t in, uint32_t pad0, uint32_t pad1, uint32_t k, uint32_t stride, uint32_t out) {
    const uint32_t padded = in + pad0 + pad1;
    return padded >= k && out == (padded - k) / stride + 1;
}

static eml_status check_conv(const checker *c, const eml_cnn_head *h) {
    if (c->layer_size < sizeof(eml_cnn_conv)) {
        return fail(c->reason, "layer too short");
    }
    const eml_cnn_conv *l = (const eml_cnn_conv *)h;
    const uint32_t in_c = h->in_dims[3], out_c = h->out_dims[3];
    if (l->kernel_w == 0 || l->kernel_h == 0 || l->stride_w == 0 || l->stride_h == 0) {
        return fail(c->reason, "convolution kernel or stride of 0");
    }
    if (l->dilation_w != 1 || l->dilation_h != 1) {
        return fail(c->reason, "dilated convolution not supported");
    }
    if (l->activation > EML_CNN_ACT_RELU6) {
        return fail(c->reason, "activation not supported (none, relu, relu1, relu6 are)");
    }
    if (!conv_axis_valid(h->in_dims[1], l->pad[0], l->pad[1], l->kernel_h, l->stride_h, h->out_dims[1])
        || !conv_axis_valid(h->in_dims[2], l->pad[2], l->pad[3], l->kernel_w, l->stride_w, h->out_dims[2])) {
        return fail(c->reason, "convolution output size does not match kernel, stride and padding");
    }
    const uint32_t dmul = l->depth_multiplier;
    if (h->type == EML_CNN_DWCONV2D && dmul == 0) {
        return fail(c->reason, "depthwise convolution with depth multiplier 0");
    }
    if (dmul != 0 && (uint64_t)in_c * dmul != out_c) {
        return fail(c->reason, "depthwise output channels not input channels x depth multiplier");
    }
    const uint32_t terms = (dmul ? 1u : in_c) * l->kernel_w * l->kernel_h;
    /* room for one output channel's weights: terms <= 131071 (checked next) */
    const uint32_t need = c->model->weights_offset + terms * c->esize;
    if (terms <= MAX_DOT_TERMS && need > c->model->arena_size) {
        c->model->arena_size = need;
    }
    return check_parameters(c, h, l->weights_offset, l->bias_offset, l->scales_offset, out_c, out_c, terms);
}

static eml_status check_fc(const checker *c, const eml_cnn_head *h) {
    if (c->layer_size < sizeof(eml_cnn_fc)) {
        return fail(c->reason, "layer too short");
    }
    const eml_cnn_fc *l = (const eml_cnn_fc *)h;
    return check_parameters(c, h, l->weights_offset, l->bias_offset, l->scales_offset, 1,
        eml_cnn_count(h->out_dims), eml_cnn_count(h->in_dims));
}

static eml_status check_gap(const checker *c, const eml_cnn_head *h) {
    const uint32_t n = (uint32_t)h->in_dims[1] * h->in_dims[2];
    if (eml_cnn_count(h->out_dims) != h->in_dims[3] || h->out_dims[3] != h->in_dims[3]) {
        return fail(c->reason, "average pooling output is not one value per channel");
    }
    if (c->model->type == EML_CNN_INT8) {
        uint32_t m, shift;
        if (n > (1u << 22) || eml_cnn_rescale(h->in_scale / h->out_scale / (float)n, &m, &shift) != EML_OK) {
            return fail(c->reason, "average pooling scale out of range");
        }
    }
    return EML_OK;
}

static eml_status check_softmax(const checker *c, const eml_cnn_head *h) {
    if (eml_cnn_count(h->in_dims) != eml_cnn_count(h->out_dims)) {
        return fail(c->reason, "softmax output size differs from its input");
    }
    return EML_OK;
}

/* The checks every layer needs: its tensors and quantization. */
static eml_status check_head(const checker *c, const eml_cnn_head *h) {
    if (!dims_valid(h->in_dims) || !dims_valid(h->out_dims)) {
        return fail(c->reason, "layer dimensions invalid");
    }
    const uint32_t n_in = eml_cnn_count(h->in_dims), n_out = eml_cnn_count(h->out_dims);
    if (!in_arena(c, h->in_offset, n_in) || !in_arena(c, h->out_offset, n_out)) {
        return fail(c->reason, "layer tensor outside the model's buffer");
    }
    /* Layers read their input while writing their output; overlapping
     * tensors would give garbage (reshape moves its values as a block). */
    const uint64_t in_end = (uint64_t)h->in_offset + (uint64_t)n_in * c->esize;
    const uint64_t out_end = (uint64_t)h->out_offset + (uint64_t)n_out * c->esize;
    if (h->type != EML_CNN_RESHAPE && h->in_offset < out_end && h->out_offset < in_end) {
        return fail(c->reason, "layer input and output overlap in the buffer");
    }
    if (c->model->type == EML_CNN_INT8) {
        if (h->in_zero < -128 || h->in_zero > 127 || h->out_zero < -128 || h->out_zero > 127) {
            return fail(c->reason, "zero point outside int8");
        }
        if (!finite_positive(h->in_scale) || !finite_positive(h->out_scale)) {
            return fail(c->reason, "layer scale not a positive number");
        }
    }
    return EML_OK;
}

static eml_status check_layer(const checker *c, const eml_cnn_head *h) {
    eml_status s = check_head(c, h);
    if (s != EML_OK) {
        return s;
    }
    switch (h->type) {
        case EML_CNN_CONV2D:
        case EML_CNN_DWCONV2D:
            return check_conv(c, h);
        case EML_CNN_FC:
            return check_fc(c, h);
        case EML_CNN_GAP:
            return check_gap(c, h);
        case EML_CNN_SOFTMAX:
            return check_softmax(c, h);
        case EML_CNN_RESHAPE:
            if (eml_cnn_count(h->in_dims) != eml_cnn_count(h->out_dims)) {
                return fail(c->reason, "reshape changes the number of values");
            }
            return EML_OK;
        default:
            return fail(c->reason, "layer type not supported");
    }
}

static eml_status check_header(eml_cnn *model, const file_header *f, uint32_t size, const char **reason) {
    if (size < EML_CNN_HEADER_SIZE) {
        return fail(reason, "file shorter than the model header");
    }
    if (f->magic != MAGIC) {
        return fail(reason, "not a TinyMaix model (no MAIX magic)");
    }
    if (f->type != EML_CNN_INT8 && f->type != EML_CNN_FP32) {
        return fail(reason, "model type not supported (int8 and fp32 are)");
    }
    if (f->n_inputs != 1 || f->n_outputs != 1) {
        return fail(reason, "model must have one input and one output");
    }
    if (f->n_layers == 0) {
        return fail(reason, "model has no layers");
    }
    if (!dims_valid(f->in_dims)) {
        return fail(reason, "model input dimensions invalid");
    }
    if (f->buffer_size > 0x7fffffffu) {
        return fail(reason, "model's buffer size too large");
    }
    model->type = f->type;
    model->buffer_size = f->buffer_size;
    model->weights_offset = (f->buffer_size + 3u) & ~3u;
    model->arena_size = model->weights_offset;
    model->in_height = f->in_dims[1];
    model->in_width = f->in_dims[2];
    model->in_channels = f->in_dims[3];
    model->n_inputs = eml_cnn_count(f->in_dims);
    return EML_OK;
}

static int same_dims(const uint16_t *a, const uint16_t *b) {
    return a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

eml_status eml_cnn_load(eml_cnn *model, const uint8_t *data, uint32_t size, const char **reason) {
    const file_header *f = (const file_header *)data;
    model->data = data;
    model->output = 0;
    eml_status s = check_header(model, f, size, reason);
    if (s != EML_OK) {
        return s;
    }
    checker c = { model, 0, 0, model->type == EML_CNN_INT8 ? 1u : 4u, reason };
    uint32_t offset = EML_CNN_HEADER_SIZE;
    for (uint32_t i = 0; i < f->n_layers; i++) {
        if (size - offset < sizeof(eml_cnn_head)) {
            return fail(reason, "file ends inside a layer");
        }
        const eml_cnn_head *h = (const eml_cnn_head *)(data + offset);
        if (h->size < sizeof(eml_cnn_head) || h->size % 8 != 0 || h->size > size - offset) {
            return fail(reason, "layer size invalid or past the end of the file");
        }
        if (i == 0 && !same_dims(h->in_dims, f->in_dims)) {
            return fail(reason, "first layer's input differs from the model's");
        }
        c.layer = data + offset;
        c.layer_size = h->size;
        s = check_layer(&c, h);
        if (s != EML_OK) {
            return s;
        }
        offset += h->size;
        if (h->is_output) {
            /* Later layers cannot change the output: they are not run. */
            model->output = h;
            model->n_layers = i + 1;
            model->n_outputs = eml_cnn_count(h->out_dims);
            return EML_OK;
        }
    }
    return fail(reason, "model has no output layer");
}

float eml_cnn_div(float a, float b) {
    return a / b;
}

uint32_t eml_cnn_argmax(const float *values, uint32_t n) {
    uint32_t best = 0;
    int32_t best_key = eml_float_key(values[0]);
    for (uint32_t i = 1; i < n; i++) {
        const int32_t key = eml_float_key(values[i]);
        if (key > best_key) {
            best = i;
            best_key = key;
        }
    }
    return best;
}

void eml_cnn_softmax(const float *x, float *out, uint32_t n) {
    const float largest = x[eml_cnn_argmax(x, n)];
    float sum = 0.0f;
    for (uint32_t i = 0; i < n; i++) {
        out[i] = eml_expf(eml_sub(x[i], largest));
        sum += out[i];
    }
    const float inverse = 1.0f / sum;   /* sum >= 1: the largest gives e^0 */
    for (uint32_t i = 0; i < n; i++) {
        out[i] *= inverse;
    }
}
