/* Running int8 TinyMaix models.
 *
 * A tensor value q stands for scale * (q - zero). A convolution or fully
 * connected output channel sums int8 products in int32 (eml_cnn_load
 * limits the terms so it cannot overflow), adds the int32 bias (the file
 * folds the input zero point into it) and rescales:
 *     q = clamp(floor(sum * M + 1/2) + zero, low, high)
 * with M = weight scale * input scale / output scale as a float, taken
 * exactly as its 24-bit significand and a shift (eml_cnn_rescale), so the
 * product is exact in int64 and the result is the same on every target.
 * [low, high] is int8's range cut to the activation's (relu: from the zero
 * point), as TensorFlow Lite does.
 */
#include "eml_cnn.h"

#include "eml_math.h"

/* Cortex-M4, M7, M33 and others with the DSP extension: two 16-bit
 * products and their sum in one instruction (SMLAD), on int8 values spread
 * into 16-bit halves (SXTB16). */
#if defined(__ARM_FEATURE_SIMD32) && defined(__ARM_FEATURE_UNALIGNED)
#include <arm_acle.h>
#define DUAL_MAC 1

/* Four bytes as a word, at any alignment (these cores load it in one go). */
typedef struct {
    uint32_t word;
} __attribute__((packed, may_alias)) unaligned_word;

/* Sum of the four products of the int8 values in words a and b. */
static inline int32_t dot4(uint32_t a, uint32_t b, int32_t sum) {
    sum = __smlad(__sxtb16(a), __sxtb16(b), sum);                  /* bytes 0 and 2 */
    return __smlad(__sxtb16((a >> 8) | (a << 24)), __sxtb16((b >> 8) | (b << 24)), sum);  /* 1 and 3 */
}
#endif

typedef struct {
    int64_t half;
    uint32_t m;
    uint32_t shift;
    int32_t zero, low, high;
} rescale;

static int32_t clamp(int32_t v, int32_t low, int32_t high) {
    return v < low ? low : v > high ? high : v;
}

/* The rescale for multiplier M (checked at load) into the activation's range. */
static void rescale_init(rescale *r, float multiplier, const eml_cnn_head *h, uint32_t activation) {
    eml_cnn_rescale(multiplier, &r->m, &r->shift);
    r->half = (int64_t)1 << (r->shift - 1);
    r->zero = h->out_zero;
    r->low = -128;
    r->high = 127;
    if (activation == EML_CNN_ACT_RELU || activation == EML_CNN_ACT_RELU6) {
        r->low = h->out_zero;
    }
    if (activation == EML_CNN_ACT_RELU6 || activation == EML_CNN_ACT_RELU1) {
        const float inverse = eml_cnn_div(1.0f, h->out_scale);
        r->high = clamp(h->out_zero + eml_float_to_int16(activation == EML_CNN_ACT_RELU6 ? 6.0f * inverse : inverse),
            -128, 127);
    }
    if (activation == EML_CNN_ACT_RELU1) {
        r->low = clamp(h->out_zero - eml_float_to_int16(eml_cnn_div(1.0f, h->out_scale)), -128, 127);
    }
}

static int8_t requantize(int64_t sum, const rescale *r) {
    /* one 32 x 32 -> 64 bit multiply when sum fits int32, as it does but
     * for a huge bias */
    const int64_t product = sum == (int32_t)sum ? (int64_t)(int32_t)sum * (int32_t)r->m : sum * r->m;
    const int64_t v = (product + r->half) >> r->shift;     /* arithmetic shift: floor */
    const int32_t q = v < -256 ? -256 : v > 256 ? 256 : (int32_t)v;
    return (int8_t)clamp(q + r->zero, r->low, r->high);
}

/* Where a kernel window's values lie: `rows` runs of n values, the input's
 * a_step apart (1, or in_c for a depthwise layer's channel) and row_step
 * between runs, the reordered weights' one after the other, w_row_step
 * between runs. */
typedef struct {
    uint32_t rows, n, a_step, row_step, w_row_step;
} window_shape;

/* Sum of products over a kernel window: the time of a convolution. */
static inline int32_t dot_window(const int8_t *in, const int8_t *w, const window_shape *s) {
    int32_t sum = 0;
    const uint32_t n = s->n, a_step = s->a_step;
    for (uint32_t rows = s->rows; rows; rows--) {
        const int8_t *a = in;
        uint32_t i = 0;
#if DUAL_MAC
        if (a_step == 1) {
            for (; i + 4 <= n; i += 4) {
                sum = dot4(((const unaligned_word *)(a + i))->word, ((const unaligned_word *)(w + i))->word, sum);
            }
            a += i;
        }
#endif
        /* four products a turn: the count, compare and branch weigh less */
        for (; i + 4 <= n; i += 4) {
            sum += a[0] * w[i] + a[a_step] * w[i + 1] + a[2 * a_step] * w[i + 2] + a[3 * a_step] * w[i + 3];
            a += 4 * a_step;
        }
        for (; i < n; i++) {
            sum += *a * w[i];
            a += a_step;
        }
        in += s->row_step;
        w += s->w_row_step;
    }
    return sum;
}

/* The window sums out of line, so that the callers' many live values do
 * not crowd their registers (inlined in conv, the sum spilled to the stack
 * on every product). One for a window at the input's edge; */
static EML_NOINLINE int32_t edge_window(const int8_t *in, const int8_t *w, const window_shape *s) {
    return dot_window(in, w, s);
}

/* and one for count whole windows in a row, their inputs in_step apart,
 * rescaled into out (out_step apart): most outputs, with no window bounds
 * to work out nor call to make for each. */
static EML_NOINLINE void whole_windows(const int8_t *in, uint32_t in_step, const int8_t *w, const window_shape *s,
    int32_t bias, const rescale *r, int8_t *out, uint32_t out_step, uint32_t count) {
    for (; count; count--) {
        *out = requantize((int64_t)dot_window(in, w, s) + bias, r);
        in += in_step;
        out += out_step;
    }
}

static int32_t sum_of(const int8_t *w, uint32_t n) {
    int32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += w[i];
    }
    return sum;
}

/* Output channel oc's weights [in channel][row][column], reordered to
 * [row][column][in channel] as the input (HWC) lies: a kernel row is then
 * one run of memory in both. Returns their sum. */
static int32_t reorder(int8_t *to, const int8_t *w, uint32_t channels, uint32_t kernel) {
    int32_t sum = 0;
    for (uint32_t c = 0; c < channels; c++) {
        for (uint32_t k = 0; k < kernel; k++) {
            to[k * channels + c] = w[c * kernel + k];
            sum += w[c * kernel + k];
        }
    }
    return sum;
}

/* Sum of products over the part of a kernel window on the input; row is
 * its first input value, w the reordered weights. With inside, sets
 * *inside to the sum of the weights used. */
static int32_t window_sum(const eml_cnn_conv *l, const eml_cnn_window *win, const int8_t *row, const int8_t *w,
    const window_shape *whole, int32_t *inside) {
    const uint32_t channels = whole->n / l->kernel_w;
    const window_shape part = { win->ky1 - win->ky0, (win->kx1 - win->kx0) * channels,
        whole->a_step, whole->row_step, whole->w_row_step };
    w += win->ky0 * whole->w_row_step + win->kx0 * channels;
    if (inside) {
        int32_t weights = 0;
        for (uint32_t k = 0; k < part.rows; k++) {
            weights += sum_of(w + k * part.w_row_step, part.n);
        }
        *inside = weights;
    }
    return edge_window(row, w, &part);
}

/* One output channel's values at columns ox0 <= ox < ox1 of output row oy,
 * window by window. Padding stands for the input zero point: the bias
 * assumes a whole window, so a clipped one adds zero point x the weights
 * it misses. */
static void edge_outputs(const eml_cnn_conv *l, const int8_t *in_channel, const int8_t *w, const window_shape *whole,
    int32_t all_weights, int32_t bias, const rescale *r, int8_t *out, uint32_t oy, uint32_t ox0, uint32_t ox1) {
    const eml_cnn_head *h = &l->head;
    const uint32_t in_c = h->in_dims[3], out_c = h->out_dims[3];
    for (uint32_t ox = ox0; ox < ox1; ox++) {
        eml_cnn_window win;
        eml_cnn_window_at(l, oy, ox, &win);
        const int padded = win.clipped && h->in_zero != 0;
        int32_t inside = 0, sum = 0;
        if (win.ky1 > win.ky0 && win.kx1 > win.kx0) {
            sum = window_sum(l, &win, in_channel + win.first * in_c, w, whole, padded ? &inside : 0);
        }
        if (padded) {
            sum += h->in_zero * (all_weights - inside);
        }
        out[(oy * h->out_dims[2] + ox) * out_c] = requantize((int64_t)sum + bias, r);
    }
}

/* Convolution, one output channel at a time (one rescale and one weight
 * reordering each, into the arena's weights area), row by row: the
 * windows wholly on the input in one go, those at its edges one by one. */
static void conv(const eml_cnn_conv *l, const int8_t *in, int8_t *out, int8_t *scratch) {
    const eml_cnn_head *h = &l->head;
    const uint8_t *base = (const uint8_t *)l;
    const int8_t *weights = (const int8_t *)(base + l->weights_offset);
    const int32_t *bias = (const int32_t *)(base + l->bias_offset);
    const float *scales = (const float *)(base + l->scales_offset);
    const uint32_t in_h = h->in_dims[1], in_w = h->in_dims[2], in_c = h->in_dims[3];
    const uint32_t out_h = h->out_dims[1], out_w = h->out_dims[2], out_c = h->out_dims[3];
    const uint32_t kh = l->kernel_h, kw = l->kernel_w, sh = l->stride_h, sw = l->stride_w;
    const uint32_t top = l->pad[0], left = l->pad[2];
    const uint32_t dmul = l->depth_multiplier;
    const uint32_t channels = dmul ? 1u : in_c;
    const window_shape whole = { kh, kw * channels, channels == in_c ? 1u : in_c, in_w * in_c, kw * channels };
    /* Columns whose windows lie wholly on the input: x0 = ox sw - left in
     * [0, in_w - kw]. */
    const uint32_t first = (left + sw - 1) / sw;
    uint32_t end = in_w + left >= kw ? (in_w + left - kw) / sw + 1 : 0;
    end = end > out_w ? out_w : end < first ? first : end;
    for (uint32_t oc = 0; oc < out_c; oc++) {
        rescale r;
        rescale_init(&r, eml_cnn_div(scales[oc] * h->in_scale, h->out_scale), h, l->activation);
        const int32_t all_weights = reorder(scratch, weights + oc * channels * kw * kh, channels, kw * kh);
        const int8_t *in_channel = in + (dmul ? oc / dmul : 0u);
        for (uint32_t oy = 0; oy < out_h; oy++) {
            const int32_t y0 = (int32_t)(oy * sh) - (int32_t)top;
            if (y0 < 0 || (uint32_t)y0 + kh > in_h || first >= end) {
                edge_outputs(l, in_channel, scratch, &whole, all_weights, bias[oc], &r, out + oc, oy, 0, out_w);
                continue;
            }
            edge_outputs(l, in_channel, scratch, &whole, all_weights, bias[oc], &r, out + oc, oy, 0, first);
            whole_windows(in_channel + ((uint32_t)y0 * in_w + first * sw - left) * in_c, sw * in_c, scratch, &whole,
                bias[oc], &r, out + (oy * out_w + first) * out_c + oc, out_c, end - first);
            edge_outputs(l, in_channel, scratch, &whole, all_weights, bias[oc], &r, out + oc, oy, end, out_w);
        }
    }
}

static void fully_connected(const eml_cnn_fc *l, const int8_t *in, int8_t *out) {
    const eml_cnn_head *h = &l->head;
    const uint8_t *base = (const uint8_t *)l;
    const int8_t *w = (const int8_t *)(base + l->weights_offset);
    const int32_t *bias = (const int32_t *)(base + l->bias_offset);
    const float *scale = (const float *)(base + l->scales_offset);
    const uint32_t n_in = eml_cnn_count(h->in_dims), n_out = eml_cnn_count(h->out_dims);
    rescale r;
    rescale_init(&r, eml_cnn_div(scale[0] * h->in_scale, h->out_scale), h, EML_CNN_ACT_NONE);
    for (uint32_t o = 0; o < n_out; o++) {
        int32_t sum = 0;
        for (uint32_t i = 0; i < n_in; i++) {
            sum += in[i] * w[i];
        }
        out[o] = requantize((int64_t)sum + bias[o], &r);
        w += n_in;
    }
}

/* Average of each channel: the sum less n zero points, rescaled by
 * input scale / output scale / n. */
static void average_pool(const eml_cnn_head *h, const int8_t *in, int8_t *out) {
    const uint32_t channels = h->in_dims[3];
    const uint32_t n = (uint32_t)h->in_dims[1] * h->in_dims[2];
    rescale r;
    rescale_init(&r, eml_cnn_div(eml_cnn_div(h->in_scale, h->out_scale), (float)n), h, EML_CNN_ACT_NONE);
    for (uint32_t c = 0; c < channels; c++) {
        int32_t sum = 0;
        for (uint32_t i = 0; i < n; i++) {
            sum += in[i * channels + c];
        }
        out[c] = requantize((int64_t)sum - (int64_t)n * h->in_zero, &r);
    }
}

/* Softmax of the dequantized input, into the caller's floats when it is
 * the output layer, else quantized into the arena: e^x computed twice
 * there, as there is no room for floats. */
static void softmax(const eml_cnn_head *h, const int8_t *in, int8_t *out, float *values) {
    const uint32_t n = eml_cnn_count(h->in_dims);
    if (values) {
        for (uint32_t i = 0; i < n; i++) {
            values[i] = eml_int16_to_float(in[i] - h->in_zero) * h->in_scale;
        }
        eml_cnn_softmax(values, values, n);
        return;
    }
    int32_t largest = in[0];
    for (uint32_t i = 1; i < n; i++) {
        largest = in[i] > largest ? in[i] : largest;
    }
    float sum = 0.0f;
    for (uint32_t i = 0; i < n; i++) {
        sum += eml_expf(eml_int16_to_float(in[i] - largest) * h->in_scale);
    }
    const float factor = eml_cnn_div(1.0f, sum * h->out_scale);
    for (uint32_t i = 0; i < n; i++) {
        const float p = eml_expf(eml_int16_to_float(in[i] - largest) * h->in_scale);
        out[i] = (int8_t)clamp(eml_float_to_int16(p * factor) + h->out_zero, -128, 127);
    }
}

/* Copies n bytes between possibly overlapping places. */
static void move_bytes(uint8_t *to, const uint8_t *from, uint32_t n) {
    if (to < from) {
        for (uint32_t i = 0; i < n; i++) {
            to[i] = from[i];
        }
    } else if (to > from) {
        while (n--) {
            to[n] = from[n];
        }
    }
}

/* k > 0 rounded half up, at most 2^23; on the bits, as a float to int
 * conversion would link one more helper on Cortex-M0. */
static int32_t round_step(float k) {
    const uint32_t bits = eml_float_bits(k);
    if (bits >= 0x4b000000u) {
        return 0x800000;    /* 2^23 or more (or NaN): every pixel saturates */
    }
    int32_t e;
    const uint32_t m = eml_float_significand(bits, &e);    /* e < 0 */
    return e < -24 ? 0 : (int32_t)((m + (1u << (-e - 1))) >> -e);
}

void eml_cnn_int8_input_pixels(const eml_cnn *model, uint8_t *arena, const uint8_t *pixels) {
    const eml_cnn_head *h = eml_cnn_first(model);
    int8_t *q = (int8_t *)(arena + h->in_offset);
    /* q = round(pixel / 255 / scale) + zero, with 1 / (255 scale) in 16.16
     * fixed point: exact for the usual scale 1/255 (q = pixel + zero). */
    const int32_t step = round_step(eml_cnn_div(65536.0f, 255.0f * h->in_scale));
    for (uint32_t i = 0; i < model->n_inputs; i++) {
        q[i] = (int8_t)clamp(((pixels[i] * step + 0x8000) >> 16) + h->in_zero, -128, 127);
    }
}

void eml_cnn_int8_input_floats(const eml_cnn *model, uint8_t *arena, const float *values) {
    const eml_cnn_head *h = eml_cnn_first(model);
    int8_t *q = (int8_t *)(arena + h->in_offset);
    const float inverse = eml_cnn_div(1.0f, h->in_scale);
    for (uint32_t i = 0; i < model->n_inputs; i++) {
        q[i] = (int8_t)clamp(eml_float_to_int16(values[i] * inverse) + h->in_zero, -128, 127);
    }
}

void eml_cnn_int8_run(const eml_cnn *model, uint8_t *arena, float *out) {
    const eml_cnn_head *h = eml_cnn_first(model);
    for (uint32_t i = 0; i < model->n_layers; i++, h = eml_cnn_next(h)) {
        const int8_t *in = (const int8_t *)(arena + h->in_offset);
        int8_t *o = (int8_t *)(arena + h->out_offset);
        const int last = i + 1 == model->n_layers;
        switch (h->type) {
            case EML_CNN_CONV2D:
            case EML_CNN_DWCONV2D:
                conv((const eml_cnn_conv *)h, in, o, (int8_t *)(arena + model->weights_offset));
                break;
            case EML_CNN_FC:
                fully_connected((const eml_cnn_fc *)h, in, o);
                break;
            case EML_CNN_GAP:
                average_pool(h, in, o);
                break;
            case EML_CNN_SOFTMAX:
                softmax(h, in, o, last ? out : 0);
                if (last) {
                    return;
                }
                break;
            default:    /* EML_CNN_RESHAPE */
                move_bytes((uint8_t *)o, (const uint8_t *)in, eml_cnn_count(h->in_dims));
                break;
        }
    }
    /* The output layer's values, dequantized. */
    h = model->output;
    const int8_t *q = (const int8_t *)(arena + h->out_offset);
    for (uint32_t i = 0; i < model->n_outputs; i++) {
        out[i] = eml_int16_to_float(q[i] - h->out_zero) * h->out_scale;
    }
}
