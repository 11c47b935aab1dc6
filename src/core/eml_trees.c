/* Tree-ensemble predictor, loader and emlearn-compatible builder.
 * See eml_trees.h and docs/trees-format.md. */
#include <string.h>

#include "eml_trees.h"
#include "eml_math.h" /* eml_expf: a native module cannot link the host's libm */

/* Build options, for programs that need less (a native module's code lives
 * in RAM, so leaving out what a device never runs frees RAM):
 *   EML_TREES_NO_VALUES   classifiers only: the loader rejects regression and
 *                         gradient boosting models (kind 1), and the float
 *                         arithmetic they need is not compiled in.
 *   EML_TREES_NO_BUILDER  no eml_trees_builder_* functions (emlearn's
 *                         new / addnode / ... API and its CSV files). */
#ifdef EML_TREES_NO_VALUES
#define EML_TREES_VALUES 0
#else
#define EML_TREES_VALUES 1
#endif

#define FAIL(status, message) do { \
        if (reason != NULL) { \
            *reason = (message); \
        } \
        return (status); \
    } while (0)

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16)
        | ((uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

int32_t eml_trees_key(float f) {
    if ((eml_float_bits(f) & EML_ABS_MASK) > EML_EXP_MASK) {
        return INT32_MAX;       /* NaN */
    }
    return eml_float_key(f);
}

/* On the bit pattern: float compares and conversions would be libgcc calls
 * on soft-float targets. */
int32_t eml_trees_floor_sat(float f) {
    const uint32_t b = eml_float_bits(f);
    const uint32_t a = b & EML_ABS_MASK;
    const int neg = (b >> 31) != 0;
    if (a > EML_EXP_MASK) {
        return 32767;                       /* NaN goes right */
    }
    if (a >= 0x47000000u) {                 /* |f| >= 2^15, or infinite */
        return !neg ? 32767 : (a == 0x47000000u ? -32768 : -32769);
    }
    if (a < 0x3f800000u) {                  /* |f| < 1 */
        return (neg && a != 0) ? -1 : 0;
    }
    const uint32_t shift = 150u - (a >> 23);   /* 9..23 */
    const uint32_t m = (a & 0x007fffffu) | 0x00800000u;
    const int32_t i = (int32_t)(m >> shift);
    if (!neg) {
        return i;
    }
    return -i - (((m & ((1u << shift) - 1u)) != 0) ? 1 : 0);
}

/* ------------------------------------------------------------------------ */
/* Tree walks: a loop of integer loads and one compare per node. Validation
 * guarantees that every child index is greater than its node, so the loop
 * ends. They return the leaf value L = ref - n_nodes. The common layouts
 * get a specialised loop; every other combination takes walk_any. */

#define EML_TREES_SAME(v) ((int32_t)(v))

/* The narrow-layout arrays, as the locals EML_TREES_DESCEND and EML_TREES_CHILD use. */
#define EML_TREES_NARROW_LOCALS(TT, XT) \
    const XT *x = (const XT *)xv; \
    const uint8_t *feature = (const uint8_t *)m->features; \
    const TT *threshold = (const TT *)m->thresholds; \
    const uint16_t *left = (const uint16_t *)m->left; \
    const uint16_t *right = (const uint16_t *)m->right; \
    const uint32_t n_nodes = m->n_nodes

/* The child of node ref that input value v (converted by CONV) goes to. */
#define EML_TREES_CHILD(ref, v) (((v) < (int32_t)threshold[ref]) ? left[ref] : right[ref])

/* From ref down to a leaf ref (>= n_nodes). */
#define EML_TREES_DESCEND(ref, CONV) \
    if (ref < n_nodes) { \
        do { /* rotated by hand: -Os would add a branch per node */ \
            const int32_t v = CONV(x[feature[ref]]); \
            ref = EML_TREES_CHILD(ref, v); \
        } while (ref < n_nodes); \
    }

#define EML_TREES_WALK(name, TT, XT, CONV) \
    static uint32_t name(const eml_trees *m, uint32_t tree, const void *xv) { \
        EML_TREES_NARROW_LOCALS(TT, XT); \
        uint32_t ref = ((const uint16_t *)m->roots)[tree]; \
        EML_TREES_DESCEND(ref, CONV) \
        return ref - n_nodes; \
    }

EML_TREES_WALK(walk_i16, int16_t, int16_t, EML_TREES_SAME)
EML_TREES_WALK(walk_i8, int8_t, int16_t, EML_TREES_SAME)
EML_TREES_WALK(walk_key_f, int32_t, float, eml_trees_key)

static uint32_t get_ref(const void *refs, int wide, uint32_t i) {
    return wide ? ((const uint32_t *)refs)[i] : ((const uint16_t *)refs)[i];
}

static int32_t threshold_at(const eml_trees *m, uint32_t i) {
    if (m->flags & EML_TREES_FLAG_FLOAT) {
        return ((const int32_t *)m->thresholds)[i];
    }
    if (m->flags & EML_TREES_FLAG_T8) {
        return ((const int8_t *)m->thresholds)[i];
    }
    return ((const int16_t *)m->thresholds)[i];
}

static int32_t input_at(const eml_trees *m, const void *x, int is_float, uint32_t f) {
    const int key = (m->flags & EML_TREES_FLAG_FLOAT) != 0;
    if (is_float) {
        const float v = ((const float *)x)[f];
        return key ? eml_trees_key(v) : eml_trees_floor_sat(v);
    }
    const int32_t v = ((const int16_t *)x)[f];
    return key ? eml_trees_key(eml_int16_to_float(v)) : v;
}

static uint32_t walk_any(const eml_trees *m, uint32_t tree, const void *x, int is_float) {
    const int wide = (m->flags & EML_TREES_FLAG_WIDE) != 0;
    uint32_t ref = get_ref(m->roots, wide, tree);
    while (ref < m->n_nodes) {
        const uint32_t f = wide ? ((const uint16_t *)m->features)[ref]
            : ((const uint8_t *)m->features)[ref];
        const int left = input_at(m, x, is_float, f) < threshold_at(m, ref);
        ref = get_ref(left ? m->left : m->right, wide, ref);
    }
    return ref - m->n_nodes;
}

/* Which specialised walk fits the model's layout and the input type. A tag,
 * not a function pointer: a build without regression (emlearn_trees_lite)
 * then has no use for the single-tree walks and leaves them out. */
typedef enum { WALK_ANY, WALK_I16, WALK_I8, WALK_KEY_F } eml_trees_walk_kind;

static eml_trees_walk_kind choose_walk(const eml_trees *m, int is_float) {
    const unsigned layout = m->flags & (EML_TREES_FLAG_FLOAT | EML_TREES_FLAG_WIDE | EML_TREES_FLAG_T8);
    if (layout == 0 && !is_float) {
        return WALK_I16;
    }
    if (layout == EML_TREES_FLAG_T8 && !is_float) {
        return WALK_I8;
    }
    if (layout == EML_TREES_FLAG_FLOAT && is_float) {
        return WALK_KEY_F;
    }
    return WALK_ANY;
}

/* One tree's leaf value, by the walk that fits. */
static uint32_t walk(const eml_trees *m, eml_trees_walk_kind kind, uint32_t tree,
    const void *x, int is_float) {
    switch (kind) {
        case WALK_I16: return walk_i16(m, tree, x);
        case WALK_I8: return walk_i8(m, tree, x);
        case WALK_KEY_F: return walk_key_f(m, tree, x);
        default: return walk_any(m, tree, x, is_float);
    }
}

/* ------------------------------------------------------------------------ */
/* Classifier votes, in integers (docs/trees-format.md, "Combining trees").
 * The accumulators live in the caller's output floats; memcpy keeps that
 * free of aliasing questions and compiles to plain loads and stores. GCC
 * does not take a float pointer's alignment for granted, so where unaligned
 * word accesses fault (Cortex-M0, RISC-V) it calls memcpy for each access
 * at -Os unless ACC_ALIGNED tells it: the calls cost the benchmark's
 * predict 3200 instructions on Cortex-M0 and 2750 on RV32IMC. Elsewhere the
 * hint changes nothing but register allocation (Cortex-M3: 73 instructions
 * more per predict), so it is left out. */
#if defined(__GNUC__) && ((defined(__arm__) && !defined(__ARM_FEATURE_UNALIGNED)) || defined(__riscv))
#define ACC_ALIGNED(p) __builtin_assume_aligned((p), sizeof(float))
#else
#define ACC_ALIGNED(p) (p)
#endif

static uint32_t acc_get(const float *out, uint32_t k) {
    uint32_t u;
    memcpy(&u, ACC_ALIGNED(out + k), sizeof u);
    return u;
}

static void acc_set(float *out, uint32_t k, uint32_t u) {
    memcpy(ACC_ALIGNED(out + k), &u, sizeof u);
}

static uint32_t pool_word(const eml_trees *m, uint32_t i) {
    return (m->flags & EML_TREES_FLAG_C16) ? ((const uint16_t *)m->leaves)[i]
        : ((const uint8_t *)m->leaves)[i];
}

/* Sum of a record's counts; 0 when a class is out of range (validation). */
static uint32_t record_total(const eml_trees *m, uint32_t off) {
    const uint32_t n = pool_word(m, off);
    uint32_t total = 0;
    for (uint32_t j = 0; j < n; j++) {
        if (pool_word(m, off + 1 + 2 * j) >= m->n_outputs) {
            return 0;
        }
        total += pool_word(m, off + 2 + 2 * j);
    }
    return total;
}

/* Add floor(count_j * share / total) to each class of the record.
 * Validation has checked the classes and that total is 1..65535, so a
 * record has at least one entry and the loops test at the end (-Os would
 * not rotate them, which costs a branch per entry). SHARE_SETUP and
 * SHARE(c) compute the floor, after total is known. */
#if !defined(EML_TREES_INTEGER_VOTES) && (defined(__x86_64__) || defined(__aarch64__))
/* With a double-precision FPU, one division per record instead of one per
 * class (an integer division costs 10 to 40 cycles on x86-64; they were the
 * hottest instructions of a prediction). x = count_j * share / total < 2^31,
 * and count_j * w has a relative error under 2^-51.9, so an absolute error
 * under 2^-21; adding 2^-18 (rounded within 2^-22) before truncating then
 * gives floor(x) exactly: an integer x stays in [x, x + 1), and a fractional
 * part of x lies in [1 / total, 1 - 1 / total], at least 2^-16 from an
 * integer. tests/core builds test_trees_intvotes to check the integer path
 * too. */
#define EML_TREES_SHARE_SETUP const double w = (double)m->share / (double)total
#define EML_TREES_SHARE(c) ((uint32_t)((double)(c) * w + 0x1p-18))
#else
/* share = q * total + r, so the floor is c * q + c * r / total, with
 * c * r < total^2 <= 65535^2 in 32 bits. */
#define EML_TREES_SHARE_SETUP \
    const uint32_t q = m->share / total; \
    const uint32_t r = m->share - q * total
#define EML_TREES_SHARE(c) ((c) * q + ((c) * r) / total)
#endif

#define EML_TREES_VOTE_RECORD(WT) do { \
        const WT *rec = (const WT *)m->leaves + off; \
        const WT *end = rec + 1 + 2 * (uint32_t)rec[0]; \
        const WT *e = rec + 1; \
        uint32_t total = 0; \
        do { \
            total += e[1]; \
            e += 2; \
        } while (e != end); \
        EML_TREES_SHARE_SETUP; \
        e = rec + 1; \
        do { \
            const uint32_t k = e[0]; \
            const uint32_t c = e[1]; \
            acc_set(out, k, acc_get(out, k) + EML_TREES_SHARE(c)); \
            e += 2; \
        } while (e != end); \
    } while (0)

static void vote_record(const eml_trees *m, uint32_t off, float *out) {
    if (m->flags & EML_TREES_FLAG_C16) {
        EML_TREES_VOTE_RECORD(uint16_t);
    } else {
        EML_TREES_VOTE_RECORD(uint8_t);
    }
}

/* A tree's vote for leaf value `leaf`: a pure leaf, or a record. Inlined
 * into each walk loop (-Os would call it, 3 more instructions per tree). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void vote(const eml_trees *m, uint32_t leaf, float *out) {
    if (leaf < m->n_outputs) {
        acc_set(out, leaf, acc_get(out, leaf) + m->share);
    } else {
        vote_record(m, leaf - m->n_outputs, out);
    }
}

/* Every tree's vote, for the common narrow layouts: the walk of
 * EML_TREES_WALK inlined with the model's fields in registers. Each is kept
 * out of its caller (EML_NOINLINE) so the walk has every register to
 * itself: inlined into eml_trees_predict, GCC spills the array pointers and
 * the node step grows from 9 to 12 Cortex-M3 instructions.
 *
 * Out-of-order hosts walk a batch of trees first and vote after: the walks
 * are then independent chains of loads that overlap, not separated by the
 * branches of the record loops (x86-64: 10% faster). They also step two
 * trees in one loop until either reaches a leaf, two chains of loads side by
 * side (the x86-64 module: 5% faster per predict, 2% per batch row; in a C
 * harness the effect moves with code placement, from 2% slower to 12%
 * faster; three or four trees at a time were no faster). On in-order
 * microcontrollers batching only costs the extra stores and spills
 * (Cortex-M3: about 30 instructions per tree), so they vote as each walk
 * ends. */
#if defined(__x86_64__) || defined(__aarch64__)
#define EML_TREES_BATCH 16u
#define EML_TREES_VOTES(name, TT, XT, CONV) \
    static EML_NOINLINE void name(const eml_trees *m, const void *xv, float *out) { \
        EML_TREES_NARROW_LOCALS(TT, XT); \
        const uint16_t *roots = (const uint16_t *)m->roots; \
        uint32_t leaf[EML_TREES_BATCH]; \
        for (uint32_t t0 = 0; t0 < m->n_trees; t0 += EML_TREES_BATCH) { \
            const uint32_t left_over = m->n_trees - t0; \
            const uint32_t n = left_over < EML_TREES_BATCH ? left_over : EML_TREES_BATCH; \
            uint32_t i = 0; \
            for (; i + 1 < n; i += 2) { \
                uint32_t a = roots[t0 + i], b = roots[t0 + i + 1]; \
                while (a < n_nodes && b < n_nodes) { \
                    const int32_t va = CONV(x[feature[a]]); \
                    const int32_t vb = CONV(x[feature[b]]); \
                    a = EML_TREES_CHILD(a, va); \
                    b = EML_TREES_CHILD(b, vb); \
                } \
                EML_TREES_DESCEND(a, CONV) \
                EML_TREES_DESCEND(b, CONV) \
                leaf[i] = a - n_nodes; \
                leaf[i + 1] = b - n_nodes; \
            } \
            if (i < n) { \
                uint32_t ref = roots[t0 + i]; \
                EML_TREES_DESCEND(ref, CONV) \
                leaf[i] = ref - n_nodes; \
            } \
            for (uint32_t i = 0; i < n; i++) { \
                vote(m, leaf[i], out); \
            } \
        } \
    }
#else
#define EML_TREES_VOTES(name, TT, XT, CONV) \
    static EML_NOINLINE void name(const eml_trees *m, const void *xv, float *out) { \
        EML_TREES_NARROW_LOCALS(TT, XT); \
        const uint16_t *roots = (const uint16_t *)m->roots; \
        const uint16_t *roots_end = roots + m->n_trees; /* >= 1, see predict */ \
        do { \
            uint32_t ref = *roots++; \
            EML_TREES_DESCEND(ref, CONV) \
            vote(m, ref - n_nodes, out); \
        } while (roots != roots_end); \
    }
#endif

EML_TREES_VOTES(votes_i16, int16_t, int16_t, EML_TREES_SAME)
EML_TREES_VOTES(votes_i8, int8_t, int16_t, EML_TREES_SAME)
EML_TREES_VOTES(votes_key_f, int32_t, float, eml_trees_key)

/* u * 2^-31 as the nearest float (ties to even). With an FPU the conversion
 * of u rounds that way (the default rounding mode) and the scaling is exact;
 * soft float builds it from the integer bits instead of calling libgcc. */
#if !EML_SOFT_FLOAT && !defined(EML_TREES_INTEGER_VOTES)
static float from_q31(uint32_t u) {
    return (float)u * 0x1p-31f;
}
#else
/* Without branches on the value: u normalised to bit 31, its significand
 * rounded by eml_round_significand. */
static float from_q31(uint32_t u) {
    if (u == 0) {
        return 0.0f;
    }
    const uint32_t n = eml_leading_zeros(u);
    /* u * 2^-31 = 1.f * 2^(-n): biased exponent 127 - n, less the 1 that
     * the significand's top bit adds to the exponent field */
    return eml_bits_float(((126u - n) << 23) + eml_round_significand(u << n));
}
#endif

static int32_t classify(const eml_trees *m, const void *x, int is_float,
    eml_trees_walk_kind kind, float *out, int convert) {
    const uint32_t n_out = m->n_outputs;
    for (uint32_t k = 0; k < n_out; k++) {
        acc_set(out, k, 0);
    }
    if (kind == WALK_I16) {
        votes_i16(m, x, out);
    } else if (kind == WALK_I8) {
        votes_i8(m, x, out);
    } else if (kind == WALK_KEY_F) {
        votes_key_f(m, x, out);
    } else {
        for (uint32_t t = 0; t < m->n_trees; t++) {
            vote(m, walk_any(m, t, x, is_float), out);
        }
    }
    /* The first largest accumulator; out[k] converted on the way when asked.
     * n_out >= 1 (validated), so the loops test at the end, which -Os does
     * not do by itself (a branch less per output). */
    int32_t best = 0;
    uint32_t best_acc = 0;
    uint32_t k = 0;
#define EML_TREES_ARGMAX_STEP(a) \
    if ((a) > best_acc) { \
        best_acc = (a); \
        best = (int32_t)k; \
    }
    if (convert) {
        do {
            const uint32_t a = acc_get(out, k);
            EML_TREES_ARGMAX_STEP(a)
            out[k] = from_q31(a);
        } while (++k < n_out);
    } else {
        do {
            const uint32_t a = acc_get(out, k);
            EML_TREES_ARGMAX_STEP(a)
        } while (++k < n_out);
    }
#undef EML_TREES_ARGMAX_STEP
    return best;
}

/* ------------------------------------------------------------------------ */
/* Regressors and gradient boosting: float leaf values. */

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

static int32_t regress(const eml_trees *m, const void *x, int is_float,
    eml_trees_walk_kind kind, float *out) {
    const uint32_t n_out = m->n_outputs;
    const float *pool = (const float *)m->leaves;
    int32_t best = -1;

    for (uint32_t k = 0; k < n_out; k++) {
        out[k] = (m->init != NULL) ? m->init[k] : 0.0f;
    }
    for (uint32_t t = 0; t < m->n_trees; t++) {
        const float *rec = pool + walk(m, kind, t, x, is_float);
        const uint32_t to = m->tree_output[t];
        if (to == EML_TREES_ALL_OUTPUTS) {
            for (uint32_t k = 0; k < n_out; k++) {
                out[k] += rec[k];
            }
        } else {
            out[to] += rec[0];
        }
    }
    if (m->combine == EML_TREES_COMBINE_MEAN) {
        for (uint32_t k = 0; k < n_out; k++) {
            out[k] *= m->inv_trees;
        }
    } else if (m->combine == EML_TREES_COMBINE_LOGISTIC) {
        /* validated: n_outputs == 2 */
        best = argmax_keys(out, 2);
        const float s = 1.0f / (1.0f + eml_expf(eml_neg(out[1])));
        out[0] = 1.0f + eml_neg(s);
        out[1] = s;
    } else if (m->combine == EML_TREES_COMBINE_SOFTMAX) {
        best = argmax_keys(out, n_out);
        const float top = out[best];
        float sum = 0.0f;
        for (uint32_t k = 0; k < n_out; k++) {
            out[k] = eml_expf(out[k] + eml_neg(top));
            sum += out[k];
        }
        const float scale = 1.0f / sum;
        for (uint32_t k = 0; k < n_out; k++) {
            out[k] *= scale;
        }
    }
    return best;
}

static eml_status predict(const eml_trees *m, const void *x, int is_float,
    float *out, int32_t *class_out, int convert) {
    if (m->n_trees == 0) {
        return EML_ERR_VALUE;
    }
    const eml_trees_walk_kind kind = choose_walk(m, is_float);
    const int32_t best = (m->kind == EML_TREES_KIND_CLASSIFIER)
        ? classify(m, x, is_float, kind, out, convert)
        : EML_TREES_VALUES ? regress(m, x, is_float, kind, out) : -1; /* -1: never loaded */
    if (class_out != NULL) {
        *class_out = best;
    }
    return EML_OK;
}

eml_status eml_trees_predict(const eml_trees *m, const void *x, int is_float,
    float *out, int32_t *class_out) {
    return predict(m, x, is_float, out, class_out, 1);
}

eml_status eml_trees_predict_class(const eml_trees *m, const void *x, int is_float,
    float *out, int32_t *class_out) {
    return predict(m, x, is_float, out, class_out, 0);
}

/* ------------------------------------------------------------------------ */
/* Validation shared by load and the builder. */

/* NULL when ref is acceptable from a node whose child nodes must be >= min_node. */
static const char *check_ref(const eml_trees *m, uint32_t ref, uint32_t min_node,
    uint32_t rec_len) {
    if (ref < m->n_nodes) {
        return (ref < min_node) ? "node child index not after its node" : NULL;
    }
    uint32_t off = ref - m->n_nodes;
    const uint32_t avail = m->n_leaf_words;
    if (m->kind == EML_TREES_KIND_CLASSIFIER) {
        if (off < m->n_outputs) {
            return NULL;                    /* pure leaf */
        }
        off -= m->n_outputs;
        if (off >= avail) {
            return "child or leaf ref out of range";
        }
        const uint32_t n = pool_word(m, off);
        if (n == 0 || (avail - off - 1) / 2 < n) {
            return "leaf record empty or past end of pool";
        }
        const uint32_t total = record_total(m, off);
        if (total == 0 || total > 65535u) {
            return "leaf record class out of range or counts not summing to 1..65535";
        }
    } else if (off >= avail || avail - off < rec_len) {
        return "child or leaf ref out of range";
    }
    return NULL;
}

static const char *validate(eml_trees *m) {
    const int wide = (m->flags & EML_TREES_FLAG_WIDE) != 0;
    uint32_t rec_len = 1;
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
        bad = check_ref(m, get_ref(m->left, wide, i), i + 1, rec_len);
        if (bad == NULL) {
            bad = check_ref(m, get_ref(m->right, wide, i), i + 1, rec_len);
        }
    }
    for (uint32_t t = 0; t < m->n_trees && bad == NULL; t++) {
        bad = check_ref(m, get_ref(m->roots, wide, t), 0, rec_len);
    }
    m->share = 0x80000000u / m->n_trees;
    m->inv_trees = EML_TREES_VALUES ? 1.0f / (float)m->n_trees : 0.0f;
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
    const uint32_t one = 1;

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
    if (*(const uint8_t *)&one != 1) {
        return "big-endian host not supported";
    }
    if (rd32(data) != 0x544c4d45u) {
        return "bad magic (not an EMLT model)";
    }
    if (data[4] != EML_TREES_VERSION) {
        return "unsupported format version (this module reads version 2)";
    }
    t->kind = data[5];
    t->flags = data[6];
    t->combine = data[7];
    if (t->kind > EML_TREES_KIND_VALUES || t->combine > EML_TREES_COMBINE_SOFTMAX) {
        return "unknown kind or combine";
    }
    if (!EML_TREES_VALUES && t->kind != EML_TREES_KIND_CLASSIFIER) {
        return "regression and boosting models not supported by this build (classifiers only)";
    }
    const unsigned flags = t->flags;
    if ((flags & ~0xfu) != 0 || rd32(data + 28) != 0
        || (flags & (EML_TREES_FLAG_FLOAT | EML_TREES_FLAG_T8)) == (EML_TREES_FLAG_FLOAT | EML_TREES_FLAG_T8)
        || ((flags & EML_TREES_FLAG_C16) && t->kind != EML_TREES_KIND_CLASSIFIER)) {
        return "unknown or conflicting flag bits, or reserved field not 0";
    }
    t->n_features = rd16(data + 8);
    t->n_outputs = rd16(data + 10);
    t->n_trees = rd32(data + 12);
    t->n_nodes = rd32(data + 16);
    t->n_leaf_words = rd32(data + 20);

    const unsigned wide = (flags & EML_TREES_FLAG_WIDE) ? 1u : 0u;
    const unsigned values = t->kind;
    const unsigned thr_shift = (flags & EML_TREES_FLAG_FLOAT) ? 2u : (flags & EML_TREES_FLAG_T8) ? 0u : 1u;
    const unsigned leaf_shift = values ? 2u : (flags & EML_TREES_FLAG_C16) ? 1u : 0u;
    uint32_t off = EML_TREES_HEADER_SIZE;
    const uint32_t o_roots = section(&off, t->n_trees, 1u + wide);
    const uint32_t o_tree_output = values ? section(&off, t->n_trees, 1) : 0;
    const uint32_t o_init = t->combine ? section(&off, t->n_outputs, 2) : 0;
    const uint32_t o_features = section(&off, t->n_nodes, wide);
    const uint32_t o_thresholds = section(&off, t->n_nodes, thr_shift);
    const uint32_t o_left = section(&off, t->n_nodes, 1u + wide);
    const uint32_t o_right = section(&off, t->n_nodes, 1u + wide);
    const uint32_t o_leaves = section(&off, t->n_leaf_words, leaf_shift);
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
        FAIL(st, bad);
    }
    *m = t;
    return EML_OK;
}

/* ------------------------------------------------------------------------ */
/* Builder */
#ifndef EML_TREES_NO_BUILDER

typedef struct {
    uint32_t roots, tree_output, features, thresholds, left, right, leaves, end;
} eml_trees_layout;

/* Narrow refs must hold every ref of a full builder (nodes, then a leaf per
 * regression leaf or class) plus the invalid marker 0xffff that finish gives
 * a dangling emlearn index. */
static int builder_wide(uint32_t max_nodes, uint32_t max_leaves) {
    return (uint64_t)max_nodes + (uint64_t)max_leaves > 65534u;
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
    l->leaves = section(&off, max_leaves, 2);
    l->end = off;
}

size_t eml_trees_builder_storage_size(uint32_t max_trees, uint32_t max_nodes,
    uint32_t max_leaves) {
    eml_trees_layout l;
    builder_layout(max_trees, max_nodes, max_leaves,
        (unsigned)builder_wide(max_nodes, max_leaves), &l);
    /* the capacities also bound the child slots (put_ref) below 0xffffffff */
    if ((uint64_t)max_nodes + max_leaves >= 0xffffffffu || l.end == EML_TREES_TOO_BIG
        || (uint64_t)(size_t)l.end != l.end) {
        return 0;
    }
    return (size_t)l.end;
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
    b->leaves = (float *)(void *)(s + l.leaves);
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

/* Why a builder takes no more changes: finish (the binding's first predict)
 * has converted its data in place. NULL while it is still being built. */
static const char *finished_reason(const eml_trees_builder *b) {
    if (b->finished == 1) {
        return "model already finished by its first predict: build every part before predicting";
    }
    return b->finished ? "builder failed earlier" : NULL;
}

eml_status eml_trees_builder_setdata(eml_trees_builder *b, int32_t n_features,
    int32_t n_classes, int32_t leaf_bits, const char **reason) {
    const char *finished = finished_reason(b);
    if (finished != NULL) {
        FAIL(EML_ERR_VALUE, finished);
    }
    if (!in_range(n_features, 1, 65535) || !in_range(n_classes, 0, 65535)
        || !(leaf_bits == 0 || leaf_bits == 1 || leaf_bits == 32)) {
        FAIL(EML_ERR_VALUE, "n_features must be 1 to 65535, n_classes 0 to 65535, leaf_bits 0 or 32");
    }
    b->n_features = n_features;
    b->n_classes = n_classes;
    b->leaf_bits = (leaf_bits == 1) ? 0 : leaf_bits;
    return EML_OK;
}

/* A ref slot. While building it holds an emlearn child as a slot value: a
 * node index below max_nodes, or max_nodes + a leaf index. That fits a
 * narrow (u16) slot, since narrow builders have max_nodes + max_leaves <=
 * 65534, so children and roots are not limited to emlearn's int16 fields. */
static void put_ref(uint8_t *refs, unsigned wide, uint32_t i, uint32_t v) {
    if (wide) {
        ((uint32_t *)(void *)refs)[i] = v;
    } else {
        ((uint16_t *)(void *)refs)[i] = (uint16_t)v;
    }
}

/* emlearn's child c of node i (for a root, i = 0 and c is absolute): c >= 0
 * is node i + c, c < 0 is leaf -c-1. 0 when that is beyond the capacities. */
static int child_slot(const eml_trees_builder *b, int32_t c, uint32_t i, uint32_t *slot) {
    if (c >= 0) {
        const uint64_t j = (uint64_t)i + (uint32_t)c;
        *slot = (uint32_t)j;
        return j < b->max_nodes;
    }
    const uint32_t leaf = (uint32_t)(-(c + 1));     /* no overflow at INT32_MIN */
    *slot = b->max_nodes + leaf;
    return leaf < b->max_leaves;
}

static eml_status builder_check(eml_trees_builder *b, uint32_t count, uint32_t max,
    const char *full, const char **reason) {
    const char *finished = finished_reason(b);
    if (finished != NULL) {
        FAIL(EML_ERR_VALUE, finished);
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
    uint32_t slot;
    if (!child_slot(b, root, 0, &slot)) {
        FAIL(EML_ERR_VALUE, "root beyond max_nodes or max_leaves");
    }
    put_ref(b->roots, b->wide, b->n_trees++, slot);
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
    if (!in_range(value, -32768, 32767)) {
        FAIL(EML_ERR_VALUE, "threshold out of int16 range");
    }
    const uint32_t i = b->n_nodes;
    uint32_t l, r;
    if (!child_slot(b, left, i, &l) || !child_slot(b, right, i, &r)) {
        FAIL(EML_ERR_VALUE, "child beyond max_nodes or max_leaves");
    }
    b->n_nodes++;
    if (b->wide) {
        ((uint16_t *)(void *)b->features)[i] = (uint16_t)feature;
    } else {
        b->features[i] = (uint8_t)feature;
    }
    ((int16_t *)(void *)b->thresholds)[i] = (int16_t)value;
    put_ref(b->left, b->wide, i, l);
    put_ref(b->right, b->wide, i, r);
    return EML_OK;
}

eml_status eml_trees_builder_addleaf(eml_trees_builder *b, float value,
    const char **reason) {
    const eml_status st = builder_check(b, b->n_leaves, b->max_leaves, "more leaves than max_leaves", reason);
    if (st != EML_OK) {
        return st;
    }
    b->leaves[b->n_leaves++] = value;
    return EML_OK;
}

/* A class leaf value as a class index, or -1 when it is not an integer in
 * 0..65534 (checked on the bits: no soft-float compares). */
static int32_t leaf_class(float v) {
    const uint32_t a = eml_float_bits(v);
    if (a == 0) {
        return 0;
    }
    if (a < 0x3f800000u || a >= 0x477fff00u) {  /* negative, < 1, >= 65535, NaN */
        return -1;
    }
    const uint32_t shift = 150u - (a >> 23);
    const uint32_t m = (a & 0x007fffffu) | 0x00800000u;
    return (m & ((1u << shift) - 1u)) ? -1 : (int32_t)(m >> shift);
}

/* A child slot (see put_ref) as a ref; a node or leaf that was never added,
 * a bad class or a ref that does not fit gives `bad`, which validation
 * rejects. */
static uint32_t convert_slot(const eml_trees_builder *b, uint32_t slot, int regress,
    uint32_t bad) {
    if (slot < b->max_nodes) {
        return (slot < b->n_nodes) ? slot : bad;
    }
    const uint32_t leaf = slot - b->max_nodes;
    if (leaf >= b->n_leaves) {
        return bad;
    }
    const int32_t v = regress ? (int32_t)leaf : leaf_class(b->leaves[leaf]);
    const uint32_t ref = b->n_nodes + (uint32_t)v;
    return (v < 0 || ref >= bad) ? bad : ref;
}

/* Leaf values are regression values, not classes (emlearn: leaf bits 32). */
static int builder_regress(const eml_trees_builder *b) {
    return b->leaf_bits == 32 || b->n_classes <= 0;
}

uint32_t eml_trees_builder_outputs(const eml_trees_builder *b) {
    return builder_regress(b) ? 1u : (uint32_t)b->n_classes;
}

eml_status eml_trees_builder_finish(eml_trees_builder *b, eml_trees *m,
    const char **reason) {
    const unsigned wide = b->wide;
    const uint32_t bad = wide ? 0xffffffffu : 0xffffu;
    eml_trees *t = &b->model;

    if (b->finished == 1) {
        *m = b->model;
        return EML_OK;
    }
    if (b->finished) {
        FAIL(EML_ERR_FORMAT, finished_reason(b));
    }
    if (b->n_features < 0 || b->n_classes < 0) {
        FAIL(EML_ERR_VALUE, "n_features and n_classes not set");
    }
    const int regress = builder_regress(b);

    /* Convert in place (total: dangling indices become `bad`), then validate.
     * The raw data is gone afterwards, so a failed builder stays failed. */
    b->finished = 2;
    /* `bad` is not always invalid: with narrow refs and n_nodes + n_classes >
     * 0xffff it names a pure leaf, so remember that it was used. */
    int dangling = 0;
    for (uint32_t i = 0; i < b->n_nodes; i++) {
        const uint32_t l = convert_slot(b, get_ref(b->left, (int)wide, i), regress, bad);
        const uint32_t r = convert_slot(b, get_ref(b->right, (int)wide, i), regress, bad);
        dangling |= (l == bad) | (r == bad);
        put_ref(b->left, wide, i, l);
        put_ref(b->right, wide, i, r);
    }
    for (uint32_t k = 0; k < b->n_trees; k++) {
        const uint32_t root = convert_slot(b, get_ref(b->roots, (int)wide, k), regress, bad);
        dangling |= (root == bad);
        put_ref(b->roots, wide, k, root);
        ((uint16_t *)(void *)b->tree_output)[k] = EML_TREES_ALL_OUTPUTS;
    }
    t->kind = regress ? EML_TREES_KIND_VALUES : EML_TREES_KIND_CLASSIFIER;
    t->flags = wide ? EML_TREES_FLAG_WIDE : 0;
    t->combine = EML_TREES_COMBINE_MEAN;
    t->n_features = (uint16_t)b->n_features;
    t->n_outputs = (uint16_t)eml_trees_builder_outputs(b);
    t->n_trees = b->n_trees;
    t->n_nodes = b->n_nodes;
    t->n_leaf_words = regress ? b->n_leaves : 0;    /* class leaves are all pure refs */
    t->roots = b->roots;
    t->tree_output = regress ? (const uint16_t *)(const void *)b->tree_output : NULL;
    t->init = NULL;
    t->features = b->features;
    t->thresholds = b->thresholds;
    t->left = b->left;
    t->right = b->right;
    t->leaves = b->leaves;
    const char *why = validate(t);
    if (why == NULL && dangling) {
        why = "child or leaf ref out of range";
    }
    if (why != NULL) {
        FAIL(EML_ERR_FORMAT, why);
    }
    b->finished = 1;
    *m = *t;
    return EML_OK;
}

#endif /* EML_TREES_NO_BUILDER */
