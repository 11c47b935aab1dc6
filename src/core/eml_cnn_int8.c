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
    const int64_t v = (sum * r->m + r->half) >> r->shift;   /* arithmetic shift: floor */
    const int32_t q = v < -256 ? -256 : v > 256 ? 256 : (int32_t)v;
    return (int8_t)clamp(q + r->zero, r->low, r->high);
}

/* Sum of in[c] * w[c * w_step] over the rows ky0..ky1 and columns kx0..kx1
 * of a kernel window; in is its first input pixel. */
static int32_t window_dot(const int8_t *in, const int8_t *w, const eml_cnn_window *win, uint32_t row_step,
    uint32_t pixel_step, uint32_t channels, uint32_t kernel_w, uint32_t w_step) {
    int32_t sum = 0;
    for (uint32_t ky = win->ky0; ky < win->ky1; ky++) {
        const int8_t *p = in;
        const int8_t *wp = w + ky * kernel_w + win->kx0;
        for (uint32_t kx = win->kx0; kx < win->kx1; kx++) {
            for (uint32_t c = 0; c < channels; c++) {
                sum += p[c] * wp[c * w_step];
            }
            p += pixel_step;
            wp++;
        }
        in += row_step;
    }
    return sum;
}

/* Sum of the weights of the kernel positions inside the window. */
static int32_t window_weights(const int8_t *w, const eml_cnn_window *win, uint32_t channels, uint32_t kernel_w,
    uint32_t w_step) {
    int32_t sum = 0;
    for (uint32_t ky = win->ky0; ky < win->ky1; ky++) {
        for (uint32_t kx = win->kx0; kx < win->kx1; kx++) {
            for (uint32_t c = 0; c < channels; c++) {
                sum += w[c * w_step + ky * kernel_w + kx];
            }
        }
    }
    return sum;
}

/* Convolution, one output channel at a time (one rescale each). Padding
 * stands for the input zero point: the bias assumes a full window, so a
 * clipped one adds zero point x the weights it misses. */
static void conv(const eml_cnn_conv *l, const int8_t *in, int8_t *out) {
    const eml_cnn_head *h = &l->head;
    const uint8_t *base = (const uint8_t *)l;
    const int8_t *weights = (const int8_t *)(base + l->weights_offset);
    const int32_t *bias = (const int32_t *)(base + l->bias_offset);
    const float *scales = (const float *)(base + l->scales_offset);
    const uint32_t in_w = h->in_dims[2], in_c = h->in_dims[3];
    const uint32_t out_h = h->out_dims[1], out_w = h->out_dims[2], out_c = h->out_dims[3];
    const uint32_t dmul = l->depth_multiplier;
    const uint32_t channels = dmul ? 1u : in_c;
    const uint32_t kernel = (uint32_t)l->kernel_w * l->kernel_h;
    const eml_cnn_window full = { 0, l->kernel_h, 0, l->kernel_w, 0, 0 };
    for (uint32_t oc = 0; oc < out_c; oc++) {
        rescale r;
        rescale_init(&r, eml_cnn_div(scales[oc] * h->in_scale, h->out_scale), h, l->activation);
        const int8_t *w = weights + oc * channels * kernel;
        const int8_t *in_channel = in + (dmul ? oc / dmul : 0u);
        const int32_t all_weights = window_weights(w, &full, channels, l->kernel_w, kernel);
        int8_t *o = out + oc;
        for (uint32_t oy = 0; oy < out_h; oy++) {
            for (uint32_t ox = 0; ox < out_w; ox++) {
                eml_cnn_window win;
                eml_cnn_window_at(l, oy, ox, &win);
                int32_t sum = 0;
                if (win.ky1 > win.ky0 && win.kx1 > win.kx0) {
                    sum = window_dot(in_channel + win.first * in_c, w, &win, in_w * in_c, in_c, channels,
                        l->kernel_w, kernel);
                }
                if (win.clipped && h->in_zero != 0) {
                    sum += h->in_zero * (all_weights - window_weights(w, &win, channels, l->kernel_w, kernel));
                }
                *o = requantize((int64_t)sum + bias[oc], &r);
                o += out_c;
            }
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
                conv((const eml_cnn_conv *)h, in, o);
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
