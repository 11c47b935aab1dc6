/* Tree-ensemble predictor, loader and emlearn-compatible builder.
 * See eml_trees.h and docs/trees-format.md. */
#include "eml_trees.h"
#include "eml_math.h" /* eml_expf: a native module cannot link the host's libm */

#define FAIL(status, message) do { \
        if (reason != NULL) { \
            *reason = (message); \
        } \
        return (status); \
    } while (0)

typedef union {
    float f;
    uint32_t u;
} eml_trees_bits;

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16)
        | ((uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* Two's complement reinterpretation without implementation-defined casts. */
static int32_t u2s(uint32_t u) {
    return u <= 0x7fffffffu ? (int32_t)u : -(int32_t)(~u) - 1;
}

int32_t eml_trees_key(float f) {
    eml_trees_bits v;
    v.f = f;
    uint32_t b = v.u;
    if ((b & 0x7fffffffu) > 0x7f800000u) {
        return INT32_MAX;       /* NaN */
    }
    if (b == 0x80000000u) {
        b = 0;                  /* -0.0 */
    }
    return u2s(b ^ ((0u - (b >> 31)) >> 1));
}

int32_t eml_trees_floor_sat(float f) {
    if (!(f < 32767.0f)) {
        return 32767;           /* also NaN */
    }
    if (f < -32768.0f) {
        return -32769;
    }
    int32_t i = (int32_t)f;     /* truncates toward zero */
    if ((float)i > f) {
        i--;
    }
    return i;
}

/* ------------------------------------------------------------------------ */
/* Tree walks, specialised per (features x refs x thresholds x input): a loop
 * of integer loads and one compare per node. Validation guarantees that every
 * child index is greater than its node, so the loop ends. Returns the leaf's
 * pool offset. */

typedef uint32_t (*eml_trees_walk_fn)(const eml_trees *m, uint32_t tree, const void *x);

#define EML_TREES_SAME(v) ((int32_t)(v))
#define EML_TREES_KEY_I16(v) eml_trees_key((float)(v))

#define EML_TREES_WALK(name, FT, RT, TT, XT, CONV) \
    static uint32_t name(const eml_trees *m, uint32_t tree, const void *xv) { \
        const XT *x = (const XT *)xv; \
        const FT *feature = (const FT *)m->features; \
        const TT *threshold = (const TT *)m->thresholds; \
        const RT *left = (const RT *)m->left; \
        const RT *right = (const RT *)m->right; \
        const uint32_t n_nodes = m->n_nodes; \
        uint32_t ref = ((const RT *)m->roots)[tree]; \
        if (ref < n_nodes) { \
            do { /* rotated by hand: -Os would add a branch per node */ \
                const int32_t v = CONV(x[feature[ref]]); \
                ref = (v < (int32_t)threshold[ref]) ? left[ref] : right[ref]; \
            } while (ref < n_nodes); \
        } \
        return ref - n_nodes; \
    }

EML_TREES_WALK(walk_i16_n_i16, uint8_t, uint16_t, int16_t, int16_t, EML_TREES_SAME)
EML_TREES_WALK(walk_i16_w_i16, uint16_t, uint32_t, int16_t, int16_t, EML_TREES_SAME)
EML_TREES_WALK(walk_key_n_i16, uint8_t, uint16_t, int32_t, int16_t, EML_TREES_KEY_I16)
EML_TREES_WALK(walk_key_w_i16, uint16_t, uint32_t, int32_t, int16_t, EML_TREES_KEY_I16)
EML_TREES_WALK(walk_i16_n_f, uint8_t, uint16_t, int16_t, float, eml_trees_floor_sat)
EML_TREES_WALK(walk_i16_w_f, uint16_t, uint32_t, int16_t, float, eml_trees_floor_sat)
EML_TREES_WALK(walk_key_n_f, uint8_t, uint16_t, int32_t, float, eml_trees_key)
EML_TREES_WALK(walk_key_w_f, uint16_t, uint32_t, int32_t, float, eml_trees_key)

/* Index of the largest value (first on ties; NaN counts as largest, like
 * numpy.argmax), comparing order keys so no float compares are needed. */
static int32_t argmax_keys(const float *v, uint32_t n) {
    int32_t best = 0;
    int32_t best_key = eml_trees_key(v[0]);
    for (uint32_t k = 1; k < n; k++) {
        const int32_t key = eml_trees_key(v[k]);
        if (key > best_key) {
            best_key = key;
            best = (int32_t)k;
        }
    }
    return best;
}

static eml_status predict(const eml_trees *m, const void *x, eml_trees_walk_fn walk,
    float *out, int32_t *class_out) {
    const uint32_t n_out = m->n_outputs;
    int32_t best = -1;
    eml_trees_bits v;

    if (m->n_trees == 0) {
        return EML_ERR_VALUE;
    }
    for (uint32_t k = 0; k < n_out; k++) {
        out[k] = (m->init != NULL) ? m->init[k] : 0.0f;
    }
    for (uint32_t t = 0; t < m->n_trees; t++) {
        const uint32_t off = walk(m, t, x);
        if (m->kind == EML_TREES_KIND_CLASSIFIER) {
            const uint16_t *rec = (const uint16_t *)m->leaves + off;
            const uint32_t n = rec[0];
            if (m->pure) {
                /* Every record is `1, c, count`: count votes as integers in
                 * the bit patterns of out[] (0.0f is all zero bits). */
                v.f = out[rec[1]];
                v.u++;
                out[rec[1]] = v.f;
            } else if (n == 1) {
                out[rec[1]] += 1.0f;
            } else {
                uint32_t total = 0;
                for (uint32_t j = 0; j < n; j++) {
                    total += rec[2 + 2 * j];
                }
                const float w = 1.0f / (float)total;
                for (uint32_t j = 0; j < n; j++) {
                    out[rec[1 + 2 * j]] += (float)rec[2 + 2 * j] * w;
                }
            }
        } else {
            const float *rec = (const float *)m->leaves + off;
            const uint32_t to = m->tree_output[t];
            if (to == EML_TREES_ALL_OUTPUTS) {
                for (uint32_t k = 0; k < n_out; k++) {
                    out[k] += rec[k];
                }
            } else {
                out[to] += rec[0];
            }
        }
    }
    if (m->combine == EML_TREES_COMBINE_MEAN) {
        uint32_t best_votes = 0;
        for (uint32_t k = 0; k < n_out; k++) {
            if (m->pure) {
                v.f = out[k];
                if (v.u > best_votes) {
                    best_votes = v.u;
                    best = (int32_t)k;
                }
                out[k] = (float)v.u;
            }
            v.f = out[k];
            if ((v.u << 1) != 0) {      /* +-0 stays: no soft-float calls */
                out[k] *= m->inv_trees;
            }
        }
        if (m->kind == EML_TREES_KIND_CLASSIFIER && !m->pure) {
            best = argmax_keys(out, n_out);
        }
    } else if (m->combine == EML_TREES_COMBINE_LOGISTIC) {
        /* validated: n_outputs == 2 */
        const float r = out[1];
        best = argmax_keys(out, 2);
        const float s = 1.0f / (1.0f + eml_expf(-r));
        out[0] = 1.0f - s;
        out[1] = s;
    } else if (m->combine == EML_TREES_COMBINE_SOFTMAX) {
        best = argmax_keys(out, n_out);
        const float top = out[best];
        float sum = 0.0f;
        for (uint32_t k = 0; k < n_out; k++) {
            out[k] = eml_expf(out[k] - top);
            sum += out[k];
        }
        const float scale = 1.0f / sum;
        for (uint32_t k = 0; k < n_out; k++) {
            out[k] *= scale;
        }
    }
    if (class_out != NULL) {
        *class_out = best;
    }
    return EML_OK;
}

eml_status eml_trees_predict_int16(const eml_trees *m, const int16_t *x,
    float *out, int32_t *class_out) {
    eml_trees_walk_fn walk;
    switch (m->flags & (EML_TREES_FLAG_FLOAT | EML_TREES_FLAG_WIDE)) {
    case 0: walk = walk_i16_n_i16; break;
    case EML_TREES_FLAG_WIDE: walk = walk_i16_w_i16; break;
    case EML_TREES_FLAG_FLOAT: walk = walk_key_n_i16; break;
    default: walk = walk_key_w_i16; break;
    }
    return predict(m, x, walk, out, class_out);
}

eml_status eml_trees_predict_float(const eml_trees *m, const float *x,
    float *out, int32_t *class_out) {
    eml_trees_walk_fn walk;
    switch (m->flags & (EML_TREES_FLAG_FLOAT | EML_TREES_FLAG_WIDE)) {
    case 0: walk = walk_i16_n_f; break;
    case EML_TREES_FLAG_WIDE: walk = walk_i16_w_f; break;
    case EML_TREES_FLAG_FLOAT: walk = walk_key_n_f; break;
    default: walk = walk_key_w_f; break;
    }
    return predict(m, x, walk, out, class_out);
}

/* ------------------------------------------------------------------------ */
/* Validation shared by load and the builder. */

static uint32_t get_ref(const void *refs, int wide, uint32_t i) {
    return wide ? ((const uint32_t *)refs)[i] : ((const uint16_t *)refs)[i];
}

/* NULL when ref is acceptable from a node whose child nodes must be >= min_node. */
static const char *check_ref(const eml_trees *m, uint32_t ref, uint32_t min_node,
    uint32_t rec_len, int *impure) {
    if (ref < m->n_nodes) {
        return (ref < min_node) ? "node child index not after its node" : NULL;
    }
    const uint32_t off = ref - m->n_nodes;
    const uint32_t avail = m->n_leaf_words;
    if (off >= avail) {
        return "child or leaf ref out of range";
    }
    if (m->kind == EML_TREES_KIND_CLASSIFIER) {
        const uint16_t *rec = (const uint16_t *)m->leaves + off;
        const uint32_t n = rec[0];
        uint32_t total = 0;
        if (n == 0 || (avail - off - 1) / 2 < n) {
            return "leaf record empty or past end of pool";
        }
        for (uint32_t j = 0; j < n; j++) {
            if (rec[1 + 2 * j] >= m->n_outputs) {
                return "leaf class out of range";
            }
            total += rec[2 + 2 * j];
        }
        if (total == 0) {
            return "leaf counts sum to 0";
        }
        if (n != 1) {
            *impure = 1;
        }
    } else if (avail - off < rec_len) {
        return "leaf record past end of pool";
    }
    return NULL;
}

static const char *validate(eml_trees *m) {
    const int wide = (m->flags & EML_TREES_FLAG_WIDE) != 0;
    uint32_t rec_len = 1;
    int impure = 0;
    const char *bad = NULL;

    if (m->n_trees == 0 || m->n_features == 0 || m->n_outputs == 0) {
        return "n_trees, n_features and n_outputs must be >= 1";
    }
    if (!wide && m->n_features > 256) {
        return "n_features > 256 needs the WIDE layout";
    }
    if (m->kind == EML_TREES_KIND_CLASSIFIER && m->combine != EML_TREES_COMBINE_MEAN) {
        return "classifier leaves need combine 0";
    }
    if (m->combine == EML_TREES_COMBINE_LOGISTIC && m->n_outputs != 2) {
        return "combine 2 needs n_outputs 2";
    }
    if (m->kind == EML_TREES_KIND_VALUES) {
        for (uint32_t t = 0; t < m->n_trees; t++) {
            const uint32_t to = m->tree_output[t];
            if (to == EML_TREES_ALL_OUTPUTS) {
                rec_len = m->n_outputs;
            } else if (to >= m->n_outputs) {
                return "tree_output out of range";
            }
        }
    }
    for (uint32_t i = 0; i < m->n_nodes && bad == NULL; i++) {
        const uint32_t f = wide ? ((const uint16_t *)m->features)[i]
            : ((const uint8_t *)m->features)[i];
        if (f >= m->n_features) {
            return "node feature out of range";
        }
        bad = check_ref(m, get_ref(m->left, wide, i), i + 1, rec_len, &impure);
        if (bad == NULL) {
            bad = check_ref(m, get_ref(m->right, wide, i), i + 1, rec_len, &impure);
        }
    }
    for (uint32_t t = 0; t < m->n_trees && bad == NULL; t++) {
        bad = check_ref(m, get_ref(m->roots, wide, t), 0, rec_len, &impure);
    }
    m->pure = (m->kind == EML_TREES_KIND_CLASSIFIER && !impure) ? 1 : 0;
    m->inv_trees = 1.0f / (float)m->n_trees;
    return bad;
}

/* ------------------------------------------------------------------------ */
/* Loader */

#define EML_TREES_TOO_BIG 0xffffffffu

/* Reserve count << shift bytes, rounded up to 4, at *off and return where
 * they start; *off saturates at EML_TREES_TOO_BIG (never a valid size). */
static uint32_t section(uint32_t *off, uint32_t count, unsigned shift) {
    const uint32_t start = *off;
    const uint32_t bytes = (count > (0x3ffffffeu >> shift)) ? EML_TREES_TOO_BIG
        : ((count << shift) + 3u) & ~3u;
    *off = (start > 0xfffffffcu || bytes > 0xfffffffcu - start)
        ? EML_TREES_TOO_BIG : start + bytes;
    return start;
}

static const char *parse(eml_trees *t, const uint8_t *data, size_t length,
    eml_status *st) {
    const eml_trees_bits one = { 1.0f };

    *st = EML_ERR_VALUE;
    if (((uintptr_t)data & 3u) != 0) {
        return "model needs u32 alignment";
    }
    *st = EML_ERR_SIZE;
    if (length < EML_TREES_HEADER_SIZE) {
        return "file shorter than the header";
    }
    if ((uint64_t)rd32(data + 24) != (uint64_t)length) {
        return "file size does not match the header";
    }
    *st = EML_ERR_FORMAT;
    if (*(const uint8_t *)&one.u != 0) {
        return "big-endian host not supported";
    }
    if (rd32(data) != 0x544c4d45u) {
        return "bad magic (not an EMLT model)";
    }
    if (data[4] != 1) {
        return "unsupported format version";
    }
    t->kind = data[5];
    t->flags = data[6];
    t->combine = data[7];
    if (t->kind > EML_TREES_KIND_VALUES || t->combine > EML_TREES_COMBINE_SOFTMAX) {
        return "unknown kind or combine";
    }
    if ((t->flags & ~(EML_TREES_FLAG_FLOAT | EML_TREES_FLAG_WIDE)) != 0 || rd32(data + 28) != 0) {
        return "unknown flag bits or reserved field not 0";
    }
    t->n_features = rd16(data + 8);
    t->n_outputs = rd16(data + 10);
    t->n_trees = rd32(data + 12);
    t->n_nodes = rd32(data + 16);
    t->n_leaf_words = rd32(data + 20);

    const unsigned wide = (t->flags & EML_TREES_FLAG_WIDE) ? 1u : 0u;
    const unsigned values = t->kind;
    uint32_t off = EML_TREES_HEADER_SIZE;
    const uint32_t o_roots = section(&off, t->n_trees, 1u + wide);
    const uint32_t o_tree_output = values ? section(&off, t->n_trees, 1) : 0;
    const uint32_t o_init = t->combine ? section(&off, t->n_outputs, 2) : 0;
    const uint32_t o_features = section(&off, t->n_nodes, wide);
    const uint32_t o_thresholds = section(&off, t->n_nodes,
        (t->flags & EML_TREES_FLAG_FLOAT) ? 2u : 1u);
    const uint32_t o_left = section(&off, t->n_nodes, 1u + wide);
    const uint32_t o_right = section(&off, t->n_nodes, 1u + wide);
    const uint32_t o_leaves = section(&off, t->n_leaf_words, 1u + values);
    if (off == EML_TREES_TOO_BIG || off > length) {
        *st = EML_ERR_SIZE;
        return "sections extend past the end of the file";
    }
    if (off != length) {
        return "file size is not the end of the padded leaves";
    }
    /* Every offset is now inside the file and 4-byte aligned. */
    t->roots = data + o_roots;
    t->tree_output = values ? (const uint16_t *)(const void *)(data + o_tree_output) : NULL;
    t->init = t->combine ? (const float *)(const void *)(data + o_init) : NULL;
    t->features = data + o_features;
    t->thresholds = data + o_thresholds;
    t->left = data + o_left;
    t->right = data + o_right;
    t->leaves = data + o_leaves;
    return NULL;
}

eml_status eml_trees_load(eml_trees *m, const uint8_t *data, size_t length,
    const char **reason) {
    eml_trees t;
    eml_status st;
    const char *bad = parse(&t, data, length, &st);
    if (bad == NULL) {
        bad = validate(&t);
    }
    if (bad != NULL) {
        if (reason != NULL) {
            *reason = bad;
        }
        return st;
    }
    *m = t;
    return EML_OK;
}

/* ------------------------------------------------------------------------ */
/* Builder */

typedef struct {
    uint32_t roots, tree_output, features, thresholds, left, right, leaves, end;
} eml_trees_layout;

/* Narrow refs must hold every ref of a full builder (nodes, then 2 words per
 * class leaf record: records overlap, the pool is 1, c0, 1, c1, ..., 1) plus
 * the invalid marker 0xffff that finish gives a dangling emlearn index. */
static int builder_wide(uint32_t max_nodes, uint32_t max_leaves) {
    return (uint64_t)max_nodes + 2u * (uint64_t)max_leaves > 65534u;
}

static void builder_layout(uint32_t max_trees, uint32_t max_nodes, uint32_t max_leaves,
    unsigned wide, eml_trees_layout *l) {
    uint32_t off = 0;
    l->roots = section(&off, max_trees, 1u + wide);
    l->tree_output = section(&off, max_trees, 1);
    l->features = section(&off, max_nodes, wide);
    l->thresholds = section(&off, max_nodes, 1);
    l->left = section(&off, max_nodes, 1u + wide);
    l->right = section(&off, max_nodes, 1u + wide);
    /* a float per leaf while building; 2 u16 per leaf, plus 1, when finished */
    l->leaves = section(&off, max_leaves, 2);
    l->end = section(&off, 1, 2);
    l->end = off;
}

size_t eml_trees_builder_storage_size(uint32_t max_trees, uint32_t max_nodes,
    uint32_t max_leaves) {
    eml_trees_layout l;
    builder_layout(max_trees, max_nodes, max_leaves,
        (unsigned)builder_wide(max_nodes, max_leaves), &l);
    return (l.end == EML_TREES_TOO_BIG || (uint64_t)(size_t)l.end != l.end) ? 0 : (size_t)l.end;
}

eml_status eml_trees_builder_init(eml_trees_builder *b, void *storage,
    size_t storage_size, uint32_t max_trees, uint32_t max_nodes,
    uint32_t max_leaves) {
    uint8_t *s = (uint8_t *)storage;
    eml_trees_layout l;
    const size_t need = eml_trees_builder_storage_size(max_trees, max_nodes, max_leaves);

    if (((uintptr_t)s & 3u) != 0) {
        return EML_ERR_VALUE;
    }
    if (need == 0 || storage_size < need) {
        return EML_ERR_SIZE;
    }
    b->wide = (uint8_t)builder_wide(max_nodes, max_leaves);
    builder_layout(max_trees, max_nodes, max_leaves, b->wide, &l);
    b->roots = s + l.roots;
    b->tree_output = s + l.tree_output;
    b->features = s + l.features;
    b->thresholds = s + l.thresholds;
    b->left = s + l.left;
    b->right = s + l.right;
    b->leaves = s + l.leaves;
    b->max_trees = max_trees;
    b->max_nodes = max_nodes;
    b->max_leaves = max_leaves;
    b->n_trees = 0;
    b->n_nodes = 0;
    b->n_leaves = 0;
    b->n_features = -1;
    b->n_classes = -1;
    b->leaf_bits = 0;
    b->finished = 0;
    return EML_OK;
}

static int in_range(int32_t v, int32_t lo, int32_t hi) {
    return v >= lo && v <= hi;
}

eml_status eml_trees_builder_setdata(eml_trees_builder *b, int32_t n_features,
    int32_t n_classes, int32_t leaf_bits) {
    if (b->finished || !in_range(n_features, 1, 65535) || !in_range(n_classes, 0, 65535)
        || !(leaf_bits == 0 || leaf_bits == 1 || leaf_bits == 32)) {
        return EML_ERR_VALUE;
    }
    b->n_features = n_features;
    b->n_classes = n_classes;
    b->leaf_bits = (leaf_bits == 1) ? 0 : leaf_bits;
    return EML_OK;
}

/* A ref slot; while building it holds emlearn's int16 (two's complement). */
static void put_ref(uint8_t *refs, unsigned wide, uint32_t i, uint32_t v) {
    if (wide) {
        ((uint32_t *)(void *)refs)[i] = v;
    } else {
        ((uint16_t *)(void *)refs)[i] = (uint16_t)v;
    }
}

static int32_t get_raw(const uint8_t *refs, unsigned wide, uint32_t i) {
    const uint32_t u = get_ref(refs, (int)wide, i);
    return wide ? u2s(u) : ((u >= 0x8000u) ? (int32_t)u - 65536 : (int32_t)u);
}

static eml_status builder_check(eml_trees_builder *b, uint32_t count, uint32_t max,
    const char *full, const char **reason) {
    if (b->finished) {
        FAIL(EML_ERR_VALUE, "model already finished");
    }
    if (count >= max) {
        FAIL(EML_ERR_CAPACITY, full);
    }
    return EML_OK;
}

eml_status eml_trees_builder_addroot(eml_trees_builder *b, int32_t root,
    const char **reason) {
    const eml_status st = builder_check(b, b->n_trees, b->max_trees, "more trees than max_trees", reason);
    if (st != EML_OK) {
        return st;
    }
    if (!in_range(root, -32768, 32767)) {
        FAIL(EML_ERR_VALUE, "root out of int16 range");
    }
    put_ref(b->roots, b->wide, b->n_trees++, (uint32_t)root);
    return EML_OK;
}

eml_status eml_trees_builder_addnode(eml_trees_builder *b, int32_t left,
    int32_t right, int32_t feature, int32_t value, const char **reason) {
    const eml_status st = builder_check(b, b->n_nodes, b->max_nodes, "more nodes than max_nodes", reason);
    if (st != EML_OK) {
        return st;
    }
    if (!in_range(feature, 0, b->wide ? 65535 : 255)) {
        FAIL(EML_ERR_VALUE, "feature out of range");
    }
    if (!in_range(left, -32768, 32767) || !in_range(right, -32768, 32767)
        || !in_range(value, -32768, 32767)) {
        FAIL(EML_ERR_VALUE, "child or threshold out of int16 range");
    }
    const uint32_t i = b->n_nodes++;
    if (b->wide) {
        ((uint16_t *)(void *)b->features)[i] = (uint16_t)feature;
    } else {
        b->features[i] = (uint8_t)feature;
    }
    ((int16_t *)(void *)b->thresholds)[i] = (int16_t)value;
    put_ref(b->left, b->wide, i, (uint32_t)left);
    put_ref(b->right, b->wide, i, (uint32_t)right);
    return EML_OK;
}

/* Leaf values are kept as float bytes until finish; byte access keeps the
 * in-place conversion to u16 records free of aliasing questions. */
eml_status eml_trees_builder_addleaf(eml_trees_builder *b, float value,
    const char **reason) {
    eml_trees_bits v;
    const eml_status st = builder_check(b, b->n_leaves, b->max_leaves, "more leaves than max_leaves", reason);
    if (st != EML_OK) {
        return st;
    }
    uint8_t *p = b->leaves + 4u * b->n_leaves++;
    v.f = value;
    for (unsigned j = 0; j < 4; j++) {
        p[j] = (uint8_t)(v.u >> (8 * j));
    }
    return EML_OK;
}

/* emlearn child c of node i (or root, i = 0) as a ref; a dangling index gives
 * `bad`, which validation rejects. */
static uint32_t convert_raw(const eml_trees_builder *b, int32_t c, uint32_t i,
    uint32_t step, uint32_t bad) {
    if (c >= 0) {
        const uint32_t j = i + (uint32_t)c;
        return (j < b->n_nodes) ? j : bad;
    }
    const uint32_t ref = b->n_nodes + step * (uint32_t)(-(c + 1));
    return (ref < bad) ? ref : bad;
}

eml_status eml_trees_builder_finish(eml_trees_builder *b, eml_trees *m,
    const char **reason) {
    const unsigned wide = b->wide;
    const uint32_t bad = wide ? 0xffffffffu : 0xffffu;
    eml_trees *t = &b->model;
    eml_trees_bits v;

    if (b->finished == 1) {
        *m = b->model;
        return EML_OK;
    }
    if (b->finished) {
        FAIL(EML_ERR_FORMAT, "builder failed earlier");
    }
    if (b->n_features < 0 || b->n_classes < 0) {
        FAIL(EML_ERR_VALUE, "n_features and n_classes not set");
    }
    const int regress = (b->leaf_bits == 32 || b->n_classes == 0);
    const uint32_t step = regress ? 1u : 2u;

    /* Convert in place (total: dangling indices become `bad`), then validate.
     * The raw data is gone afterwards, so a failed builder stays failed. */
    b->finished = 2;
    for (uint32_t i = 0; i < b->n_nodes; i++) {
        put_ref(b->left, wide, i, convert_raw(b, get_raw(b->left, wide, i), i, step, bad));
        put_ref(b->right, wide, i, convert_raw(b, get_raw(b->right, wide, i), i, step, bad));
    }
    for (uint32_t k = 0; k < b->n_trees; k++) {
        put_ref(b->roots, wide, k, convert_raw(b, get_raw(b->roots, wide, k), 0, step, bad));
        ((uint16_t *)(void *)b->tree_output)[k] = EML_TREES_ALL_OUTPUTS;
    }
    if (!regress) {
        uint16_t *w = (uint16_t *)(void *)b->leaves;
        for (uint32_t k = 0; k < b->n_leaves; k++) {
            /* read the float bytes, then overwrite them with `1, c` */
            v.u = rd32(b->leaves + 4u * k);
            const int ok = v.f >= 0.0f && v.f < 65535.0f && (float)(int32_t)v.f == v.f;
            w[2 * k + 1] = ok ? (uint16_t)(int32_t)v.f : 0xffffu;   /* 0xffff: rejected */
            w[2 * k] = 1;
        }
        w[2 * b->n_leaves] = 1;
    }
    t->kind = regress ? EML_TREES_KIND_VALUES : EML_TREES_KIND_CLASSIFIER;
    t->flags = wide ? EML_TREES_FLAG_WIDE : 0;
    t->combine = EML_TREES_COMBINE_MEAN;
    t->n_features = (uint16_t)b->n_features;
    t->n_outputs = regress ? 1 : (uint16_t)b->n_classes;
    t->n_trees = b->n_trees;
    t->n_nodes = b->n_nodes;
    t->n_leaf_words = b->n_leaves * step + (regress ? 0u : 1u);
    t->roots = b->roots;
    t->tree_output = regress ? (const uint16_t *)(const void *)b->tree_output : NULL;
    t->init = NULL;
    t->features = b->features;
    t->thresholds = b->thresholds;
    t->left = b->left;
    t->right = b->right;
    t->leaves = b->leaves;
    const char *why = validate(t);
    if (why != NULL) {
        FAIL(EML_ERR_FORMAT, why);
    }
    b->finished = 1;
    *m = *t;
    return EML_OK;
}

/* ------------------------------------------------------------------------ */
/* CSV lines */

typedef struct {
    uint32_t mant;      /* first 9 significant digits */
    int32_t exp10;      /* value = mant * 10^exp10 */
    int neg;
} eml_trees_dec;

static int is_blank(char c) {
    return c == ' ' || c == '\t';
}

/* [blanks][sign]digits[.digits][e[sign]digits][blanks] in s[0, n), with
 * only [sign]digits when !frac. Returns 0 when malformed. */
static int parse_dec(const char *s, size_t n, int frac, eml_trees_dec *d) {
    size_t i = 0;
    int any = 0, digits = 0;
    d->mant = 0;
    d->exp10 = 0;
    d->neg = 0;
    while (n > 0 && is_blank(s[n - 1])) {
        n--;
    }
    while (i < n && is_blank(s[i])) {
        i++;
    }
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        d->neg = (s[i] == '-');
        i++;
    }
    for (int part = 0; part < 2; part++) {
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            const uint32_t v = (uint32_t)(s[i] - '0');
            any = 1;
            if (d->mant != 0 || v != 0) {
                if (digits < 9) {
                    d->mant = d->mant * 10u + v;
                    digits++;
                    d->exp10 -= part;
                } else {
                    d->exp10 += 1 - part;   /* integer digit beyond precision */
                }
            } else {
                d->exp10 -= part;           /* leading zero after the point */
            }
            if (d->exp10 < -100000) {
                return 0;
            }
        }
        if (part == 1 || !frac || i >= n || s[i] != '.') {
            break;
        }
        i++;
    }
    if (any && frac && i < n && (s[i] == 'e' || s[i] == 'E')) {
        eml_trees_dec e;
        if (!parse_dec(s + i + 1, n - i - 1, 0, &e) || e.exp10 != 0 || e.mant > 100000u) {
            return 0;
        }
        d->exp10 += e.neg ? -(int32_t)e.mant : (int32_t)e.mant;
        i = n;
    }
    return any && i == n;
}

/* Integer value, truncated toward zero and saturated to +-2^30 (outside
 * every field's range). */
static int32_t dec_trunc(const eml_trees_dec *d) {
    uint32_t v = d->mant;
    for (int32_t e = d->exp10; e > 0 && v != 0; e--) {
        v = (v >= (1u << 30) / 10u) ? (1u << 30) : v * 10u;
    }
    for (int32_t e = d->exp10; e < 0 && v != 0; e++) {
        v /= 10u;
    }
    return d->neg ? -(int32_t)v : (int32_t)v;
}

/* Within a few ulps: one rounding for mant, one per step of up to 10^10. */
static float dec_float(const eml_trees_dec *d) {
    float f = (float)d->mant;
    int32_t e = d->exp10;
    while (e != 0 && f != 0.0f && eml_isfinite(f)) {
        const int32_t k = (e > 10) ? 10 : (e < -10) ? -10 : e;
        float p = 1.0f;
        for (int32_t j = (k < 0) ? -k : k; j > 0; j--) {
            p *= 10.0f;
        }
        f = (k > 0) ? f * p : f / p;
        e -= k;
    }
    return d->neg ? -f : f;
}

eml_status eml_trees_csv_line(eml_trees_builder *b, const char *line,
    size_t len, const char **reason) {
    const char *end = line + len;
    const char *p = line;
    eml_trees_dec d[4];

    while (end > line && (end[-1] == '\n' || end[-1] == '\r')) {
        end--;
    }
    if (end == line) {
        return EML_OK;
    }
    const char *comma = p;
    while (comma < end && *comma != ',') {
        comma++;
    }
    while (p < comma && is_blank(*p)) {
        p++;
    }
    size_t kl = (size_t)(comma - p);
    while (kl > 0 && is_blank(p[kl - 1])) {
        kl--;
    }
    /* kind: f c l r n, or b for lb / lf */
    char kind = (kl == 1) ? p[0] : 0;
    if (kl == 2 && p[0] == 'l' && (p[1] == 'b' || p[1] == 'f')) {
        kind = 'b';
    }
    if (kind == 0 || (kind != 'b' && kind != 'f' && kind != 'c' && kind != 'l'
            && kind != 'r' && kind != 'n')) {
        FAIL(EML_ERR_FORMAT, "unknown CSV line kind");
    }
    const unsigned want = (kind == 'n') ? 4u : 1u;
    for (unsigned j = 0; j < want; j++) {
        if (comma == end) {
            FAIL(EML_ERR_FORMAT, "too few fields in CSV line");
        }
        p = comma + 1;
        for (comma = p; comma < end && *comma != ','; comma++) {
        }
        /* decimal: an l value, the n value; integers elsewhere */
        const int frac = (kind == 'l') || (kind == 'n' && j == 1);
        if (!parse_dec(p, (size_t)(comma - p), frac, &d[j])) {
            FAIL(EML_ERR_FORMAT, "malformed number in CSV line");
        }
    }
    if (comma != end) {
        FAIL(EML_ERR_FORMAT, "too many fields in CSV line");
    }
    const int32_t v = dec_trunc(&d[0]);
    if (b->finished) {
        FAIL(EML_ERR_VALUE, "model already finished");
    }
    if (kind == 'b') {
        if (!(v == 0 || v == 1 || v == 32)) {
            FAIL(EML_ERR_VALUE, "leaf bits not supported (0 or 32)");
        }
        b->leaf_bits = (v == 32) ? 32 : 0;
        return EML_OK;
    }
    if (kind == 'f' || kind == 'c') {
        if (!in_range(v, kind == 'f' ? 1 : 0, 65535)) {
            FAIL(EML_ERR_VALUE, "n_features or n_classes out of range");
        }
        *(kind == 'f' ? &b->n_features : &b->n_classes) = v;
        return EML_OK;
    }
    if (b->n_features < 0 || b->n_classes < 0) {
        FAIL(EML_ERR_FORMAT, "f and c lines must come before l, r and n");
    }
    if (kind == 'l') {
        const float f = dec_float(&d[0]);
        if (!eml_isfinite(f)) {
            FAIL(EML_ERR_VALUE, "leaf value out of float range");
        }
        return eml_trees_builder_addleaf(b, f, reason);
    }
    if (kind == 'r') {
        return eml_trees_builder_addroot(b, v, reason);
    }
    return eml_trees_builder_addnode(b, dec_trunc(&d[2]), dec_trunc(&d[3]), v,
        dec_trunc(&d[1]), reason);
}
