/* Tree-ensemble predictor for the emlearn_trees binary format, version 2
 * (docs/trees-format.md), plus a builder that accepts emlearn-micropython's
 * builder calls (new / setdata / addroot / addnode / addleaf) and produces
 * the same in-memory model.
 *
 * The model is used in place: eml_trees only points into the caller's buffer
 * (a loaded file, or the builder's storage), which must outlive it. Nothing is
 * allocated and no state is kept between calls. Multi-byte fields are read
 * natively, so the host must be little-endian (all supported targets are); the
 * loader reports a big-endian host as a format error.
 *
 * Build options (see eml_trees.c): EML_TREES_NO_VALUES leaves out regression
 * and gradient boosting (such files then fail to load), EML_TREES_NO_BUILDER
 * the builder functions.
 */
#ifndef EML_TREES_H
#define EML_TREES_H

#include "eml_common.h"

#define EML_TREES_HEADER_SIZE 32u
#define EML_TREES_VERSION 2u

/* header kind */
#define EML_TREES_KIND_CLASSIFIER 0u    /* leaves are classes or u8/u16 class-count records */
#define EML_TREES_KIND_VALUES 1u        /* leaves are float32 records */
/* header flags */
#define EML_TREES_FLAG_FLOAT 1u         /* thresholds are int32 keys of float32 */
#define EML_TREES_FLAG_WIDE 2u          /* u16 features, u32 refs */
#define EML_TREES_FLAG_T8 4u            /* int8 thresholds */
#define EML_TREES_FLAG_C16 8u           /* classifier records in u16 words */
/* header combine */
#define EML_TREES_COMBINE_MEAN 0u
#define EML_TREES_COMBINE_SUM 1u
#define EML_TREES_COMBINE_LOGISTIC 2u
#define EML_TREES_COMBINE_SOFTMAX 3u

#define EML_TREES_ALL_OUTPUTS 0xFFFFu   /* tree_output: the leaf holds every output */

typedef struct {
    uint8_t kind;
    uint8_t flags;
    uint8_t combine;
    uint16_t n_features;
    uint16_t n_outputs;
    uint32_t n_trees;
    uint32_t n_nodes;
    uint32_t n_leaf_words;
    uint32_t share;             /* derived: floor(2^31 / n_trees), a tree's whole vote */
    float inv_trees;            /* derived: 1 / n_trees, for regressors */
    const void *roots;          /* n_trees refs: uint16_t, or uint32_t when WIDE */
    const uint16_t *tree_output;/* n_trees, only for kind 1 (else NULL) */
    const float *init;          /* n_outputs, only when combine != 0 (else NULL) */
    const void *features;       /* n_nodes: uint8_t, or uint16_t when WIDE */
    const void *thresholds;     /* n_nodes: int16_t, int8_t (T8) or int32_t keys (FLOAT) */
    const void *left;           /* n_nodes refs */
    const void *right;          /* n_nodes refs */
    const void *leaves;         /* n_leaf_words: uint8_t, uint16_t (C16) or float (kind 1) */
} eml_trees;

/* Check a model file of `length` bytes at `data` and point m into it.
 * Every check of "Validation at load" in docs/trees-format.md is done here, so
 * a model that loads can never make a prediction read out of bounds or loop.
 * On failure *reason (if reason is not NULL) is set to a short static English
 * message and the status is:
 *   EML_ERR_VALUE   data is not 4-byte aligned (only this; copy the bytes to an
 *                   aligned buffer and try again)
 *   EML_ERR_SIZE    length is shorter than the header or than its sections
 *   EML_ERR_FORMAT  anything else that is wrong with the contents */
eml_status eml_trees_load(eml_trees *m, const uint8_t *data, size_t length,
    const char **reason);

/* Predict one sample of m->n_features values, int16 (is_float 0) or float
 * (is_float 1). Writes m->n_outputs floats to out (the caller guarantees
 * room; classifiers use it as integer accumulators on the way). *class_out
 * (if not NULL) is set to the index of the largest output (the first on
 * ties, like numpy.argmax) for classifiers (kind 0), to the argmax of the
 * raw sums (init + leaf values) for combine 2 and 3, and to -1 for
 * regressors. EML_ERR_VALUE: m is not a loaded model (n_trees == 0). */
eml_status eml_trees_predict(const eml_trees *m, const void *x, int is_float,
    float *out, int32_t *class_out);

/* eml_trees_predict for when only *class_out is wanted: a classifier's out
 * is left holding its integer accumulators (n_outputs 32-bit words, as
 * scratch), which saves converting them to floats. Regressors fill out as
 * eml_trees_predict does. */
eml_status eml_trees_predict_class(const eml_trees *m, const void *x, int is_float,
    float *out, int32_t *class_out);

static inline eml_status eml_trees_predict_int16(const eml_trees *m, const int16_t *x,
    float *out, int32_t *class_out) {
    return eml_trees_predict(m, x, 0, out, class_out);
}

static inline eml_status eml_trees_predict_float(const eml_trees *m, const float *x,
    float *out, int32_t *class_out) {
    return eml_trees_predict(m, x, 1, out, class_out);
}

/* The order key of a float: -0.0 as +0.0, every NaN as INT32_MAX, otherwise
 * b ^ ((b >> 31) & 0x7fffffff) of the bit pattern b, read as int32. Keys
 * compare like the floats they come from. */
int32_t eml_trees_key(float f);

/* floor(f) saturated to [-32769, 32767]; NaN gives 32767. This is how a float
 * input is compared with integer thresholds. */
int32_t eml_trees_floor_sat(float f);

/* ------------------------------------------------------------------------ */
/* Builder: emlearn-micropython's new / setdata / addroot / addnode / addleaf.
 *
 * emlearn's encoding: a root is an absolute node index; a child c >= 0 is the
 * node (this node's index + c), c < 0 is leaf -c-1; go left iff
 * x[feature] < value with value an int16. Leaves are class indices (majority
 * vote, ties to the lowest class) or, for regressors, float values averaged
 * over the trees. A model is a regressor when leaf_bits is 32 or n_classes is
 * 0 (then it has 1 output); leaf_bits 1..8 (quantized class proportions) are
 * not supported. finish() converts in place to the layout above (int16
 * thresholds, narrow or wide as the capacities require; each class leaf
 * becomes a pure-leaf ref, so the mean of the trees equals emlearn's vote
 * fraction and argmax its majority vote) and validates it exactly as
 * eml_trees_load does. Thresholds must fit emlearn's int16 field; roots and
 * children may be any index within the capacities (emlearn-micropython keeps
 * them in int16, which limits its models to 32767 nodes). Out-of-range
 * values are rejected, not wrapped. */
typedef struct {
    eml_trees model;
    uint8_t *roots;
    uint8_t *tree_output;
    uint8_t *features;
    uint8_t *thresholds;
    uint8_t *left;
    uint8_t *right;
    float *leaves;
    uint32_t max_trees, max_nodes, max_leaves;
    uint32_t n_trees, n_nodes, n_leaves;
    int32_t n_features;         /* -1 until set */
    int32_t n_classes;          /* -1 until set */
    int32_t leaf_bits;
    uint8_t wide;
    uint8_t finished;           /* 0 building, 1 finished, 2 failed */
} eml_trees_builder;

/* Bytes of storage a builder with these capacities needs; 0 if it does not
 * fit in size_t. */
size_t eml_trees_builder_storage_size(uint32_t max_trees, uint32_t max_nodes,
    uint32_t max_leaves);

/* Start a builder in caller storage (4-byte aligned, at least
 * eml_trees_builder_storage_size bytes, must outlive the model).
 * EML_ERR_VALUE: storage not 4-byte aligned. EML_ERR_SIZE: too small. */
eml_status eml_trees_builder_init(eml_trees_builder *b, void *storage,
    size_t storage_size, uint32_t max_trees, uint32_t max_nodes,
    uint32_t max_leaves);

/* n_features 1..65535, n_classes 0..65535, leaf_bits 0 or 32 (1 is taken as
 * 0, like emlearn). May be called again (emlearn's loader calls it after
 * every line) until finish. EML_ERR_VALUE, with the reason, when out of
 * range or after finish. */
eml_status eml_trees_builder_setdata(eml_trees_builder *b, int32_t n_features,
    int32_t n_classes, int32_t leaf_bits, const char **reason);

/* EML_ERR_CAPACITY ("more trees than max_trees" / ... nodes / ... leaves)
 * when full; EML_ERR_VALUE after finish, or when a value is out of range: a
 * threshold outside int16, a feature beyond the layout's field, a root or
 * child that names a node beyond max_nodes or a leaf beyond max_leaves. */
eml_status eml_trees_builder_addroot(eml_trees_builder *b, int32_t root,
    const char **reason);
eml_status eml_trees_builder_addnode(eml_trees_builder *b, int32_t left,
    int32_t right, int32_t feature, int32_t value, const char **reason);
eml_status eml_trees_builder_addleaf(eml_trees_builder *b, float value,
    const char **reason);

/* The n_outputs the finished model will have: 1 for a regressor (leaf bits
 * 32 or no classes), else n_classes; 1 while setdata was never called. */
uint32_t eml_trees_builder_outputs(const eml_trees_builder *b);

/* Convert and validate; on success *m is the model (pointing into the
 * builder's storage) and later add calls fail; calling finish again gives
 * the same model. EML_ERR_VALUE when n_features / n_classes were never set
 * (the builder is unchanged then); EML_ERR_FORMAT with the validation reason
 * otherwise, after which the builder is spent (the conversion is in place:
 * dangling emlearn indices become refs that validation rejects). */
eml_status eml_trees_builder_finish(eml_trees_builder *b, eml_trees *m,
    const char **reason);

#endif /* EML_TREES_H */
