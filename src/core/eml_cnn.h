/* Convolutional networks in TinyMaix's model format (.tmdl), int8 or float32.
 *
 * The models are the files emlearn-micropython's emlearn_cnn_int8 and
 * emlearn_cnn_fp32 load: TinyMaix's converter writes them from a Keras or
 * TensorFlow Lite model. A file is a 64-byte header and its layers, each a
 * 48-byte head and its parameters; docs/emlearn_cnn.md gives the layout.
 * Layers are supported as TinyMaix runs them: 2-D convolution (also
 * depthwise, strided, padded) with none/relu/relu1/relu6, global average
 * pooling, fully connected, softmax and reshape, on HWC tensors.
 *
 * eml_cnn_load validates a file completely (every offset, count and
 * dimension against the file and the working memory, every quantization
 * parameter), so that running it afterwards cannot read or write outside
 * the model, the arena or the caller's arrays. The model is used in place:
 * nothing is copied, and the caller keeps the file's bytes alive and
 * unchanged (4-byte aligned: the file holds floats and int32s).
 *
 * Running needs an arena of model->arena_size bytes (4-byte aligned): the
 * file's own buffer plan, where each layer reads and writes its tensors at
 * the offsets the converter chose, then room for one output channel's
 * convolution weights, reordered so the sums run along memory.
 *
 * Quantized arithmetic (int8 models) is TensorFlow Lite's: int32 sums of
 * int8 products, a per-channel rescale rounded to nearest, saturated to the
 * activation's range. TinyMaix instead truncates the rescaled float toward
 * zero; rounding is what the model was quantized for, and it is exact
 * integer arithmetic here (see eml_cnn_int8.c).
 */
#ifndef EML_CNN_H
#define EML_CNN_H

#include <stdint.h>

#include "eml_common.h"

#define EML_CNN_INT8 0      /* header model types */
#define EML_CNN_FP32 2

#define EML_CNN_HEADER_SIZE 64

/* Layer types. */
enum {
    EML_CNN_CONV2D = 0,
    EML_CNN_GAP = 1,
    EML_CNN_FC = 2,
    EML_CNN_SOFTMAX = 3,
    EML_CNN_RESHAPE = 4,
    EML_CNN_DWCONV2D = 5,
};

/* Activations of convolution layers. */
enum {
    EML_CNN_ACT_NONE = 0,
    EML_CNN_ACT_RELU = 1,
    EML_CNN_ACT_RELU1 = 2,
    EML_CNN_ACT_RELU6 = 3,
};

/* A layer's head, as stored (48 bytes, little-endian). dims[0] is the
 * number of dimensions (1 to 3), then height, width, channels (1 where
 * absent). The scales and zero points are used by int8 models only. */
typedef struct {
    uint16_t type;
    uint16_t is_output;
    uint32_t size;          /* bytes of this layer, head included */
    uint32_t in_offset;     /* input tensor, bytes into the arena */
    uint32_t out_offset;
    uint16_t in_dims[4];
    uint16_t out_dims[4];
    float in_scale;
    int32_t in_zero;
    float out_scale;
    int32_t out_zero;
} eml_cnn_head;

/* Convolution (and depthwise convolution) layer, 80 bytes. Weights are
 * [out channel][input channel][kernel row][kernel column]; a depthwise
 * layer (depth_multiplier >= 1) has one input channel per output channel,
 * out channel / depth_multiplier. Offsets count from the layer's start. */
typedef struct {
    eml_cnn_head head;
    uint8_t kernel_w, kernel_h, stride_w, stride_h;
    uint8_t dilation_w, dilation_h;
    uint16_t activation;
    uint8_t pad[4];         /* top, bottom, left, right */
    uint32_t depth_multiplier;
    uint32_t reserved;
    uint32_t scales_offset; /* int8: a float weight scale per out channel */
    uint32_t weights_offset;
    uint32_t bias_offset;   /* int32 (int8 models, input zero point folded in) or float */
} eml_cnn_conv;

/* Fully connected layer, 64 bytes. Weights are [output][input]; an int8
 * layer has one weight scale. */
typedef struct {
    eml_cnn_head head;
    uint32_t scales_offset;
    uint32_t weights_offset;
    uint32_t bias_offset;
    uint32_t reserved;
} eml_cnn_fc;

typedef struct {
    const uint8_t *data;    /* the file */
    const eml_cnn_head *output;     /* the output layer; the last one run */
    uint32_t n_layers;      /* layers run: up to the output layer */
    uint32_t arena_size;    /* working memory for run, bytes */
    uint32_t buffer_size;   /* the file's tensor buffer, at the arena's start */
    uint32_t weights_offset;        /* the reordered weights, in the arena */
    uint32_t n_inputs;      /* input values, height x width x channels */
    uint32_t n_outputs;
    uint16_t in_height, in_width, in_channels;
    uint8_t type;           /* EML_CNN_INT8 or EML_CNN_FP32 */
} eml_cnn;

/* The part of a convolution's kernel window at output (oy, ox) that lies
 * on the input (the rest is padding): kernel rows ky0 <= ky < ky1 and
 * columns kx0 <= kx < kx1, whose first input pixel is number `first`
 * (row-major). Shared by the int8 and float32 loops. */
typedef struct {
    uint32_t ky0, ky1, kx0, kx1;
    uint32_t first;
    uint32_t clipped;       /* whether part of the window is padding */
} eml_cnn_window;

static inline void eml_cnn_window_at(const eml_cnn_conv *l, uint32_t oy, uint32_t ox, eml_cnn_window *w) {
    const int32_t y0 = (int32_t)(oy * l->stride_h) - l->pad[0];
    const int32_t x0 = (int32_t)(ox * l->stride_w) - l->pad[2];
    const int32_t in_h = l->head.in_dims[1], in_w = l->head.in_dims[2];
    const int32_t kh = l->kernel_h, kw = l->kernel_w;
    w->ky0 = y0 < 0 ? (uint32_t)-y0 : 0u;
    w->kx0 = x0 < 0 ? (uint32_t)-x0 : 0u;
    w->ky1 = y0 + kh > in_h ? (uint32_t)(in_h - y0) : (uint32_t)kh;
    w->kx1 = x0 + kw > in_w ? (uint32_t)(in_w - x0) : (uint32_t)kw;
    if (w->ky1 < w->ky0 || (int32_t)w->ky1 < 0) {
        w->ky1 = w->ky0;    /* the window lies wholly in the padding */
    }
    if (w->kx1 < w->kx0 || (int32_t)w->kx1 < 0) {
        w->kx1 = w->kx0;
    }
    w->first = (uint32_t)((y0 + (int32_t)w->ky0) * in_w + x0 + (int32_t)w->kx0);
    w->clipped = w->ky0 | w->kx0 | (w->ky1 ^ (uint32_t)kh) | (w->kx1 ^ (uint32_t)kw);
}

/* Validates the file data[0:size] (4-byte aligned) and describes it in
 * *model. EML_ERR_FORMAT with *reason (a static message) when the file is
 * malformed or uses what is not supported. */
eml_status eml_cnn_load(eml_cnn *model, const uint8_t *data, uint32_t size, const char **reason);

/* The first layer's head. */
static inline const eml_cnn_head *eml_cnn_first(const eml_cnn *model) {
    return (const eml_cnn_head *)(model->data + EML_CNN_HEADER_SIZE);
}

/* The layer after h. */
static inline const eml_cnn_head *eml_cnn_next(const eml_cnn_head *h) {
    return (const eml_cnn_head *)((const uint8_t *)h + h->size);
}

/* Values in a tensor of these dims. */
static inline uint32_t eml_cnn_count(const uint16_t *dims) {
    return (uint32_t)dims[1] * dims[2] * dims[3];
}

/* a / b. The int8 and float32 files divide only through this: in an
 * armv6m native module each object that divides floats defines the
 * division helper (src/modules/armv6m_fdiv.h) globally, and mpy_ld refuses
 * two definitions. */
float eml_cnn_div(float a, float b);

/* Index of the largest of values[0:n] (the first of equals), n >= 1. */
uint32_t eml_cnn_argmax(const float *values, uint32_t n);

/* Softmax of x[0:n] into out[0:n] (may be x). */
void eml_cnn_softmax(const float *x, float *out, uint32_t n);

/* int8 models (eml_cnn_int8.c): put the input into the arena, from pixels
 * (0 to 255, read as pixel / 255, the convention of emlearn-micropython) or
 * from real values, quantized with the first layer's scale and zero point;
 * then run, writing the output layer's values (dequantized; softmax
 * probabilities unquantized) to out[0:model->n_outputs]. */
void eml_cnn_int8_input_pixels(const eml_cnn *model, uint8_t *arena, const uint8_t *pixels);
void eml_cnn_int8_input_floats(const eml_cnn *model, uint8_t *arena, const float *values);
void eml_cnn_int8_run(const eml_cnn *model, uint8_t *arena, float *out);

/* The same for float32 models (eml_cnn_fp32.c). */
void eml_cnn_fp32_input_pixels(const eml_cnn *model, uint8_t *arena, const uint8_t *pixels);
void eml_cnn_fp32_input_floats(const eml_cnn *model, uint8_t *arena, const float *values);
void eml_cnn_fp32_run(const eml_cnn *model, uint8_t *arena, float *out);

/* int8 rescale of a conv or fc channel: value = floor(sum * m * 2^-shift
 * + 1/2), m < 2^24, 1 <= shift <= 62, from the float multiplier
 * ws * in_scale / out_scale computed in single precision in that order.
 * EML_ERR_VALUE if that is not finite or not below 2^16. */
eml_status eml_cnn_rescale(float multiplier, uint32_t *m, uint32_t *shift);

#endif /* EML_CNN_H */
