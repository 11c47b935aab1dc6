/* libFuzzer target for src/core/eml_trees.c (format version 2).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core \
 *       tests/fuzz/fuzz_trees.c src/core/eml_trees.c
 *
 * The input is tried three ways:
 * - as a model file (copied to an allocation of exactly its size, so any read
 *   past the end is caught), predicting with int16 and float inputs when it
 *   loads; classifier outputs must be shares of 1 with the class the largest;
 * - misaligned, which must be refused;
 * - as a program of builder calls (setdata / addroot / addnode / addleaf /
 *   finish, arguments drawn from the bytes, small capacities or a wide
 *   builder). A reference model kept here from the accepted calls decides,
 *   with emlearn's semantics, what every call must return and whether finish
 *   must succeed; a finished model must predict exactly emlearn's votes
 *   (votes * floor(2^31 / n_trees) * 2^-31) or mean of leaves. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eml_trees.h"

/* The build does not stop on undefined behaviour by itself (no
 * -fno-sanitize-recover); any report is a finding, so make it fatal. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) {
    return "halt_on_error=1:print_stacktrace=1";
}

static void check(int cond) {
    if (!cond) {
        abort();
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    check(p != NULL);
    return p;
}

static uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Fill x (n_features values) for round r: zeros, extremes, or the data. */
static void make_inputs(int round, const uint8_t *data, size_t size, size_t nf,
    int16_t *xi, float *xf) {
    for (size_t i = 0; i < nf; i++) {
        uint32_t u = 0;
        if (size >= 4) {
            memcpy(&u, data + ((i * 4 + (size_t)round * 7) % (size - 3)), 4);
        }
        switch (round) {
        case 0: xi[i] = 0; u = 0; break;
        case 1: xi[i] = (int16_t)((i & 1) ? 32767 : -32768); u = (i & 1) ? 0x7fc00000u : 0xff800000u; break;
        case 2: xi[i] = (int16_t)((int32_t)(u & 31) - 16); u = fbits((float)xi[i] + ((u & 32) ? 0.5f : -0.5f)); break;
        default: xi[i] = (int16_t)u; break;
        }
        memcpy(&xf[i], &u, 4);
    }
}

/* ---------------------------------------------------------------- model files */

static void predict_all(const eml_trees *m, const uint8_t *data, size_t size) {
    const size_t nf = m->n_features;
    int16_t *xi = (int16_t *)xmalloc(nf * sizeof *xi);
    float *xf = (float *)xmalloc(nf * sizeof *xf);
    float *out = (float *)xmalloc((size_t)m->n_outputs * sizeof *out);
    for (int round = 0; round < 4; round++) {
        make_inputs(round, data, size, nf, xi, xf);
        for (int is_float = 0; is_float < 2; is_float++) {
            int32_t cls = -7;
            check(eml_trees_predict(m, is_float ? (const void *)xf : (const void *)xi, is_float,
                out, &cls) == EML_OK);
            check(cls >= -1 && cls < (int32_t)m->n_outputs);
            if (m->kind == EML_TREES_KIND_CLASSIFIER) {
                double sum = 0.0;
                check(cls >= 0);
                for (uint32_t k = 0; k < m->n_outputs; k++) {
                    check(out[k] >= 0.0f && out[k] <= out[cls]);
                    sum += out[k];
                }
                check(sum <= 1.0 + 1e-5);
            } else if (m->combine < EML_TREES_COMBINE_LOGISTIC) {
                check(cls == -1);
            }
        }
    }
    free(xi);
    free(xf);
    free(out);
}

static void try_model(const uint8_t *data, size_t size) {
    uint8_t *copy = (uint8_t *)xmalloc(size);   /* malloc: 16-byte aligned */
    eml_trees m;
    const char *why = NULL;
    memcpy(copy, data, size);
    eml_status st = eml_trees_load(&m, copy, size, &why);
    if (st == EML_OK) {
        predict_all(&m, data, size);
    } else {
        check(why != NULL && st != EML_ERR_VALUE);  /* aligned data is never VALUE */
    }
    free(copy);

    uint8_t *mis = (uint8_t *)xmalloc(size + 1);
    memcpy(mis + 1, data, size);
    check(eml_trees_load(&m, mis + 1, size, NULL) == EML_ERR_VALUE);
    free(mis);
}

/* ---------------------------------------------------------------- builder */

typedef struct {
    const uint8_t *p;
    size_t n;
} reader;

static uint8_t take(reader *r) {
    if (r->n == 0) {
        return 0;
    }
    r->n--;
    return *r->p++;
}

static int32_t take_i16(reader *r) {
    const uint8_t lo = take(r);
    return (int16_t)(uint16_t)(lo | (take(r) << 8));
}

static const int32_t edge_ints[] = { -32768, 32767, -32769, 32768, INT32_MIN, INT32_MAX, 65535,
    -65536, 0, 1, -1, 255, 256, 100, -100, 0 };

/* A child or root: mostly small relative indices. */
static int32_t take_child(reader *r) {
    const uint8_t c = take(r);
    if (c < 0xf0) {
        return (int32_t)(c % 24) - 12;
    }
    return (c == 0xff) ? take_i16(r) : edge_ints[c & 15];
}

static int32_t take_feature(reader *r) {
    static const int32_t edge[] = { 255, 256, 65535, 65536, -1, 299, 3, 4 };
    const uint8_t c = take(r);
    return (c < 0xf8) ? (int32_t)(c % 4) : edge[c & 7];
}

static int32_t take_value(reader *r) {
    const uint8_t c = take(r);
    if (c < 0xe0) {
        return (int32_t)(c % 16) - 8;
    }
    return (c >= 0xf0) ? take_i16(r) : edge_ints[c & 15];
}

static float take_leaf(reader *r) {
    static const float edge[] = { 0.5f, -1.0f, -0.0f, NAN, INFINITY, 65534.0f, 65535.0f, 1e-45f,
        1e30f, -3.25f, 2.0000002f, 255.0f, 256.0f, 65533.0f, 1.0f, 0.0f };
    const uint8_t c = take(r);
    if (c < 0xc0) {
        return (float)(c % 6);
    }
    if (c < 0xe0) {
        return edge[c & 15];
    }
    uint32_t u = take(r);
    u |= (uint32_t)take(r) << 8;
    u |= (uint32_t)take(r) << 16;
    u |= (uint32_t)take(r) << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* The accepted calls, with emlearn's meaning. */
typedef struct {
    uint32_t max_trees, max_nodes, max_leaves;
    int wide;
    int32_t n_features, n_classes, leaf_bits;   /* -1 until set */
    int32_t *roots;
    int32_t (*nodes)[4];                        /* left, right, feature, value */
    float *leaves;
    uint32_t n_trees, n_nodes, n_leaves;
} ref_model;

static int in_range(int32_t v, int32_t lo, int32_t hi) {
    return v >= lo && v <= hi;
}

static int ref_regress(const ref_model *r) {
    return r->leaf_bits == 32 || r->n_classes == 0;
}

/* Class of a classifier leaf value, or -1: an integer 0..65534 (the core
 * takes -0.0 as not a class; so does this). */
static int32_t ref_class(float v) {
    if (fbits(v) == 0) {
        return 0;
    }
    if (!(v >= 1.0f && v <= 65534.0f) || (float)(int32_t)v != v) {
        return -1;
    }
    return (int32_t)v;
}

/* Whether child c of node i (root: i = -1, any node) is valid for finish. */
static int ref_child_ok(const ref_model *r, int32_t c, int64_t i) {
    if (c >= 0) {
        const int64_t j = (i < 0) ? c : i + c;
        return j > i && j < (int64_t)r->n_nodes;
    }
    const uint32_t leaf = (uint32_t)(-(int64_t)c - 1);
    if (leaf >= r->n_leaves) {
        return 0;
    }
    if (ref_regress(r)) {
        return 1;
    }
    const int32_t k = ref_class(r->leaves[leaf]);
    const uint64_t limit = r->wide ? 0xffffffffu : 0xffffu;   /* refs below the invalid marker */
    return k >= 0 && k < r->n_classes && (uint64_t)r->n_nodes + (uint64_t)k < limit;
}

static int ref_valid(const ref_model *r) {
    if (r->n_trees == 0 || (!r->wide && r->n_features > 256)) {
        return 0;
    }
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        if (r->nodes[i][2] >= r->n_features || !ref_child_ok(r, r->nodes[i][0], i)
            || !ref_child_ok(r, r->nodes[i][1], i)) {
            return 0;
        }
    }
    for (uint32_t t = 0; t < r->n_trees; t++) {
        if (!ref_child_ok(r, r->roots[t], -1)) {
            return 0;
        }
    }
    return 1;
}

static uint32_t ref_leaf(const ref_model *r, uint32_t tree, const void *x, int is_float) {
    int32_t i = r->roots[tree];
    while (i >= 0) {
        const int32_t *n = r->nodes[i];
        const double v = is_float ? (double)((const float *)x)[n[2]] : (double)((const int16_t *)x)[n[2]];
        const int32_t c = (v < (double)n[3]) ? n[0] : n[1];    /* NaN goes right */
        if (c < 0) {
            return (uint32_t)(-c - 1);
        }
        i += c;
    }
    return (uint32_t)(-i - 1);
}

static void ref_check_predict(const eml_trees *m, const ref_model *r, const uint8_t *data, size_t size) {
    const size_t nf = (size_t)r->n_features;
    const uint32_t n_out = ref_regress(r) ? 1u : (uint32_t)r->n_classes;
    int16_t *xi = (int16_t *)xmalloc(nf * sizeof *xi);
    float *xf = (float *)xmalloc(nf * sizeof *xf);
    float *out = (float *)xmalloc(n_out * sizeof *out);
    uint32_t *votes = (uint32_t *)xmalloc(n_out * sizeof *votes);
    const uint64_t share = (UINT64_C(1) << 31) / r->n_trees;
    check(m->n_outputs == n_out && m->n_trees == r->n_trees && m->n_nodes == r->n_nodes);
    /* rounds 0..3: make_inputs; then probes at each node's threshold t: every
     * feature t - 1 (int16) / t - 0.5 (float), t / t, and t - 1e-3 / t + 0.5 */
    static const float deltas[] = { -0.5f, 0.0f, -1e-3f, 0.5f };
    const int rounds = 4 + 4 * (int)r->n_nodes;
    for (int round = 0; round < rounds; round++) {
        if (round < 4) {
            make_inputs(round, data, size, nf, xi, xf);
        } else {
            const int32_t t = r->nodes[(round - 4) / 4][3];
            const int d = (round - 4) % 4;
            for (size_t i = 0; i < nf; i++) {
                xi[i] = (int16_t)((d == 0 && t > -32768) ? t - 1 : t);
                xf[i] = (float)t + deltas[d];
            }
        }
        for (int is_float = 0; is_float < 2; is_float++) {
            const void *x = is_float ? (const void *)xf : (const void *)xi;
            int32_t cls = -7;
            check(eml_trees_predict(m, x, is_float, out, &cls) == EML_OK);
            if (ref_regress(r)) {
                float sum = 0.0f;
                for (uint32_t t = 0; t < r->n_trees; t++) {
                    sum += r->leaves[ref_leaf(r, t, x, is_float)];
                }
                sum *= 1.0f / (float)r->n_trees;
                check(cls == -1 && (fbits(out[0]) == fbits(sum) || (isnan(out[0]) && isnan(sum))));
                continue;
            }
            memset(votes, 0, n_out * sizeof *votes);
            for (uint32_t t = 0; t < r->n_trees; t++) {
                votes[ref_class(r->leaves[ref_leaf(r, t, x, is_float)])]++;
            }
            int32_t best = 0;
            for (uint32_t k = 0; k < n_out; k++) {
                /* acc * 2^-31 is exact in double; the cast rounds to nearest */
                const float want = (float)((double)(votes[k] * share) / 2147483648.0);
                check(fbits(out[k]) == fbits(want));
                if (votes[k] > votes[best]) {
                    best = (int32_t)k;
                }
            }
            check(cls == best);
        }
    }
    free(xi);
    free(xf);
    free(out);
    free(votes);
}

static void try_builder(const uint8_t *data, size_t size) {
    static const uint32_t caps[][3] = { { 4, 16, 8 }, { 3, 8, 4 }, { 4, 16, 65520 }, { 0, 2, 2 } };
    static const int32_t nfs[] = { 1, 2, 3, 4, 256, 257, 300, 0, 65535, 65536, -1, 2, 3, 2, 1, 2 };
    static const int32_t ncs[] = { 0, 1, 2, 3, 5, 255, 256, 65534, 65535, 65536, -1, 2, 2, 3, 0, 1 };
    static const int32_t lbs[] = { 0, 1, 32, 8 };
    reader rd = { data, size };
    const uint32_t *cap = caps[take(&rd) % 4];
    ref_model r;
    memset(&r, 0, sizeof r);
    r.max_trees = cap[0];
    r.max_nodes = cap[1];
    r.max_leaves = cap[2];
    r.n_features = r.n_classes = -1;
    r.roots = (int32_t *)xmalloc(r.max_trees * sizeof *r.roots);
    r.nodes = (int32_t (*)[4])xmalloc(r.max_nodes * sizeof *r.nodes);
    r.leaves = (float *)xmalloc(r.max_leaves * sizeof *r.leaves);

    const size_t need = eml_trees_builder_storage_size(r.max_trees, r.max_nodes, r.max_leaves);
    check(need > 0);
    void *storage = xmalloc(need);     /* exactly the size asked for */
    eml_trees_builder b;
    check(eml_trees_builder_init(&b, storage, need, r.max_trees, r.max_nodes, r.max_leaves) == EML_OK);
    r.wide = b.wide;
    check(r.wide == ((uint64_t)r.max_nodes + r.max_leaves > 65534u));

    int state = 0;          /* 0 building, 1 finished, 2 failed */
    eml_trees m, first;
    int steps = 0;
    for (;;) {
        const int end = rd.n == 0 || ++steps > 2000;
        const uint8_t op = end ? 6 : take(&rd) % 8;
        const char *why = NULL;
        eml_status st, want;
        switch (op) {
        case 0: {
            const uint8_t c = take(&rd);
            const int32_t nf = nfs[c & 15], nc = ncs[c >> 4], lb = lbs[take(&rd) & 3];
            st = eml_trees_builder_setdata(&b, nf, nc, lb);
            const int ok = in_range(nf, 1, 65535) && in_range(nc, 0, 65535) && (lb == 0 || lb == 1 || lb == 32);
            check(st == ((state == 0 && ok) ? EML_OK : EML_ERR_VALUE));
            if (st == EML_OK) {
                r.n_features = nf;
                r.n_classes = nc;
                r.leaf_bits = (lb == 1) ? 0 : lb;
            }
            break;
        }
        case 1:
        case 2: {
            const int32_t left = take_child(&rd), right = take_child(&rd);
            const int32_t feature = take_feature(&rd), value = take_value(&rd);
            st = eml_trees_builder_addnode(&b, left, right, feature, value, &why);
            want = state ? EML_ERR_VALUE : (r.n_nodes >= r.max_nodes) ? EML_ERR_CAPACITY
                : (!in_range(feature, 0, r.wide ? 65535 : 255) || !in_range(left, -32768, 32767)
                    || !in_range(right, -32768, 32767) || !in_range(value, -32768, 32767))
                ? EML_ERR_VALUE : EML_OK;
            check(st == want && (st == EML_OK || why != NULL));
            if (st == EML_OK) {
                r.nodes[r.n_nodes][0] = left;
                r.nodes[r.n_nodes][1] = right;
                r.nodes[r.n_nodes][2] = feature;
                r.nodes[r.n_nodes][3] = value;
                r.n_nodes++;
            }
            break;
        }
        case 3:
        case 7: {
            int32_t root = take_child(&rd);
            if (op == 7 && in_range(root, -12, 11)) {
                root += (int32_t)(r.n_nodes / 2);   /* a root deeper in the nodes */
            }
            st = eml_trees_builder_addroot(&b, root, &why);
            want = state ? EML_ERR_VALUE : (r.n_trees >= r.max_trees) ? EML_ERR_CAPACITY
                : !in_range(root, -32768, 32767) ? EML_ERR_VALUE : EML_OK;
            check(st == want && (st == EML_OK || why != NULL));
            if (st == EML_OK) {
                r.roots[r.n_trees++] = root;
            }
            break;
        }
        case 4:
        case 5: {
            const float v = take_leaf(&rd);
            st = eml_trees_builder_addleaf(&b, v, &why);
            want = state ? EML_ERR_VALUE : (r.n_leaves >= r.max_leaves) ? EML_ERR_CAPACITY : EML_OK;
            check(st == want && (st == EML_OK || why != NULL));
            if (st == EML_OK) {
                r.leaves[r.n_leaves++] = v;
            }
            break;
        }
        default: {      /* 6: finish */
            st = eml_trees_builder_finish(&b, &m, &why);
            if (state == 1) {
                check(st == EML_OK && memcmp(&m, &first, sizeof m) == 0);
            } else if (state == 2) {
                check(st == EML_ERR_FORMAT && why != NULL);
            } else if (r.n_features < 0 || r.n_classes < 0) {
                check(st == EML_ERR_VALUE && why != NULL);
            } else {
                const int valid = ref_valid(&r);
                check(st == (valid ? EML_OK : EML_ERR_FORMAT) && (valid || why != NULL));
                state = valid ? 1 : 2;
                if (valid) {
                    first = m;
                    check(m.flags == (r.wide ? EML_TREES_FLAG_WIDE : 0u) && m.combine == 0);
                    check(m.kind == (ref_regress(&r) ? EML_TREES_KIND_VALUES : EML_TREES_KIND_CLASSIFIER));
                    ref_check_predict(&m, &r, data, size);
                }
            }
            break;
        }
        }
        if (end) {
            break;
        }
    }
    free(storage);
    free(r.roots);
    free(r.nodes);
    free(r.leaves);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try_model(data, size);
    try_builder(data, size);
    return 0;
}
