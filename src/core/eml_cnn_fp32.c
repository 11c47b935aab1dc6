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

/* The float twins of eml_cnn_int8.c's window_dot, reorder and window_sum. */
static EML_NOINLINE float window_dot(const float *in, const float *w, uint32_t rows, uint32_t n,
    uint32_t a_step, uint32_t row_step, uint32_t w_row_step) {
    float sum = 0.0f;
    while (rows--) {
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
        in += row_step;
        w += w_row_step;
    }
    return sum;
}

static void reorder(float *to, const float *w, uint32_t channels, uint32_t kernel) {
    for (uint32_t c = 0; c < channels; c++) {
        for (uint32_t k = 0; k < kernel; k++) {
            to[k * channels + c] = w[c * kernel + k];
        }
    }
}

static float window_sum(const eml_cnn_conv *l, const eml_cnn_window *win, const float *row, const float *w,
    uint32_t channels) {
    const uint32_t in_c = l->head.in_dims[3];
    const uint32_t w_row_step = l->kernel_w * channels;
    w += (win->ky0 * l->kernel_w + win->kx0) * channels;
    return window_dot(row, w, win->ky1 - win->ky0, (win->kx1 - win->kx0) * channels, channels == in_c ? 1u : in_c,
        l->head.in_dims[2] * in_c, w_row_step);
}

static void conv(const eml_cnn_conv *l, const float *in, float *out, float *scratch) {
    const eml_cnn_head *h = &l->head;
    const uint8_t *base = (const uint8_t *)l;
    const float *weights = (const float *)(base + l->weights_offset);
    const float *bias = (const float *)(base + l->bias_offset);
    const uint32_t in_c = h->in_dims[3];
    const uint32_t out_h = h->out_dims[1], out_w = h->out_dims[2], out_c = h->out_dims[3];
    const uint32_t dmul = l->depth_multiplier;
    const uint32_t channels = dmul ? 1u : in_c;
    const uint32_t kernel = (uint32_t)l->kernel_w * l->kernel_h;
    for (uint32_t oc = 0; oc < out_c; oc++) {
        reorder(scratch, weights + oc * channels * kernel, channels, kernel);
        const float *in_channel = in + (dmul ? oc / dmul : 0u);
        float *o = out + oc;
        for (uint32_t oy = 0; oy < out_h; oy++) {
            for (uint32_t ox = 0; ox < out_w; ox++) {
                eml_cnn_window win;
                eml_cnn_window_at(l, oy, ox, &win);
                float sum = 0.0f;
                if (win.ky1 > win.ky0 && win.kx1 > win.kx0) {
                    sum = window_sum(l, &win, in_channel + win.first * in_c, scratch, channels);
                }
                *o = activate(sum + bias[oc], l->activation);
                o += out_c;
            }
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
