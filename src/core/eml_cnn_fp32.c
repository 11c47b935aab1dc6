/* Running float32 TinyMaix models: the layers of eml_cnn_int8.c in single
 * precision, padding counting as 0, activations applied to the float sums. */
#include "eml_cnn.h"

#include "eml_math.h"

/* The activation of a convolution output; NaN passes. */
static float activate(float v, uint32_t activation) {
    if (activation == EML_CNN_ACT_NONE) {
        return v;
    }
    const int32_t key = eml_float_key(v);
    if (activation == EML_CNN_ACT_RELU1) {
        return key > 0x3f800000 ? 1.0f : key < -0x3f800001 ? -1.0f : v;
    }
    if (key < 0) {
        return 0.0f;
    }
    return activation == EML_CNN_ACT_RELU6 && key > 0x40c00000 ? 6.0f : v;
}

/* The float twins of eml_cnn_int8.c's window sums and convolution (see
 * there); padding counts as 0, so a clipped window just sums less. */
typedef struct {
    uint32_t rows, n, a_step, row_step, w_row_step;
} window_shape;

static inline float dot_window(const float *in, const float *w, const window_shape *s) {
    float sum = 0.0f;
    const uint32_t n = s->n, a_step = s->a_step;
    for (uint32_t rows = s->rows; rows; rows--) {
        const float *a = in;
        uint32_t i = 0;
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

static EML_NOINLINE float edge_window(const float *in, const float *w, const window_shape *s) {
    return dot_window(in, w, s);
}

static EML_NOINLINE void whole_windows(const float *in, uint32_t in_step, const float *w, const window_shape *s,
    float bias, uint32_t activation, float *out, uint32_t out_step, uint32_t count) {
    for (; count; count--) {
        *out = activate(dot_window(in, w, s) + bias, activation);
        in += in_step;
        out += out_step;
    }
}

static void reorder(float *to, const float *w, uint32_t channels, uint32_t kernel) {
    for (uint32_t c = 0; c < channels; c++) {
        for (uint32_t k = 0; k < kernel; k++) {
            to[k * channels + c] = w[c * kernel + k];
        }
    }
}

static void edge_outputs(const eml_cnn_conv *l, const float *in_channel, const float *w, const window_shape *whole,
    float bias, float *out, uint32_t oy, uint32_t ox0, uint32_t ox1) {
    const eml_cnn_head *h = &l->head;
    const uint32_t in_c = h->in_dims[3], out_c = h->out_dims[3];
    const uint32_t channels = whole->n / l->kernel_w;
    for (uint32_t ox = ox0; ox < ox1; ox++) {
        eml_cnn_window win;
        eml_cnn_window_at(l, oy, ox, &win);
        float sum = 0.0f;
        if (win.ky1 > win.ky0 && win.kx1 > win.kx0) {
            const window_shape part = { win.ky1 - win.ky0, (win.kx1 - win.kx0) * channels,
                whole->a_step, whole->row_step, whole->w_row_step };
            sum = edge_window(in_channel + win.first * in_c, w + win.ky0 * whole->w_row_step + win.kx0 * channels,
                &part);
        }
        out[(oy * h->out_dims[2] + ox) * out_c] = activate(sum + bias, l->activation);
    }
}

static void conv(const eml_cnn_conv *l, const float *in, float *out, float *scratch) {
    const eml_cnn_head *h = &l->head;
    const uint8_t *base = (const uint8_t *)l;
    const float *weights = (const float *)(base + l->weights_offset);
    const float *bias = (const float *)(base + l->bias_offset);
    const uint32_t in_h = h->in_dims[1], in_w = h->in_dims[2], in_c = h->in_dims[3];
    const uint32_t out_h = h->out_dims[1], out_w = h->out_dims[2], out_c = h->out_dims[3];
    const uint32_t kh = l->kernel_h, kw = l->kernel_w, sh = l->stride_h, sw = l->stride_w;
    const uint32_t top = l->pad[0], left = l->pad[2];
    const uint32_t dmul = l->depth_multiplier;
    const uint32_t channels = dmul ? 1u : in_c;
    const window_shape whole = { kh, kw * channels, channels == in_c ? 1u : in_c, in_w * in_c, kw * channels };
    const uint32_t first = (left + sw - 1) / sw;
    uint32_t end = in_w + left >= kw ? (in_w + left - kw) / sw + 1 : 0;
    end = end > out_w ? out_w : end < first ? first : end;
    for (uint32_t oc = 0; oc < out_c; oc++) {
        reorder(scratch, weights + oc * channels * kw * kh, channels, kw * kh);
        const float *in_channel = in + (dmul ? oc / dmul : 0u);
        for (uint32_t oy = 0; oy < out_h; oy++) {
            const int32_t y0 = (int32_t)(oy * sh) - (int32_t)top;
            if (y0 < 0 || (uint32_t)y0 + kh > in_h || first >= end) {
                edge_outputs(l, in_channel, scratch, &whole, bias[oc], out + oc, oy, 0, out_w);
                continue;
            }
            edge_outputs(l, in_channel, scratch, &whole, bias[oc], out + oc, oy, 0, first);
            whole_windows(in_channel + ((uint32_t)y0 * in_w + first * sw - left) * in_c, sw * in_c, scratch, &whole,
                bias[oc], l->activation, out + (oy * out_w + first) * out_c + oc, out_c, end - first);
            edge_outputs(l, in_channel, scratch, &whole, bias[oc], out + oc, oy, end, out_w);
        }
    }
}

static void fully_connected(const eml_cnn_fc *l, const float *in, float *out) {
    const eml_cnn_head *h = &l->head;
    const uint8_t *base = (const uint8_t *)l;
    const float *w = (const float *)(base + l->weights_offset);
    const float *bias = (const float *)(base + l->bias_offset);
    const uint32_t n_in = eml_cnn_count(h->in_dims), n_out = eml_cnn_count(h->out_dims);
    for (uint32_t o = 0; o < n_out; o++) {
        float sum = 0.0f;
        for (uint32_t i = 0; i < n_in; i++) {
            sum += in[i] * w[i];
        }
        out[o] = sum + bias[o];
        w += n_in;
    }
}

static void average_pool(const eml_cnn_head *h, const float *in, float *out) {
    const uint32_t channels = h->in_dims[3];
    const uint32_t n = (uint32_t)h->in_dims[1] * h->in_dims[2];
    const float inverse = eml_cnn_div(1.0f, (float)n);
    for (uint32_t c = 0; c < channels; c++) {
        float sum = 0.0f;
        for (uint32_t i = 0; i < n; i++) {
            sum += in[i * channels + c];
        }
        out[c] = sum * inverse;
    }
}

void eml_cnn_fp32_input_pixels(const eml_cnn *model, uint8_t *arena, const uint8_t *pixels) {
    float *x = (float *)(arena + eml_cnn_first(model)->in_offset);
    for (uint32_t i = 0; i < model->n_inputs; i++) {
        x[i] = eml_cnn_div(eml_int16_to_float(pixels[i]), 255.0f);
    }
}

void eml_cnn_fp32_input_floats(const eml_cnn *model, uint8_t *arena, const float *values) {
    float *x = (float *)(arena + eml_cnn_first(model)->in_offset);
    for (uint32_t i = 0; i < model->n_inputs; i++) {
        x[i] = values[i];
    }
}

void eml_cnn_fp32_run(const eml_cnn *model, uint8_t *arena, float *out) {
    const eml_cnn_head *h = eml_cnn_first(model);
    for (uint32_t i = 0; i < model->n_layers; i++, h = eml_cnn_next(h)) {
        const float *in = (const float *)(arena + h->in_offset);
        /* The output layer writes straight to the caller's array. */
        float *o = i + 1 == model->n_layers ? out : (float *)(arena + h->out_offset);
        const uint32_t n = eml_cnn_count(h->in_dims);
        switch (h->type) {
            case EML_CNN_CONV2D:
            case EML_CNN_DWCONV2D:
                conv((const eml_cnn_conv *)h, in, o, (float *)(arena + model->weights_offset));
                break;
            case EML_CNN_FC:
                fully_connected((const eml_cnn_fc *)h, in, o);
                break;
            case EML_CNN_GAP:
                average_pool(h, in, o);
                break;
            case EML_CNN_SOFTMAX:
                eml_cnn_softmax(in, o, n);
                break;
            default:    /* EML_CNN_RESHAPE: a move of whole floats */
                if (o < in) {
                    for (uint32_t k = 0; k < n; k++) {
                        o[k] = in[k];
                    }
                } else if (o > in) {
                    for (uint32_t k = n; k-- > 0;) {
                        o[k] = in[k];
                    }
                }
                break;
        }
    }
}
