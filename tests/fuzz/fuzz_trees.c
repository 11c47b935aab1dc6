/* libFuzzer target for src/core/eml_trees.c (format version 2).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core \
 *       tests/fuzz/fuzz_trees.c src/core/eml_trees.c
 *
 * The input is tried four ways:
 * - as a model file (copied to an allocation of exactly its size, so any read
 *   past the end is caught). A second reader of docs/trees-format.md kept
 *   here decides whether it must load, and when it loads every prediction
 *   (int16 and float inputs, some at the nodes' thresholds) must equal the
 *   reader's: classifier outputs bit for bit from the integer vote rule,
 *   mean and sum regressors bit for bit, the class of combine 2 / 3;
 * - misaligned, which must be refused;
 * - as a program of builder calls (setdata / addroot / addnode / addleaf /
 *   finish, arguments drawn from the bytes, small capacities or a wide
 *   builder). A reference model kept here from the accepted calls decides,
 *   with emlearn's semantics, what every call must return and whether finish
 *   must succeed; a finished model must predict exactly emlearn's votes
 *   (votes * floor(2^31 / n_trees) * 2^-31) or mean of leaves;
 * - as the description of a forest that is valid by construction (sometimes
 *   with one field corrupted), turned into such a program: raw bytes seldom
 *   make a model that finishes.
 * UBSan reports are fatal (see fuzz_common.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eml_trees.h"
#include "fuzz_common.h"

static uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Fill x (n_features values) for round r < INPUT_ROUNDS: zeros, extremes,
 * small values (floats +-0.5 off), negative zeros and subnormals, the data. */
#define INPUT_ROUNDS 5
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
        case 3: xi[i] = -1; u = (i & 1) ? 0x80000000u : 0x80000001u; break;   /* -0.0, -1e-45 */
        default: xi[i] = (int16_t)u; break;
        }
        memcpy(&xf[i], &u, 4);
    }
}

/* ---------------------------------------------------------------- model files */

/* A second reading of docs/trees-format.md, independent of the core: the
 * loader must accept exactly the files this calls valid, and predict what
 * this computes from the bytes. */
typedef struct {
    const uint8_t *d;
    unsigned kind, flags, combine, wide, c16, t8, fl;
    uint32_t nf, no, nt, nn, nl, rec_len;
    uint64_t roots, tree_output, init, features, thresholds, left, right, leaves;
} file_ref;

static uint32_t le(const uint8_t *p, unsigned bytes) {
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint32_t)p[i] << (8 * i);
    }
    return v;
}

static uint64_t f_section(uint64_t *off, uint64_t count, unsigned bytes) {
    const uint64_t start = *off;
    *off += (count * bytes + 3) / 4 * 4;
    return start;
}

static uint32_t f_ref(const file_ref *f, uint64_t section, uint32_t i) {
    return le(f->d + section + (uint64_t)i * (f->wide ? 4 : 2), f->wide ? 4 : 2);
}

static uint32_t f_word(const file_ref *f, uint32_t i) {
    return le(f->d + f->leaves + (uint64_t)i * (f->c16 ? 2 : 1), f->c16 ? 2 : 1);
}

static uint32_t f_feature(const file_ref *f, uint32_t i) {
    return le(f->d + f->features + (uint64_t)i * (f->wide ? 2 : 1), f->wide ? 2 : 1);
}

/* Leaf L (ref - n_nodes) is acceptable. */
static int f_leaf_ok(const file_ref *f, uint64_t L) {
    if (f->kind == 1) {
        return L + f->rec_len <= f->nl;
    }
    if (L < f->no) {
        return 1;
    }
    const uint64_t off = L - f->no;
    if (off >= f->nl) {
        return 0;
    }
    const uint64_t n = f_word(f, (uint32_t)off);
    if (n == 0 || off + 1 + 2 * n > f->nl) {
        return 0;
    }
    uint64_t sum = 0;
    for (uint64_t j = 0; j < n; j++) {
        if (f_word(f, (uint32_t)(off + 1 + 2 * j)) >= f->no) {
            return 0;
        }
        sum += f_word(f, (uint32_t)(off + 2 + 2 * j));
    }
    return sum >= 1 && sum <= 65535;
}

static int f_child_ok(const file_ref *f, uint32_t ref, uint64_t min_node) {
    return (ref < f->nn) ? ref >= min_node : f_leaf_ok(f, (uint64_t)ref - f->nn);
}

static int file_valid(file_ref *f, const uint8_t *d, size_t len) {
    memset(f, 0, sizeof *f);
    f->d = d;
    if (len < 32 || memcmp(d, "EMLT", 4) != 0 || d[4] != 2 || le(d + 24, 4) != len || le(d + 28, 4) != 0) {
        return 0;
    }
    f->kind = d[5];
    f->flags = d[6];
    f->combine = d[7];
    f->fl = f->flags & 1;
    f->wide = (f->flags >> 1) & 1;
    f->t8 = (f->flags >> 2) & 1;
    f->c16 = (f->flags >> 3) & 1;
    if (f->kind > 1 || f->combine > 3 || f->flags > 15 || (f->t8 && f->fl) || (f->c16 && f->kind == 1)) {
        return 0;
    }
    f->nf = le(d + 8, 2);
    f->no = le(d + 10, 2);
    f->nt = le(d + 12, 4);
    f->nn = le(d + 16, 4);
    f->nl = le(d + 20, 4);
    uint64_t off = 32;
    f->roots = f_section(&off, f->nt, f->wide ? 4 : 2);
    f->tree_output = (f->kind == 1) ? f_section(&off, f->nt, 2) : 0;
    f->init = f->combine ? f_section(&off, f->no, 4) : 0;
    f->features = f_section(&off, f->nn, f->wide ? 2 : 1);
    f->thresholds = f_section(&off, f->nn, f->fl ? 4 : f->t8 ? 1 : 2);
    f->left = f_section(&off, f->nn, f->wide ? 4 : 2);
    f->right = f_section(&off, f->nn, f->wide ? 4 : 2);
    f->leaves = f_section(&off, f->nl, (f->kind == 1) ? 4 : f->c16 ? 2 : 1);
    if (off != len || f->nt == 0 || f->nf == 0 || f->no == 0 || (!f->wide && f->nf > 256)
        || (f->kind == 0 && f->combine != 0) || (f->combine == 2 && f->no != 2)) {
        return 0;
    }
    f->rec_len = 1;
    for (uint32_t t = 0; f->kind == 1 && t < f->nt; t++) {
        const uint32_t to = le(d + f->tree_output + 2 * (uint64_t)t, 2);
        if (to == 0xffff) {
            f->rec_len = f->no;
        } else if (to >= f->no) {
            return 0;
        }
    }
    for (uint32_t i = 0; i < f->nn; i++) {
        if (f_feature(f, i) >= f->nf || !f_child_ok(f, f_ref(f, f->left, i), (uint64_t)i + 1)
            || !f_child_ok(f, f_ref(f, f->right, i), (uint64_t)i + 1)) {
            return 0;
        }
    }
    for (uint32_t t = 0; t < f->nt; t++) {
        if (!f_child_ok(f, f_ref(f, f->roots, t), 0)) {
            return 0;
        }
    }
    return 1;
}

/* Order key of a float, from the definition (NaN highest, -0 as +0). */
static int64_t f_key(float x) {
    if (isnan(x)) {
        return INT32_MAX;
    }
    const uint32_t b = (x == 0.0f) ? 0u : fbits(x);
    return (b >> 31) ? -(int64_t)(b & 0x7fffffffu) - 1 : (int64_t)b;
}

static uint32_t f_walk(const file_ref *f, uint32_t tree, const void *x, int is_float) {
    uint32_t ref = f_ref(f, f->roots, tree);
    while (ref < f->nn) {
        const uint32_t k = f_feature(f, ref);
        const double v = is_float ? (double)((const float *)x)[k] : (double)((const int16_t *)x)[k];
        const uint8_t *tp = f->d + f->thresholds;
        int left;
        if (f->fl) {
            const int64_t t = (int32_t)le(tp + 4 * (uint64_t)ref, 4);
            left = f_key((float)v) < t;
        } else {
            const int32_t t = f->t8 ? (int8_t)tp[ref] : (int16_t)le(tp + 2 * (uint64_t)ref, 2);
            left = v < (double)t;       /* floor(x) < t iff x < t; NaN goes right */
        }
        ref = f_ref(f, left ? f->left : f->right, ref);
    }
    return ref - f->nn;
}

static float f_float(const file_ref *f, uint64_t section, uint64_t i) {
    const uint32_t u = le(f->d + section + 4 * i, 4);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

static int same_float(float a, float b) {
    return fbits(a) == fbits(b) || (isnan(a) && isnan(b));
}

/* Predict x both ways and compare. */
static void file_check_predict(const file_ref *f, const eml_trees *m, const void *x, int is_float,
    float *out, float *want, uint64_t *acc) {
    int32_t cls = -7;
    check(eml_trees_predict(m, x, is_float, out, &cls) == EML_OK);
    if (f->kind == 0) {
        const uint64_t S = (UINT64_C(1) << 31) / f->nt;
        memset(acc, 0, f->no * sizeof *acc);
        for (uint32_t t = 0; t < f->nt; t++) {
            const uint32_t L = f_walk(f, t, x, is_float);
            if (L < f->no) {
                acc[L] += S;
                continue;
            }
            const uint32_t off = L - f->no, n = f_word(f, off);
            uint64_t sum = 0;
            for (uint32_t j = 0; j < n; j++) {
                sum += f_word(f, off + 2 + 2 * j);
            }
            for (uint32_t j = 0; j < n; j++) {
                acc[f_word(f, off + 1 + 2 * j)] += f_word(f, off + 2 + 2 * j) * S / sum;
            }
        }
        int32_t best = 0;
        for (uint32_t k = 0; k < f->no; k++) {
            check(acc[k] <= (UINT64_C(1) << 31));
            check(fbits(out[k]) == fbits((float)((double)acc[k] / 2147483648.0)));
            if (acc[k] > acc[best]) {
                best = (int32_t)k;
            }
        }
        check(cls == best);
        return;
    }
    for (uint32_t k = 0; k < f->no; k++) {
        want[k] = f->combine ? f_float(f, f->init, k) : 0.0f;
    }
    for (uint32_t t = 0; t < f->nt; t++) {
        const uint64_t L = f_walk(f, t, x, is_float);
        const uint32_t to = le(f->d + f->tree_output + 2 * (uint64_t)t, 2);
        if (to == 0xffff) {
            for (uint32_t k = 0; k < f->no; k++) {
                want[k] += f_float(f, f->leaves, L + k);
            }
        } else {
            want[to] += f_float(f, f->leaves, L);
        }
    }
    if (f->combine >= 2) {
        /* argmax of the raw sums, NaN largest, first on ties */
        const uint32_t n = (f->combine == 2) ? 2 : f->no;
        int32_t best = 0;
        for (uint32_t k = 1; k < n; k++) {
            if (f_key(want[k]) > f_key(want[best])) {
                best = (int32_t)k;
            }
        }
        check(cls == best);
        return;
    }
    check(cls == -1);
    for (uint32_t k = 0; k < f->no; k++) {
        if (f->combine == 0) {
            want[k] *= 1.0f / (float)f->nt;
        }
        check(same_float(out[k], want[k]));
    }
}

static void file_predict_all(const file_ref *f, const eml_trees *m, const uint8_t *data, size_t size) {
    const size_t nf = f->nf;
    int16_t *xi = (int16_t *)xmalloc(nf * sizeof *xi);
    float *xf = (float *)xmalloc(nf * sizeof *xf);
    float *out = (float *)xmalloc((size_t)f->no * sizeof *out);
    float *want = (float *)xmalloc((size_t)f->no * sizeof *want);
    uint64_t *acc = (uint64_t *)xmalloc((size_t)f->no * sizeof *acc);
    /* make_inputs' rounds, then every feature at a node's threshold */
    const uint32_t probes = f->nn < 16 ? f->nn : 16;
    for (uint32_t round = 0; round < INPUT_ROUNDS + 2 * probes; round++) {
        if (round < INPUT_ROUNDS) {
            make_inputs((int)round, data, size, nf, xi, xf);
        } else {
            const uint32_t i = (round - INPUT_ROUNDS) / 2;
            const uint8_t *tp = f->d + f->thresholds;
            float t;
            if (f->fl) {
                const int32_t k = (int32_t)le(tp + 4 * (uint64_t)i, 4);
                const uint32_t b = (k < 0) ? ((uint32_t)k ^ 0x7fffffffu) : (uint32_t)k;
                memcpy(&t, &b, 4);
            } else {
                t = (float)(f->t8 ? (int8_t)tp[i] : (int16_t)le(tp + 2 * (uint64_t)i, 2));
            }
            const int below = (round - INPUT_ROUNDS) & 1;
            for (size_t k = 0; k < nf; k++) {
                xf[k] = below ? t - 0.5f : t;
                xi[k] = (int16_t)((t >= -32767.0f && t <= 32767.0f) ? (int32_t)t - below : 0);
            }
        }
        file_check_predict(f, m, xi, 0, out, want, acc);
        file_check_predict(f, m, xf, 1, out, want, acc);
    }
    free(xi);
    free(xf);
    free(out);
    free(want);
    free(acc);
}

static void try_model(const uint8_t *data, size_t size) {
    uint8_t *copy = (uint8_t *)xmalloc(size);   /* malloc: 16-byte aligned */
    eml_trees m;
    file_ref f;
    const char *why = NULL;
    memcpy(copy, data, size);
    const eml_status st = eml_trees_load(&m, copy, size, &why);
    const int valid = file_valid(&f, copy, size);
    check((st == EML_OK) == valid);
    if (st == EML_OK) {
        file_predict_all(&f, &m, data, size);
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
        1e30f, 1.5f, 2.0000002f, 255.0f, 256.0f, 2.5f, 1.0f, -3.25f };
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

/* Whether addnode / addroot take child c of node i (root: i = 0): it must
 * name a node or leaf within the capacities, existing yet or not. */
static int ref_addable(const ref_model *r, int32_t c, uint32_t i) {
    return (c >= 0) ? (int64_t)i + c < (int64_t)r->max_nodes
        : -(int64_t)c - 1 < (int64_t)r->max_leaves;
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
    /* make_inputs' rounds, then probes at each node's threshold t: every
     * feature t - 1 (int16) / t - 0.5 (float), t / t, and t - 1e-3 / t + 0.5 */
    static const float deltas[] = { -0.5f, 0.0f, -1e-3f, 0.5f };
    const int rounds = INPUT_ROUNDS + 4 * (int)r->n_nodes;
    for (int round = 0; round < rounds; round++) {
        if (round < INPUT_ROUNDS) {
            make_inputs(round, data, size, nf, xi, xf);
        } else {
            const int32_t t = r->nodes[(round - INPUT_ROUNDS) / 4][3];
            const int d = (round - INPUT_ROUNDS) % 4;
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

/* Run the builder program prog; data gives the prediction inputs. */
static void try_builder(const uint8_t *prog, size_t plen, const uint8_t *data, size_t size) {
    static const uint32_t caps[][3] = { { 4, 16, 8 }, { 3, 8, 4 }, { 4, 16, 65520 }, { 0, 2, 2 } };
    static const int32_t nfs[] = { 1, 2, 3, 4, 256, 257, 300, 0, 65535, 65536, -1, 2, 3, 2, 1, 2 };
    static const int32_t ncs[] = { 0, 1, 2, 3, 5, 255, 256, 65534, 65535, 65536, -1, 2, 2, 3, 0, 1 };
    static const int32_t lbs[] = { 0, 1, 32, 8 };
    reader rd = { prog, plen };
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
            st = eml_trees_builder_setdata(&b, nf, nc, lb, NULL);
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
                : (!in_range(feature, 0, r.wide ? 65535 : 255) || !ref_addable(&r, left, r.n_nodes)
                    || !ref_addable(&r, right, r.n_nodes) || !in_range(value, -32768, 32767))
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
                : !ref_addable(&r, root, 0) ? EML_ERR_VALUE : EML_OK;
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

/* A builder program for a forest that is valid by construction (trees in
 * pre-order, emlearn's relative children, classes < n_classes), drawn from
 * the bytes, sometimes with one field corrupted: raw bytes rarely get past
 * finish, and the checks of a finished model need some that do. The
 * encoding is the one try_builder reads. */
typedef struct {
    reader in;
    uint8_t *out;
    size_t len, cap;
    int32_t node[16][4];
    uint32_t n_nodes, n_leaves, n_features;
} synth;

static void emit(synth *g, uint8_t b) {
    if (g->len < g->cap) {
        g->out[g->len++] = b;
    }
}

static void emit_i16(synth *g, uint8_t escape, int32_t v) {
    emit(g, escape);
    emit(g, (uint8_t)((uint32_t)v & 0xff));
    emit(g, (uint8_t)(((uint32_t)v >> 8) & 0xff));
}

/* A subtree rooted at the next node, or a leaf: emlearn's child code
 * relative to node `parent` (absolute for a root, parent = 0). */
static int32_t synth_tree(synth *g, uint32_t parent, int depth) {
    const uint8_t c = take(&g->in);
    if (depth >= 4 || g->n_nodes >= 16 || c % 3 == 0) {
        return -1 - (int32_t)(take(&g->in) % g->n_leaves);
    }
    const uint32_t i = g->n_nodes++;
    const uint8_t v = take(&g->in);
    g->node[i][2] = (int32_t)(c % g->n_features);
    static const int32_t extreme[] = { -32768, 32767, -32767, 32766 };
    g->node[i][3] = (v < 0xf0) ? (int32_t)(v % 16) - 8 : extreme[v & 3];
    g->node[i][0] = synth_tree(g, i, depth + 1);
    g->node[i][1] = synth_tree(g, i, depth + 1);
    return (int32_t)(i - parent);
}

static size_t synthesize(const uint8_t *data, size_t size, uint8_t *out, size_t cap) {
    synth g;
    memset(&g, 0, sizeof g);
    g.in.p = data;
    g.in.n = size;
    g.out = out;
    g.cap = cap;
    const uint8_t mode = take(&g.in);
    emit(&g, (mode & 1) ? 2 : 0);                       /* narrow {4, 16, 8} or wide */
    const uint8_t nfi = (uint8_t)(take(&g.in) % 3);     /* nfs[]: 1, 2, 3 features */
    const uint8_t nci = (uint8_t)(take(&g.in) % 5);     /* ncs[]: 0 (regressor), 1, 2, 3, 5 */
    static const uint32_t n_classes[] = { 0, 1, 2, 3, 5 };
    g.n_features = nfi + 1u;
    emit(&g, 0);
    emit(&g, (uint8_t)(nfi | (nci << 4)));
    emit(&g, (mode & 2) ? 2 : 0);                       /* leaf bits 32 or 0 */
    const int regress = (mode & 2) || nci == 0;
    g.n_leaves = 1 + take(&g.in) % 8;
    const uint8_t odd_leaf = take(&g.in);              /* 1 in 4: one leaf a special value */
    for (uint32_t k = 0; k < g.n_leaves; k++) {
        emit(&g, 4);
        if (odd_leaf % 4 == 3 && k == (odd_leaf >> 2) % g.n_leaves) {
            emit(&g, (uint8_t)(0xc0 | (take(&g.in) & 15)));    /* 0.5, -0.0, NaN, 65534 ... */
        } else if (regress) {
            emit(&g, 0xe0);                             /* raw float bits */
            for (int j = 0; j < 4; j++) {
                emit(&g, take(&g.in));
            }
        } else {
            emit(&g, (uint8_t)(take(&g.in) % n_classes[nci]));
        }
    }
    const uint32_t n_trees = 1 + take(&g.in) % 4;
    int32_t roots[4];
    for (uint32_t t = 0; t < n_trees; t++) {
        const uint32_t first = g.n_nodes;
        const int32_t code = synth_tree(&g, first, 0);    /* 0: the node `first` */
        roots[t] = (code >= 0) ? (int32_t)first + code : code;
    }
    if (take(&g.in) % 8 == 7) {                         /* 1 in 8: corrupt one field */
        const uint8_t which = take(&g.in), v = take(&g.in);
        if (which % 2 == 0 && g.n_nodes > 0) {
            g.node[v % g.n_nodes][which / 2 % 4] = (int32_t)(int8_t)take(&g.in);
        } else {
            roots[v % n_trees] = (int32_t)(int8_t)take(&g.in);
        }
    }
    for (uint32_t t = 0; t < n_trees; t++) {
        emit(&g, 3);
        emit_i16(&g, 0xff, roots[t]);
    }
    for (uint32_t i = 0; i < g.n_nodes; i++) {
        emit(&g, 1);
        emit_i16(&g, 0xff, g.node[i][0]);
        emit_i16(&g, 0xff, g.node[i][1]);
        emit(&g, (uint8_t)g.node[i][2]);                /* < 4: taken as is */
        emit_i16(&g, 0xf0, g.node[i][3]);
    }
    return g.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try_model(data, size);
    try_builder(data, size, data, size);
    uint8_t prog[1024];
    const size_t plen = synthesize(data, size, prog, sizeof prog);
    try_builder(prog, plen, data, size);
    return 0;
}
