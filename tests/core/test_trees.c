/* Host tests for src/core/eml_trees.c, format version 2 (docs/trees-format.md):
 * hand-built models through a tiny serializer, checked against a reference
 * walk and the integer vote rule written out independently here; the
 * decision rule at edge values for every threshold layout; the builder
 * (emlearn's setdata / addroot / addnode / addleaf calls, checked against
 * emlearn's own semantics); and malformed models that must fail cleanly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eml_trees.h"

#define F_FLOAT EML_TREES_FLAG_FLOAT
#define F_WIDE EML_TREES_FLAG_WIDE
#define F_T8 EML_TREES_FLAG_T8
#define F_C16 EML_TREES_FLAG_C16

#define MAXC 512        /* largest n_outputs in these tests */
#define MAXF 512        /* largest n_features */
#define MAXT 64         /* largest n_trees */

static void need(int cond, const char *what) {
    if (!cond) {
        printf("test bug: %s\n", what);
        exit(2);
    }
}

static uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* ---- tiny serializer for docs/trees-format.md, version 2 ---- */

typedef struct {
    uint8_t kind, flags, combine;
    uint16_t n_features, n_outputs;
    uint32_t n_trees, n_nodes, n_leaf_words;
    const uint32_t *roots;
    const uint16_t *tree_output;    /* kind 1 */
    const float *init;              /* combine != 0 */
    const uint32_t *features;
    const int32_t *thr;             /* integer thresholds (int16, or int8 with T8) */
    const float *thr_f;             /* FLOAT: stored as key(t); NULL: (float)thr[i] */
    const uint32_t *left, *right;
    const uint32_t *words;          /* kind 0: record words, u8 (or u16 with C16) */
    const float *values;            /* kind 1: float32 pool */
} spec;

/* Byte offsets of the sections of the last model serialized. */
static struct {
    size_t roots, tree_output, init, features, thresholds, left, right, leaves, size;
} lay;

static uint8_t *wp;
static void put(uint32_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; i++) {
        *wp++ = (uint8_t)(v >> (8 * i));
    }
}
static size_t pad(uint8_t *base) {
    while ((size_t)(wp - base) % 4 != 0) {
        *wp++ = 0;
    }
    return (size_t)(wp - base);
}

static float spec_thr(const spec *s, uint32_t i) {
    return s->thr_f ? s->thr_f[i] : (float)s->thr[i];
}

/* Returns the size in bytes; buf (uint32_t, so aligned) holds cap_words. */
static size_t serialize(const spec *s, uint32_t *buf, size_t cap_words) {
    uint8_t *base = (uint8_t *)buf;
    const unsigned wide = (s->flags & F_WIDE) ? 1 : 0;
    const unsigned c16 = (s->flags & F_C16) ? 1 : 0;
    const uint64_t bound = 64 + 8ull * s->n_trees + 4ull * s->n_outputs
        + 24ull * s->n_nodes + 4ull * s->n_leaf_words;
    need(bound <= 4ull * cap_words, "serialize buffer too small");
    memset(buf, 0, 4 * cap_words);
    wp = base;
    put(0x544c4d45u, 4);
    put(2, 1);      /* version */
    put(s->kind, 1);
    put(s->flags, 1);
    put(s->combine, 1);
    put(s->n_features, 2);
    put(s->n_outputs, 2);
    put(s->n_trees, 4);
    put(s->n_nodes, 4);
    put(s->n_leaf_words, 4);
    put(0, 4);      /* size, patched below */
    put(0, 4);
    lay.roots = pad(base);
    for (uint32_t t = 0; t < s->n_trees; t++) {
        need(wide || s->roots[t] <= 0xffff, "narrow ref > 0xffff");
        put(s->roots[t], 2 + 2 * wide);
    }
    lay.tree_output = pad(base);
    if (s->kind == 1) {
        for (uint32_t t = 0; t < s->n_trees; t++) put(s->tree_output[t], 2);
    }
    lay.init = pad(base);
    if (s->combine != 0) {
        for (uint32_t k = 0; k < s->n_outputs; k++) put(fbits(s->init[k]), 4);
    }
    lay.features = pad(base);
    for (uint32_t i = 0; i < s->n_nodes; i++) put(s->features[i], 1 + wide);
    lay.thresholds = pad(base);
    for (uint32_t i = 0; i < s->n_nodes; i++) {
        if (s->flags & F_FLOAT) {
            put((uint32_t)eml_trees_key(spec_thr(s, i)), 4);
        } else if (s->flags & F_T8) {
            need(s->thr[i] >= -128 && s->thr[i] <= 127, "T8 threshold out of int8");
            put((uint32_t)s->thr[i], 1);
        } else {
            need(s->thr[i] >= -32768 && s->thr[i] <= 32767, "threshold out of int16");
            put((uint32_t)s->thr[i], 2);
        }
    }
    lay.left = pad(base);
    for (uint32_t i = 0; i < s->n_nodes; i++) put(s->left[i], 2 + 2 * wide);
    lay.right = pad(base);
    for (uint32_t i = 0; i < s->n_nodes; i++) put(s->right[i], 2 + 2 * wide);
    lay.leaves = pad(base);
    for (uint32_t k = 0; k < s->n_leaf_words; k++) {
        if (s->kind == 0) {
            need(s->words[k] <= (c16 ? 0xffffu : 0xffu), "record word does not fit");
            put(s->words[k], 1 + c16);
        } else {
            put(fbits(s->values[k]), 4);
        }
    }
    lay.size = pad(base);
    wp = base + 24;
    put((uint32_t)lay.size, 4);
    return lay.size;
}

static int near(float a, double b) {
    return fabs((double)a - b) <= 1e-6 * (1.0 + fabs(b));
}

/* ---- reference semantics, written independently of the core ---- */

/* The decision rule as the converter means it: left iff x < t, NaN right. The
 * floor rule for float inputs against integer thresholds is the same thing
 * (floor(x) < t iff x < t for integer t), and so is the key compare. */
static uint32_t ref_walk(const spec *s, uint32_t tree, const double *x) {
    uint32_t ref = s->roots[tree];
    uint32_t steps = 0;
    while (ref < s->n_nodes) {
        const double t = (s->flags & F_FLOAT) ? (double)spec_thr(s, ref) : (double)s->thr[ref];
        ref = (x[s->features[ref]] < t) ? s->left[ref] : s->right[ref];
        need(++steps <= s->n_nodes, "reference walk loops");
    }
    return ref - s->n_nodes;
}

static uint32_t share_of(uint32_t n_trees) {
    return (uint32_t)((UINT64_C(1) << 31) / n_trees);
}

/* acc * 2^-31 rounded to the nearest float (double holds acc * 2^-31 exactly). */
static float q31_float(uint64_t acc) {
    return (float)ldexp((double)acc, -31);
}

/* Integer votes of classifier spec s for leaves leaf[t]: each tree adds
 * floor(count * S / N) (64-bit, not the core's q / r split) and the exact
 * mean of the distributions. */
static void ref_votes(const spec *s, const uint32_t *leaf, uint64_t *acc, double *exact) {
    const uint32_t S = share_of(s->n_trees);
    for (uint32_t k = 0; k < s->n_outputs; k++) {
        acc[k] = 0;
        exact[k] = 0.0;
    }
    for (uint32_t t = 0; t < s->n_trees; t++) {
        const uint32_t L = leaf[t];
        if (L < s->n_outputs) {
            acc[L] += S;
            exact[L] += 1.0;
            continue;
        }
        const uint32_t *rec = s->words + (L - s->n_outputs);
        uint64_t total = 0;
        for (uint32_t j = 0; j < rec[0]; j++) total += rec[2 + 2 * j];
        for (uint32_t j = 0; j < rec[0]; j++) {
            acc[rec[1 + 2 * j]] += ((uint64_t)rec[2 + 2 * j] * S) / total;
            exact[rec[1 + 2 * j]] += (double)rec[2 + 2 * j] / (double)total;
        }
    }
    for (uint32_t k = 0; k < s->n_outputs; k++) exact[k] /= s->n_trees;
}

static int32_t first_argmax_u64(const uint64_t *v, uint32_t n) {
    int32_t best = 0;
    for (uint32_t k = 1; k < n; k++) {
        if (v[k] > v[best]) best = (int32_t)k;
    }
    return best;
}

/* Predict x (int16 or float, m->n_features values) and compare every output
 * bit for bit with the integer rule, the class with the first largest acc,
 * and each output with the exact mean (2 n_trees 2^-31 for the integer
 * shares, plus half an ulp of a float below 1 for the final rounding). */
static int check_class_predict(const eml_trees *m, const spec *s, const void *x, int is_float) {
    double xd[MAXF];
    uint32_t leaf[MAXT];
    uint64_t acc[MAXC];
    double exact[MAXC];
    float out[MAXC];
    need(s->n_features <= MAXF && s->n_trees <= MAXT && s->n_outputs <= MAXC, "sizes");
    for (uint32_t f = 0; f < s->n_features; f++) {
        xd[f] = is_float ? (double)((const float *)x)[f] : (double)((const int16_t *)x)[f];
    }
    for (uint32_t t = 0; t < s->n_trees; t++) leaf[t] = ref_walk(s, t, xd);
    ref_votes(s, leaf, acc, exact);
    int32_t cls = -7;
    int ok = eml_trees_predict(m, x, is_float, out, &cls) == EML_OK;
    const double bound = 2.0 * s->n_trees * ldexp(1.0, -31);
    for (uint32_t k = 0; k < s->n_outputs; k++) {
        ok &= fbits(out[k]) == fbits(q31_float(acc[k]));
        ok &= fabs(ldexp((double)acc[k], -31) - exact[k]) <= bound;
        ok &= fabs((double)out[k] - exact[k]) <= bound + ldexp(1.0, -25);
    }
    ok &= cls == first_argmax_u64(acc, s->n_outputs);
    if (!ok) {
        printf("  classifier mismatch (flags %u, %s input):", s->flags, is_float ? "float" : "int16");
        for (uint32_t k = 0; k < s->n_outputs && k < 8; k++) {
            printf(" %.9g/%.9g", (double)out[k], (double)q31_float(acc[k]));
        }
        printf(" class %d/%d\n", (int)cls, (int)first_argmax_u64(acc, s->n_outputs));
    }
    return ok;
}

static int load_spec(eml_trees *m, const spec *s, uint32_t *buf, size_t cap_words, const char **why) {
    const size_t n = serialize(s, buf, cap_words);
    return eml_trees_load(m, (const uint8_t *)buf, n, why) == EML_OK;
}

static uint32_t mbuf[16384];
#define MBUF_WORDS (sizeof mbuf / sizeof mbuf[0])

/* ---- key and floor ---- */

static void test_conversions(void) {
    CHECK(EML_TREES_VERSION == 2, "tests are for format version 2");
    CHECK(eml_trees_key(0.0f) == 0 && eml_trees_key(-0.0f) == 0, "key(+-0) is 0");
    CHECK(eml_trees_key(NAN) == INT32_MAX && eml_trees_key(-NAN) == INT32_MAX, "key(NaN)");
    CHECK(eml_trees_key(1.0f) == 0x3f800000, "key(1)");
    CHECK(eml_trees_key(-1.0f) == -0x3f800000 - 1, "key(-1)");
    CHECK(eml_trees_key(-1e-45f) == -2, "key(-smallest denormal)");
    static const float sorted[] = { -INFINITY, -3.4e38f, -1.0f, -1e-45f, 0.0f, 1e-45f,
        1.0f, 1.0000001f, 3.4e38f, INFINITY };
    int ok = 1;
    for (size_t i = 1; i < sizeof sorted / sizeof sorted[0]; i++) {
        ok &= eml_trees_key(sorted[i - 1]) < eml_trees_key(sorted[i]);
    }
    CHECK(ok, "key orders like the floats");
    CHECK(eml_trees_key(INFINITY) < eml_trees_key(NAN), "NaN key above +inf");
    /* key order agrees with float order on random bit patterns */
    unsigned seed = 99;
    ok = 1;
    for (int i = 0; i < 20000; i++) {
        uint32_t ua = check_rand(&seed), ub = check_rand(&seed);
        float a, b;
        memcpy(&a, &ua, 4);
        memcpy(&b, &ub, 4);
        if (isnan(a) || isnan(b)) continue;
        ok &= (a < b) == (eml_trees_key(a) < eml_trees_key(b));
    }
    CHECK(ok, "key order equals float order (random floats)");

    static const struct { float f; int32_t v; } fl[] = {
        { 0.0f, 0 }, { -0.0f, 0 }, { 0.5f, 0 }, { -0.5f, -1 }, { -1.0f, -1 }, { -1.5f, -2 },
        { 0.99999994f, 0 }, { -0.99999994f, -1 }, { 1e-45f, 0 }, { -1e-45f, -1 }, { -1e-30f, -1 },
        { 2.999f, 2 }, { 3.0f, 3 }, { -2.5f, -3 }, { 32766.5f, 32766 }, { 32767.0f, 32767 },
        { 32767.5f, 32767 }, { 32768.0f, 32767 }, { 40000.0f, 32767 }, { 16777216.0f, 32767 },
        { -32767.5f, -32768 }, { -32768.0f, -32768 }, { -32768.5f, -32769 }, { -32769.0f, -32769 },
        { -1e20f, -32769 }, { 1e20f, 32767 }, { INFINITY, 32767 }, { -INFINITY, -32769 },
        { NAN, 32767 }, { -NAN, 32767 }, { 128.0f, 128 }, { -128.0f, -128 }, { -127.5f, -128 },
        { -128.5f, -129 }, { 127.99999f, 127 },
    };
    ok = 1;
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        if (eml_trees_floor_sat(fl[i].f) != fl[i].v) {
            printf("  floor_sat(%.9g) = %d, wanted %d\n", (double)fl[i].f,
                (int)eml_trees_floor_sat(fl[i].f), (int)fl[i].v);
            ok = 0;
        }
    }
    CHECK(ok, "floor_sat edge values");
    /* random floats against libm's floor, saturated */
    ok = 1;
    for (int i = 0; i < 20000; i++) {
        uint32_t u = check_rand(&seed);
        if (i & 1) u = (u & 0x807fffffu) | ((0x7fu + (u >> 23) % 18u) << 23);  /* |f| near 1..2^17 */
        float f;
        memcpy(&f, &u, 4);
        if (isnan(f)) continue;
        double fl2 = floor((double)f);
        int32_t want = fl2 > 32767.0 ? 32767 : fl2 < -32769.0 ? -32769 : (int32_t)fl2;
        ok &= eml_trees_floor_sat(f) == want;
    }
    CHECK(ok, "floor_sat equals saturated floor (random floats)");
}

/* ---- model 1: 3 classes, 3 trees, impure records and a pure leaf ----
 * tree 0: n0: x0 < 10 ? n1 : pure 2;  n1: x1 < -5 ? B : C
 * tree 1: n2: x1 < 0 ? C : D
 * tree 2: root is record B
 * pool: B @0 = 2, 0,3, 1,1   C @5 = 1, 0,5   D @8 = 3, 0,1, 1,1, 2,1 */
#define M1_NODES 3u
#define M1_OUT 3u
#define P1(c) (M1_NODES + (c))
#define R1(off) (M1_NODES + M1_OUT + (off))
static const uint32_t m1_words[] = { 2, 0, 3, 1, 1, 1, 0, 5, 3, 0, 1, 1, 1, 2, 1 };
static const uint32_t m1_roots[] = { 0, 2, R1(0) };
static const uint32_t m1_feat[] = { 0, 1, 1 };
static const int32_t m1_thr[] = { 10, -5, 0 };
static const uint32_t m1_left[] = { 1, R1(0), R1(5) };
static const uint32_t m1_right[] = { P1(2), R1(5), R1(8) };

static spec model1(uint8_t flags) {
    spec s = { .kind = 0, .flags = flags, .combine = 0, .n_features = 2, .n_outputs = M1_OUT,
        .n_trees = 3, .n_nodes = M1_NODES, .n_leaf_words = 15, .roots = m1_roots,
        .features = m1_feat, .thr = m1_thr, .left = m1_left, .right = m1_right,
        .words = m1_words };
    return s;
}

/* Every layout model 1 fits in (its thresholds fit int8). */
static const uint8_t m1_layouts[] = {
    0, F_WIDE, F_C16, F_C16 | F_WIDE, F_T8, F_T8 | F_C16, F_T8 | F_WIDE, F_T8 | F_C16 | F_WIDE,
    F_FLOAT, F_FLOAT | F_WIDE, F_FLOAT | F_C16, F_FLOAT | F_C16 | F_WIDE,
};

static int out_is(const float *out, const uint32_t *acc, uint32_t n) {
    int ok = 1;
    for (uint32_t k = 0; k < n; k++) {
        ok &= fbits(out[k]) == fbits(q31_float(acc[k]));
    }
    return ok;
}

static void test_classifier_records(void) {
    const uint32_t S = 715827882u;          /* floor(2^31 / 3) */
    const uint32_t q = S / 4, r = S % 4;    /* record B: N = 4 */
    CHECK(share_of(3) == S && q == 178956970u && r == 2, "hand arithmetic");
    for (size_t li = 0; li < sizeof m1_layouts; li++) {
        const uint8_t flags = m1_layouts[li];
        spec s = model1(flags);
        eml_trees m;
        const char *why = "?";
        float out[3];
        int32_t cls = -7;
        if (!load_spec(&m, &s, mbuf, MBUF_WORDS, &why)) {
            printf("  flags %u: %s\n", flags, why);
            CHECK(0, "model 1 loads");
            continue;
        }
        CHECK(m.kind == 0 && m.flags == flags && m.n_leaf_words == 15 && m.share == S, "model 1 header");
        /* x = (0, -10): trees reach B, C, B. B gives class 0 floor(3S/4) =
         * 3q + floor(3r/4) and class 1 q + floor(r/4); C (one class, N = 5) gives S. */
        int16_t x[2] = { 0, -10 };
        CHECK(eml_trees_predict_int16(&m, x, out, &cls) == EML_OK, "predict");
        const uint32_t b0 = 3 * q + (3 * r) / 4, b1 = q + r / 4;
        CHECK(b0 == 536870911u && b1 == 178956970u, "record B shares");
        const uint32_t want1[] = { 2 * b0 + S, 2 * b1, 0 };
        CHECK(want1[0] == 1789569704u && out_is(out, want1, 3) && cls == 0, "records B, C, B exactly");
        CHECK(check_class_predict(&m, &s, x, 0), "records B, C, B vs reference");
        /* x = (20, 5): pure 2, D (thirds, r = 0), B */
        int16_t y[2] = { 20, 5 };
        eml_trees_predict_int16(&m, y, out, &cls);
        const uint32_t d = S / 3;
        const uint32_t want2[] = { d + b0, d + b1, S + d };
        CHECK(out_is(out, want2, 3) && cls == 2, "pure 2, D, B exactly");
        CHECK(want2[0] + want2[1] + want2[2] == 2147483645u, "shares lose 3 units");
        /* float inputs, integer thresholds: 9.99 -> floor 9 < 10 left; -5.0 is not < -5 */
        float xf[2] = { 9.99f, -5.0f };  /* C, C, B */
        eml_trees_predict_float(&m, xf, out, &cls);
        const uint32_t want3[] = { 2 * S + b0, b1, 0 };
        CHECK(out_is(out, want3, 3) && cls == 0, "float input, C C B");
        float xn[2] = { NAN, NAN };       /* NaN goes right: pure 2, D, B */
        eml_trees_predict_float(&m, xn, out, &cls);
        CHECK(out_is(out, want2, 3) && cls == 2, "NaN goes right");
        float xi[2] = { -INFINITY, -INFINITY };
        eml_trees_predict_float(&m, xi, out, &cls);
        CHECK(out_is(out, want1, 3) && cls == 0, "-inf goes left");
        float xp[2] = { 10.0f, -0.5f };   /* 10 not < 10 -> pure 2; -0.5 < 0 -> C; B */
        eml_trees_predict_float(&m, xp, out, &cls);
        const uint32_t want4[] = { S + b0, b1, S };
        CHECK(out_is(out, want4, 3) && cls == 0, "10.0 goes right, -0.5 goes left");
        CHECK(eml_trees_predict(&m, xp, 1, out, NULL) == EML_OK && out_is(out, want4, 3),
            "class_out may be NULL");

        /* grid of inputs against the reference walk and vote rule */
        static const int16_t gi[] = { -32768, -11, -10, -6, -5, -4, -1, 0, 1, 9, 10, 11, 127, 32767 };
        static const float gf[] = { -INFINITY, -32769.0f, -32768.0f, -10.5f, -5.5f, -5.0f, -4.5f,
            -1.0f, -0.5f, -1e-45f, -0.0f, 0.0f, 1e-45f, 0.5f, 9.5f, 9.9999995f, 10.0f, 10.5f,
            32767.5f, 1e30f, INFINITY, NAN };
        int ok = 1;
        for (size_t a = 0; a < sizeof gi / sizeof gi[0]; a++) {
            for (size_t b = 0; b < sizeof gi / sizeof gi[0]; b++) {
                int16_t v[2] = { gi[a], gi[b] };
                ok &= check_class_predict(&m, &s, v, 0);
            }
        }
        for (size_t a = 0; a < sizeof gf / sizeof gf[0]; a++) {
            for (size_t b = 0; b < sizeof gf / sizeof gf[0]; b++) {
                float v[2] = { gf[a], gf[b] };
                ok &= check_class_predict(&m, &s, v, 1);
            }
        }
        CHECK(ok, "model 1 grid equals the reference, every layout");
    }
}

/* The one-feature input 0, and its class from a prediction that starts
 * from the class -7, so a prediction that leaves the class unset shows. */
static const int16_t zero_row[1] = { 0 };

static int32_t predict_zero(const eml_trees *m, float *out) {
    int32_t cls = -7;
    eml_trees_predict_int16(m, zero_row, out, &cls);
    return cls;
}

/* Single-leaf trees (n_nodes 0): roots are leaf refs. */
static void test_pure_and_ties(void) {
    eml_trees m;
    const char *why = "?";
    float out[4];
    int32_t cls;
    {   /* 2 trees voting 1 and 0: tie, first class wins */
        static const uint32_t roots[] = { 1, 0 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 2, .n_trees = 2, .roots = roots };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        cls = predict_zero(&m, out);
        CHECK(cls == 0 && out[0] == 0.5f && out[1] == 0.5f, "pure tie goes to class 0");
    }
    {   /* 4 trees: 3, 1, 3, 1 -> tie between 1 and 3, class 1 */
        static const uint32_t roots[] = { 3, 1, 3, 1 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 4, .n_trees = 4, .roots = roots };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        float x = 0.0f;
        eml_trees_predict_float(&m, &x, out, &cls);
        CHECK(cls == 1 && out[0] == 0.0f && out[1] == 0.5f && out[2] == 0.0f && out[3] == 0.5f,
            "pure tie between later classes");
    }
    {   /* 2 trees reaching records (class 0: 49, class 2: 49) and (1: 1, 3: 1):
         * every class gets exactly 2^29, a tie won by class 0. 49 * 2^30 / 98
         * is an integer whose double estimate 49 * (2^30 / 98) falls just
         * below it: the double vote path (eml_trees.c) must still give 2^29. */
        static const uint32_t words[] = { 2, 0, 49, 2, 49, 2, 1, 1, 3, 1 };
        static const uint32_t roots[] = { 4 + 0, 4 + 5 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 4, .n_trees = 2, .n_leaf_words = 10,
            .roots = roots, .words = words };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        CHECK(floor(49.0 * (1073741824.0 / 98.0)) < 536870912.0, "the double estimate is below");
        cls = predict_zero(&m, out);
        CHECK(cls == 0 && out[0] == 0.25f && out[1] == 0.25f && out[2] == 0.25f && out[3] == 0.25f,
            "integer share from a fraction 49/98: exact, tie to class 0");
        CHECK(check_class_predict(&m, &s, zero_row, 0), "fraction 49/98 vs reference");
        /* predict_class: the same class, the accumulators left as integers */
        cls = -7;
        CHECK(eml_trees_predict_class(&m, zero_row, 0, out, &cls) == EML_OK && cls == 0, "predict_class");
        for (uint32_t k = 0; k < 4; k++) {
            CHECK(fbits(out[k]) == 536870912u, "predict_class leaves integer accumulators");
        }
    }
    {   /* 40 trees voting t % 3 (votes 14, 13, 13): more trees than the
         * batch of walks done before voting on hosts (16) */
        static uint32_t roots[40];
        for (uint32_t t = 0; t < 40; t++) roots[t] = t % 3;
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 3, .n_trees = 40, .roots = roots };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        cls = predict_zero(&m, out);
        const uint32_t S = share_of(40);
        const uint32_t want[] = { 14 * S, 13 * S, 13 * S };
        CHECK(cls == 0 && out_is(out, want, 3), "40 trees: every vote counted once");
        CHECK(check_class_predict(&m, &s, zero_row, 0), "40 trees vs reference");
    }
    {   /* 3 trees voting 2, 0, 2: shares of 2^31/3 */
        static const uint32_t roots[] = { 2, 0, 2 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 3, .n_trees = 3, .roots = roots };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        cls = predict_zero(&m, out);
        const uint32_t want[] = { 715827882u, 0, 1431655764u };
        CHECK(cls == 2 && out_is(out, want, 3), "pure thirds exactly");
        CHECK(check_class_predict(&m, &s, zero_row, 0), "pure thirds vs reference");
        CHECK(fabs((double)out[2] - 2.0 / 3) < 1e-7 && fabs((double)out[0] - 1.0 / 3) < 1e-7,
            "pure thirds near 1/3, 2/3");
    }
    {   /* one tree, record 2, 2,1, 1,1 (classes listed in reverse): tie 1 / 2 -> 1 */
        static const uint32_t words[] = { 2, 2, 1, 1, 1 };
        static const uint32_t roots[] = { 3 + 0 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 3, .n_trees = 1, .n_leaf_words = 5,
            .roots = roots, .words = words };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        cls = predict_zero(&m, out);
        CHECK(cls == 1 && out[0] == 0.0f && out[1] == 0.5f && out[2] == 0.5f, "record tie -> lower index");
    }
    {   /* pure leaf 2 against record 1, 0,7 (N = 7): both exactly S -> class 0 */
        static const uint32_t words[] = { 1, 0, 7 };
        static const uint32_t roots[] = { 2, 3 + 0 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 3, .n_trees = 2, .n_leaf_words = 3,
            .roots = roots, .words = words };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        cls = predict_zero(&m, out);
        CHECK(cls == 0 && out[0] == 0.5f && out[2] == 0.5f && out[1] == 0.0f, "pure vs record tie");
    }
    {   /* one tree, record 3, 0,1, 1,1, 2,1: every class floor(2^31/3) -> class 0 */
        static const uint32_t words[] = { 3, 0, 1, 1, 1, 2, 1 };
        static const uint32_t roots[] = { 3 + 0 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 3, .n_trees = 1, .n_leaf_words = 7,
            .roots = roots, .words = words };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        cls = predict_zero(&m, out);
        const uint32_t want[] = { 715827882u, 715827882u, 715827882u };
        CHECK(cls == 0 && out_is(out, want, 3), "three-way tie");
    }
    {   /* 4 trees of one node each: exact quarters */
        static const uint32_t roots[] = { 0, 1, 2, 3 };
        static const uint32_t feat[] = { 0, 0, 0, 0 };
        static const int32_t thr[] = { 0, 0, 100, -32768 };
        static const uint32_t left[] = { 4 + 0, 4 + 1, 4 + 2, 4 + 3 };
        static const uint32_t right[] = { 4 + 1, 4 + 0, 4 + 1, 4 + 2 };
        spec s = { .kind = 0, .n_features = 1, .n_outputs = 4, .n_trees = 4, .n_nodes = 4,
            .roots = roots, .features = feat, .thr = thr, .left = left, .right = right };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        int16_t x = -1;   /* 0, 1, 2, 2 */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(out[0] == 0.25f && out[1] == 0.25f && out[2] == 0.5f && out[3] == 0.0f && cls == 2,
            "vote quarters");
        x = 200;          /* 1, 0, 1, 2 */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 1 && out[1] == 0.5f && out[0] == 0.25f && out[2] == 0.25f, "vote quarters 2");
        x = -32768;       /* 0, 1, 2, 2: -32768 is not < -32768 */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 2 && out[3] == 0.0f, "vote quarters 3");
    }
}

/* u16 records: classes and counts above 255, sums up to 65535. */
static void test_c16_records(void) {
    enum { NO = 300 };
    /* A @0 = 2, 299,1000, 5,3000 (N 4000); B @5 = 1, 256,65535; E @8 = 2, 0,65534, 1,1 */
    static const uint32_t words[] = { 2, 299, 1000, 5, 3000, 1, 256, 65535, 2, 0, 65534, 1, 1 };
    static const uint32_t roots[] = { 0, 1 + NO + 8, 1 + 299 };
    static const uint32_t feat[] = { 0 };
    static const int32_t thr[] = { 0 };
    static const uint32_t left[] = { 1 + NO + 0 }, right[] = { 1 + NO + 5 };
    eml_trees m;
    const char *why = "?";
    static float out[NO];
    int32_t cls;
    for (int wide = 0; wide < 2; wide++) {
        spec s = { .kind = 0, .flags = (uint8_t)(F_C16 | (wide ? F_WIDE : 0)), .n_features = 1,
            .n_outputs = NO, .n_trees = 3, .n_nodes = 1, .n_leaf_words = 13, .roots = roots,
            .features = feat, .thr = thr, .left = left, .right = right, .words = words };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        int16_t x = -1;   /* A, E, pure 299 */
        CHECK(check_class_predict(&m, &s, &x, 0), "C16 records A, E, pure");
        eml_trees_predict_int16(&m, &x, out, &cls);
        const uint64_t S = 715827882u;
        CHECK(fbits(out[299]) == fbits(q31_float(S + (1000 * S) / 4000)) && cls == 299,
            "class 299 = pure + 1/4 of A");
        CHECK(fbits(out[0]) == fbits(q31_float((65534 * S) / 65535))
            && fbits(out[1]) == fbits(q31_float(S / 65535)), "record E with N = 65535");
        x = 0;            /* B, E, pure 299 */
        CHECK(check_class_predict(&m, &s, &x, 0), "C16 records B, E, pure");
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(fbits(out[256]) == fbits(q31_float(S)) && cls == 256, "record B: one class, N = 65535");
    }
}

/* Rounding of acc * 2^-31 to float, ties to even: one-tree models whose root
 * is a u16 record 2, 0,c0, 1,c1, so acc = floor(c * 2^31 / (c0 + c1)). */
static void test_q31_rounding(void) {
    static uint32_t words[5] = { 2, 0, 0, 1, 0 };
    static const uint32_t roots[] = { 2 + 0 };
    spec s = { .kind = 0, .flags = F_C16, .n_features = 1, .n_outputs = 2, .n_trees = 1,
        .n_leaf_words = 5, .roots = roots, .words = words };
    unsigned seed = 7;
    int ok = 1, tested = 0, ties_even = 0, ties_odd = 0, rounded_up = 0;
    for (int i = 0; i < 400000 && (tested < 3000 || ties_even < 3 || ties_odd < 3); i++) {
        const uint32_t n = 1 + check_rand(&seed) % 65535;
        const uint32_t c0 = check_rand(&seed) % (n + 1);
        const uint64_t acc0 = ((uint64_t)c0 << 31) / n;
        int tie = 0;
        if (acc0 >= (1u << 24)) {
            uint32_t top = 0;
            while ((acc0 >> (top + 1)) != 0) top++;
            const uint32_t drop = top - 23;
            const uint64_t half = UINT64_C(1) << (drop - 1);
            if ((acc0 & ((half << 1) - 1)) == half) {
                tie = 1;
                if ((acc0 >> drop) & 1) ties_odd++; else ties_even++;
            }
            if ((acc0 & ((half << 1) - 1)) > half) rounded_up++;
        }
        if (!tie && tested >= 3000) continue;
        words[2] = c0;
        words[4] = n - c0;
        eml_trees m;
        float out[2];
        int32_t cls;
        if (!load_spec(&m, &s, mbuf, MBUF_WORDS, NULL)) {
            ok = 0;
            continue;
        }
        cls = predict_zero(&m, out);
        const uint64_t acc1 = ((uint64_t)(n - c0) << 31) / n;
        ok &= fbits(out[0]) == fbits(q31_float(acc0)) && fbits(out[1]) == fbits(q31_float(acc1));
        ok &= cls == (acc1 > acc0 ? 1 : 0);
        tested++;
    }
    CHECK(ok, "acc * 2^-31 rounds to the nearest float");
    CHECK(ties_even >= 3 && ties_odd >= 3 && rounded_up > 100, "rounding ties were exercised");
    /* one pure tree: acc = 2^31 -> exactly 1.0 */
    static const uint32_t proot[] = { 1 };
    spec p = { .kind = 0, .n_features = 1, .n_outputs = 2, .n_trees = 1, .roots = proot };
    eml_trees m;
    float out[2];
    int32_t cls;
    CHECK(load_spec(&m, &p, mbuf, MBUF_WORDS, NULL), "one pure tree loads");
    cls = predict_zero(&m, out);
    CHECK(out[0] == 0.0f && out[1] == 1.0f && cls == 1, "one pure tree gives 1.0");
}

/* ---- decision rule for every threshold layout ---- */

static const int16_t edge_i16[] = { -32768, -32767, -129, -128, -127, -2, -1, 0, 1, 2, 126, 127,
    128, 999, 1000, 1001, 32766, 32767 };
static const float edge_f[] = { -INFINITY, -1e30f, -32769.0f, -32768.5f, -32768.0f, -32767.5f,
    -129.0f, -128.5f, -128.0f, -127.99f, -127.5f, -2.5f, -1.5f, -1.0f, -0.5f, -1e-45f, -0.0f, 0.0f,
    1e-45f, 0.5f, 0.99999994f, 1.0f, 2.5f, 126.9f, 127.0f, 127.5f, 128.0f, 999.5f, 1000.0f,
    32766.5f, 32767.0f, 32767.5f, 32768.0f, 1e30f, INFINITY, NAN, -NAN };

/* A one-node model's result as the child taken: 0 left, 1 right, 9 for
 * anything else. Classifiers give it as the class; regressors (kind 1),
 * whose class is -1, as the value 0 / 1. */
static int32_t as_side(unsigned kind, int32_t cls, const float *out) {
    if (!kind) {
        return cls;
    }
    return (cls == -1 && out[0] == 1.0f) ? 1 : (cls == -1 && out[0] == 0.0f) ? 0 : 9;
}

/* The child taken for x by both predict entry points (typed and generic);
 * 9 when they differ. */
static int32_t side_taken(const eml_trees *m, unsigned kind, const void *x, int is_float) {
    float out[2];
    int32_t c1 = -7, c2 = -7;
    if (is_float) {
        eml_trees_predict_float(m, (const float *)x, out, &c1);
    } else {
        eml_trees_predict_int16(m, (const int16_t *)x, out, &c1);
    }
    c1 = as_side(kind, c1, out);
    eml_trees_predict(m, x, is_float, out, &c2);
    c2 = as_side(kind, c2, out);
    return c1 == c2 ? c1 : 9;
}

/* One tree, one node on feature 2 of 3. Classifier (kind 0): left -> class 0,
 * right -> class 1 (the classifier's vote loops). Values (kind 1): left ->
 * 0.0, right -> 1.0 (the regressor's walks). The other features hold values
 * that would decide the other way. Returns the number of wrong decisions
 * over every edge input. */
static int decisions(uint8_t kind, uint8_t flags, int32_t t, float tf, int use_tf) {
    static const uint32_t roots[] = { 0 };
    static const uint32_t feat[] = { 2 };
    static const uint32_t left[] = { 1 + 0 }, right[] = { 1 + 1 };
    static const uint16_t all[] = { 0xffff };
    static const float pool[] = { 0.0f, 1.0f };
    int32_t thr[1] = { t };
    float thrf[1] = { tf };
    spec s = { .kind = kind, .flags = flags, .n_features = 3, .n_outputs = (uint16_t)(kind ? 1 : 2),
        .n_trees = 1, .n_nodes = 1, .n_leaf_words = kind ? 2 : 0, .roots = roots,
        .tree_output = all, .features = feat, .thr = thr, .thr_f = use_tf ? thrf : NULL,
        .left = left, .right = right, .values = pool };
    const double td = use_tf ? (double)tf : (double)t;
    eml_trees m;
    const char *why = "?";
    int wrong = 0;
    if (!load_spec(&m, &s, mbuf, MBUF_WORDS, &why)) {
        printf("  decision model kind %u flags %u t %d: %s\n", kind, flags, (int)t, why);
        return 1;
    }
    for (size_t i = 0; i < sizeof edge_i16 / sizeof edge_i16[0]; i++) {
        const int16_t v = edge_i16[i];
        const int16_t x[3] = { (int16_t)(v < td ? 32767 : -32768), (int16_t)(v < td ? 32767 : -32768), v };
        const int32_t c1 = side_taken(&m, kind, x, 0);
        const int32_t want = ((double)v < td) ? 0 : 1;
        if (c1 != want) {
            printf("  kind %u flags %u thr %g: int16 %d went %s\n", kind, flags, td, (int)v, c1 ? "right" : "left");
            wrong++;
        }
    }
    for (size_t i = 0; i < sizeof edge_f / sizeof edge_f[0]; i++) {
        const float v = edge_f[i];
        const int left_ = (double)v < td;      /* NaN: false, goes right */
        const float x[3] = { left_ ? INFINITY : -INFINITY, left_ ? NAN : -1e30f, v };
        const int32_t c1 = side_taken(&m, kind, x, 1);
        if (c1 != !left_) {
            printf("  kind %u flags %u thr %g: float %.9g went %s\n", kind, flags, td, (double)v, c1 ? "right" : "left");
            wrong++;
        }
    }
    return wrong;
}

/* decisions() over every integer threshold and layout given (classifier
 * records, C16, do not exist for regressors); the number that were wrong. */
static int wrong_decisions(uint8_t kind, const int32_t *thresholds, size_t n_thresholds,
    const uint8_t *layouts, size_t n_layouts) {
    int wrong = 0;
    for (size_t i = 0; i < n_thresholds; i++) {
        for (size_t l = 0; l < n_layouts; l++) {
            if (kind == 0 || !(layouts[l] & F_C16)) {
                wrong += decisions(kind, layouts[l], thresholds[i], 0.0f, 0);
            }
        }
    }
    return wrong;
}

static void test_threshold_layouts(void) {
    /* integer thresholds: int16 (fast and generic walks), int8 (fast and
     * generic), and the same value as a float key: all the same decisions */
    static const int32_t t8[] = { -128, -127, -2, -1, 0, 1, 2, 126, 127 };
    static const int32_t t16[] = { -32768, -32767, -129, 128, 999, 1000, 32766, 32767 };
    static const uint8_t all_layouts[] = { 0, F_WIDE, F_T8, F_T8 | F_WIDE, F_FLOAT, F_FLOAT | F_WIDE,
        F_C16, F_T8 | F_C16, F_FLOAT | F_C16 | F_WIDE };
    static const uint8_t wide16_layouts[] = { 0, F_WIDE, F_FLOAT, F_FLOAT | F_WIDE, F_C16 | F_WIDE };
    for (uint8_t kind = 0; kind < 2; kind++) {
        CHECK(wrong_decisions(kind, t8, sizeof t8 / sizeof t8[0], all_layouts, sizeof all_layouts) == 0,
            kind ? "int8-range thresholds, regressor walks: every layout decides x < t"
            : "int8-range thresholds, classifier votes: every layout decides x < t");
        CHECK(wrong_decisions(kind, t16, sizeof t16 / sizeof t16[0], wide16_layouts,
            sizeof wide16_layouts) == 0,
            kind ? "int16 thresholds, regressor walks: narrow, wide and float key agree"
            : "int16 thresholds, classifier votes: narrow, wide and float key agree");
    }
    int wrong;
    /* non-integer float thresholds */
    static const float tf[] = { 0.0f, -0.0f, 2.5f, -2.5f, 1e-45f, -1e-45f, 0.1f, -0.5f, 127.5f,
        -128.5f, 32767.5f, -32768.5f, 32768.0f, -32769.0f, 1e30f, -1e30f, INFINITY, -INFINITY };
    static const uint8_t fl_layouts[] = { F_FLOAT, F_FLOAT | F_WIDE, F_FLOAT | F_C16 };
    wrong = 0;
    for (size_t i = 0; i < sizeof tf / sizeof tf[0]; i++) {
        for (size_t l = 0; l < sizeof fl_layouts; l++) {
            wrong += decisions(0, fl_layouts[l], 0, tf[i], 1);
            if (!(fl_layouts[l] & F_C16)) {
                wrong += decisions(1, fl_layouts[l], 0, tf[i], 1);
            }
        }
    }
    CHECK(wrong == 0, "float thresholds: float and int16 inputs decide x < t, NaN right");

    /* a few spelled out, T8 narrow (fast int8 walk for int16 input) */
    static const uint32_t roots[] = { 0, 1 };
    static const uint32_t feat[] = { 0, 0 };
    static const int32_t thr[] = { -128, 127 };
    static const uint32_t left[] = { 2 + 0, 2 + 0 }, right[] = { 2 + 1, 2 + 1 };
    for (int wide = 0; wide < 2; wide++) {
        spec s = { .kind = 0, .flags = (uint8_t)(F_T8 | (wide ? F_WIDE : 0)), .n_features = 1,
            .n_outputs = 2, .n_trees = 2, .n_nodes = 2, .roots = roots, .features = feat,
            .thr = thr, .left = left, .right = right };
        eml_trees m;
        const char *why = "?";
        float out[2];
        int32_t cls;
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        CHECK(((const int8_t *)m.thresholds)[0] == -128 && ((const int8_t *)m.thresholds)[1] == 127,
            "int8 thresholds stored as bytes");
        /* out[1] = share of trees going right: 0, 0.5 or 1 */
        static const struct { int16_t x; float p1; } ic[] = {
            { -32768, 0.0f }, { -129, 0.0f }, { -128, 0.5f }, { 0, 0.5f }, { 126, 0.5f },
            { 127, 1.0f }, { 128, 1.0f }, { 32767, 1.0f },
        };
        for (size_t i = 0; i < sizeof ic / sizeof ic[0]; i++) {
            eml_trees_predict_int16(&m, &ic[i].x, out, &cls);
            CHECK(out[1] == ic[i].p1, "T8 with int16 input");
        }
        static const struct { float x; float p1; } fc[] = {
            { -32768.0f, 0.0f }, { -128.5f, 0.0f }, { -128.0f, 0.5f }, { -0.5f, 0.5f },
            { 126.99f, 0.5f }, { 127.0f, 1.0f }, { 32767.5f, 1.0f }, { NAN, 1.0f },
            { -INFINITY, 0.0f }, { INFINITY, 1.0f }, { -127.5f, 0.5f },
        };
        for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) {
            eml_trees_predict_float(&m, &fc[i].x, out, &cls);
            CHECK(out[1] == fc[i].p1, "T8 with float input");
        }
    }
    /* floor semantics against threshold 0 and -1 with int16 thresholds:
     * -0.5 floors to -1, so it is < 0 but not < -1 */
    {
        static const int32_t thr2[] = { 0, -1 };
        spec s = { .kind = 0, .flags = 0, .n_features = 1, .n_outputs = 2, .n_trees = 2,
            .n_nodes = 2, .roots = roots, .features = feat, .thr = thr2, .left = left, .right = right };
        eml_trees m;
        float out[2];
        int32_t cls;
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, NULL), "floor model loads");
        const float v[] = { -0.5f, -1.0f, -1e-45f, -0.0f, -32768.0f, 32767.5f };
        const float p1[] = { 0.5f, 0.5f, 0.5f, 1.0f, 0.0f, 1.0f };
        for (int i = 0; i < 6; i++) {
            eml_trees_predict_float(&m, &v[i], out, &cls);
            CHECK(out[1] == p1[i], "float input floor semantics");
        }
    }
}

/* ---- values models: RF regressor, GB regressor, logistic, softmax ---- */

static void test_values(void) {
    static const uint8_t layouts[] = { 0, F_WIDE, F_T8, F_FLOAT, F_FLOAT | F_WIDE };
    static const uint32_t roots[] = { 0, 1 };
    static const uint32_t feat[] = { 0, 0 };
    static const int32_t thr[] = { 0, 0 };
    for (size_t li = 0; li < sizeof layouts; li++) {
        const uint8_t fl = layouts[li];
        eml_trees m;
        const char *why = "?";
        float out[3];
        int32_t cls;
        /* RF regressor, 2 outputs: one node per tree, x0 < 0 ? L : R */
        static const float pool2[] = { 1.0f, 2.0f, 3.0f, 4.0f };    /* records @0, @2 */
        static const uint32_t l2[] = { 2 + 0, 2 + 2 }, r2[] = { 2 + 2, 2 + 0 };
        static const uint16_t all[] = { 0xffff, 0xffff };
        spec s = { .kind = 1, .flags = fl, .combine = 0, .n_features = 1, .n_outputs = 2,
            .n_trees = 2, .n_nodes = 2, .n_leaf_words = 4, .roots = roots, .tree_output = all,
            .features = feat, .thr = thr, .left = l2, .right = r2, .values = pool2 };
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        int16_t x = -1;   /* (1,2), (3,4) */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(out[0] == 2.0f && out[1] == 3.0f && cls == -1, "RF regressor mean");
        float xf = 0.0f;  /* (3,4), (1,2) */
        eml_trees_predict_float(&m, &xf, out, &cls);
        CHECK(out[0] == 2.0f && out[1] == 3.0f && cls == -1, "RF regressor mean (float)");
        xf = -0.5f;       /* both left-hand: (1,2), (3,4) */
        eml_trees_predict_float(&m, &xf, out, &cls);
        CHECK(out[0] == 2.0f && out[1] == 3.0f, "RF regressor, -0.5 left");

        /* combine 0 with trees feeding single outputs: mean over all trees */
        static const float poolv[] = { 6.0f, 10.0f };
        static const uint32_t lv[] = { 2 + 0, 2 + 1 }, rv[] = { 2 + 1, 2 + 0 };
        static const uint16_t to01[] = { 0, 1 };
        spec v = { .kind = 1, .flags = fl, .combine = 0, .n_features = 1, .n_outputs = 2,
            .n_trees = 2, .n_nodes = 2, .n_leaf_words = 2, .roots = roots, .tree_output = to01,
            .features = feat, .thr = thr, .left = lv, .right = rv, .values = poolv };
        CHECK(load_spec(&m, &v, mbuf, MBUF_WORDS, &why), why);
        x = -1;           /* out0 += 6, out1 += 10, / 2 */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(out[0] == 3.0f && out[1] == 5.0f, "mean with per-tree outputs");

        /* GB regressor: combine 1, both trees feed output 0, init 0.5 */
        static const float pool1[] = { -1.0f, 10.0f };
        static const uint32_t l1[] = { 2 + 0, 2 + 1 }, r1[] = { 2 + 1, 2 + 1 };
        static const uint16_t to0[] = { 0, 0 };
        static const float init1[] = { 0.5f };
        spec g = { .kind = 1, .flags = fl, .combine = 1, .n_features = 1, .n_outputs = 1,
            .n_trees = 2, .n_nodes = 2, .n_leaf_words = 2, .roots = roots, .tree_output = to0,
            .init = init1, .features = feat, .thr = thr, .left = l1, .right = r1, .values = pool1 };
        CHECK(load_spec(&m, &g, mbuf, MBUF_WORDS, &why), why);
        x = -1;
        eml_trees_predict_int16(&m, &x, out, &cls);   /* 0.5 - 1 + 10 */
        CHECK(out[0] == 9.5f && cls == -1, "GB regressor sum");
        x = 0;                                        /* 0.5 + 10 + 10 */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(out[0] == 20.5f && cls == -1, "GB regressor sum 2");

        /* logistic: n_outputs 2, trees feed output 1 */
        static const uint16_t to1[] = { 1, 1 };
        static const float init2[] = { 0.0f, 0.25f };
        static const float poolz[] = { -0.125f, -0.125f };
        spec lg = { .kind = 1, .flags = fl, .combine = 2, .n_features = 1, .n_outputs = 2,
            .n_trees = 2, .n_nodes = 2, .n_leaf_words = 2, .roots = roots, .tree_output = to1,
            .init = init2, .features = feat, .thr = thr, .left = l1, .right = r1, .values = pool1 };
        CHECK(load_spec(&m, &lg, mbuf, MBUF_WORDS, &why), why);
        x = -1;
        eml_trees_predict_int16(&m, &x, out, &cls);   /* r = 0.25 + 9 */
        double sg = 1.0 / (1.0 + exp(-9.25));
        CHECK(near(out[1], sg) && near(out[0], 1.0 - sg) && cls == 1, "logistic");
        x = 1;                                        /* r = 0.25 + 20 */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 1 && out[1] > 0.99f, "logistic 2");
        lg.values = poolz;                            /* r = 0.25 - 0.125 - 0.125 = 0 */
        CHECK(load_spec(&m, &lg, mbuf, MBUF_WORDS, &why), why);
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 0 && out[1] == 0.5f && out[0] == 0.5f, "logistic r == 0 gives class 0");
        static const float init2n[] = { 0.0f, -3.0f };
        lg.init = init2n;                             /* r = -3.25: sums (0, -3.25) */
        CHECK(load_spec(&m, &lg, mbuf, MBUF_WORDS, &why), why);
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 0 && near(out[1], 1.0 / (1.0 + exp(3.25))), "logistic negative");

        /* softmax: 3 outputs, tree 0 feeds output 1, tree 1 feeds output 2 */
        static const uint16_t to12[] = { 1, 2 };
        static const float init3[] = { 0.0f, 0.0f, 0.0f };
        static const float pool3[] = { 1.0f, 2.0f };
        static const uint32_t l3[] = { 2 + 0, 2 + 1 }, r3[] = { 2 + 1, 2 + 0 };
        spec sm = { .kind = 1, .flags = fl, .combine = 3, .n_features = 1, .n_outputs = 3,
            .n_trees = 2, .n_nodes = 2, .n_leaf_words = 2, .roots = roots, .tree_output = to12,
            .init = init3, .features = feat, .thr = thr, .left = l3, .right = r3, .values = pool3 };
        CHECK(load_spec(&m, &sm, mbuf, MBUF_WORDS, &why), why);
        x = -1;   /* sums (0, 1, 2) */
        eml_trees_predict_int16(&m, &x, out, &cls);
        double z = 1.0 + exp(1.0) + exp(2.0);
        CHECK(near(out[0], 1.0 / z) && near(out[1], exp(1.0) / z) && near(out[2], exp(2.0) / z), "softmax");
        CHECK(cls == 2, "softmax argmax");
        x = 0;    /* sums (0, 2, 1) */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 1 && near(out[1], exp(2.0) / z), "softmax argmax 2");
        static const float init3t[] = { 2.0f, 0.0f, 0.0f };
        sm.init = init3t;                             /* sums (2, 2, 1): tie -> 0 */
        CHECK(load_spec(&m, &sm, mbuf, MBUF_WORDS, &why), why);
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 0 && out[0] == out[1], "softmax tie -> first");
    }
}

/* Model 1's trees as a values model (2 outputs per leaf record), checked in
 * every layout against the reference walk: the mean of the trees' records,
 * summed in tree order and scaled by 1/n_trees as floats. Values records:
 * V0 @0, V1 @2, V2 @4. */
static void test_values_grid(void) {
    static const float pool[] = { 0.25f, -8.0f, 3.0f, 0.5f, -1.5f, 1024.0f };
    static const uint32_t roots[] = { 0, 2, 3 + 0 };
    static const uint32_t left[] = { 1, 3 + 0, 3 + 2 };
    static const uint32_t right[] = { 3 + 4, 3 + 2, 3 + 4 };
    static const uint16_t all[] = { 0xffff, 0xffff, 0xffff };
    static const uint8_t layouts[] = { 0, F_WIDE, F_T8, F_T8 | F_WIDE, F_FLOAT, F_FLOAT | F_WIDE };
    static const int16_t gi[] = { -32768, -11, -10, -6, -5, -4, -1, 0, 1, 9, 10, 11, 32767 };
    static const float gf[] = { -INFINITY, -32768.0f, -5.5f, -5.0f, -4.5f, -0.5f, -0.0f, 0.0f,
        9.5f, 10.0f, 32767.5f, INFINITY, NAN };
    for (size_t li = 0; li < sizeof layouts; li++) {
        spec s = { .kind = 1, .flags = layouts[li], .combine = 0, .n_features = 2, .n_outputs = 2,
            .n_trees = 3, .n_nodes = 3, .n_leaf_words = 6, .roots = roots, .tree_output = all,
            .features = m1_feat, .thr = m1_thr, .left = left, .right = right, .values = pool };
        eml_trees m;
        const char *why = "?";
        CHECK(load_spec(&m, &s, mbuf, MBUF_WORDS, &why), why);
        int ok = 1;
        for (int is_float = 0; is_float < 2; is_float++) {
            const size_t n = is_float ? sizeof gf / sizeof gf[0] : sizeof gi / sizeof gi[0];
            for (size_t a = 0; a < n; a++) {
                for (size_t b = 0; b < n; b++) {
                    const int16_t xi[2] = { gi[is_float ? 0 : a], gi[is_float ? 0 : b] };
                    const float xf[2] = { gf[is_float ? a : 0], gf[is_float ? b : 0] };
                    double xd[2];
                    for (int f = 0; f < 2; f++) xd[f] = is_float ? (double)xf[f] : (double)xi[f];
                    float want[2] = { 0.0f, 0.0f };
                    for (uint32_t t = 0; t < 3; t++) {
                        const uint32_t L = ref_walk(&s, t, xd);
                        want[0] += pool[L];
                        want[1] += pool[L + 1];
                    }
                    want[0] *= 1.0f / 3.0f;
                    want[1] *= 1.0f / 3.0f;
                    float out[2];
                    int32_t cls = 7;
                    eml_trees_predict(&m, is_float ? (const void *)xf : (const void *)xi, is_float, out, &cls);
                    ok &= cls == -1 && out[0] == want[0] && out[1] == want[1];
                }
            }
        }
        CHECK(ok, "values model grid equals the reference, every layout");
    }
}

/* ---- builder: emlearn's calls, checked against emlearn's semantics ---- */

typedef struct {
    int32_t n_features, n_classes, leaf_bits;
    int32_t roots[64];
    uint32_t n_roots;
    int32_t node[512][4];       /* left, right, feature, value */
    uint32_t n_nodes;
    float leaves[512];
    uint32_t n_leaves;
} raw_model;

/* Feed a raw model to a builder, in emlearn's line order. */
static eml_status feed(eml_trees_builder *b, const raw_model *r, const char **why) {
    eml_status st = eml_trees_builder_setdata(b, r->n_features, r->n_classes, r->leaf_bits, why);
    for (uint32_t i = 0; st == EML_OK && i < r->n_leaves; i++) {
        st = eml_trees_builder_addleaf(b, r->leaves[i], why);
    }
    for (uint32_t i = 0; st == EML_OK && i < r->n_roots; i++) {
        st = eml_trees_builder_addroot(b, r->roots[i], why);
    }
    for (uint32_t i = 0; st == EML_OK && i < r->n_nodes; i++) {
        st = eml_trees_builder_addnode(b, r->node[i][0], r->node[i][1], r->node[i][2],
            r->node[i][3], why);
    }
    return st;
}

/* A tiny reader for emlearn's CSV model text (test-side; the core has none):
 * f,<n_features>  c,<n_classes>  lb,<leaf bits>  l,<leaf>  r,<root>
 * n,<feature>,<value>,<left>,<right> with value = int(float(v)). Returns 1 if
 * every line was understood. */
static int parse_csv(const char *text, raw_model *r) {
    memset(r, 0, sizeof *r);
    r->n_features = -1;
    r->n_classes = -1;
    char line[256];
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        need(len < sizeof line, "CSV line too long");
        memcpy(line, p, len);
        line[len] = 0;
        p += len + (p[len] == '\n');
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = 0;
        if (len == 0) continue;
        char *field[6];
        int nf = 0;
        for (char *q = line; nf < 6;) {
            field[nf++] = q;
            q = strchr(q, ',');
            if (q == NULL) break;
            *q++ = 0;
        }
        char *end;
        if (strcmp(field[0], "n") == 0 && nf == 5) {
            need(r->n_nodes < 512, "too many nodes");
            int32_t *n = r->node[r->n_nodes++];
            n[2] = (int32_t)strtol(field[1], &end, 10);
            if (*end) return 0;
            n[3] = (int32_t)strtod(field[2], &end);     /* truncates toward zero */
            if (*end) return 0;
            n[0] = (int32_t)strtol(field[3], &end, 10);
            if (*end) return 0;
            n[1] = (int32_t)strtol(field[4], &end, 10);
            if (*end) return 0;
        } else if (nf == 2 && strcmp(field[0], "l") == 0) {
            need(r->n_leaves < 512, "too many leaves");
            r->leaves[r->n_leaves++] = strtof(field[1], &end);
            if (*end) return 0;
        } else if (nf == 2) {
            const long v = strtol(field[1], &end, 10);
            if (*end) return 0;
            if (strcmp(field[0], "f") == 0) r->n_features = (int32_t)v;
            else if (strcmp(field[0], "c") == 0) r->n_classes = (int32_t)v;
            else if (strcmp(field[0], "lb") == 0 || strcmp(field[0], "lf") == 0) r->leaf_bits = (int32_t)v;
            else if (strcmp(field[0], "r") == 0) {
                need(r->n_roots < 64, "too many roots");
                r->roots[r->n_roots++] = (int32_t)v;
            } else return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/* emlearn's walk: root absolute, child c >= 0 is node i + c, c < 0 is leaf -c-1. */
static uint32_t raw_leaf(const raw_model *r, uint32_t tree, const double *x) {
    int32_t i = r->roots[tree];
    if (i < 0) return (uint32_t)(-i - 1);
    for (;;) {
        const int32_t *n = r->node[i];
        const int32_t c = (x[n[2]] < (double)n[3]) ? n[0] : n[1];
        if (c < 0) return (uint32_t)(-c - 1);
        i += c;
    }
}

/* Compare a built model's prediction with emlearn's: majority vote (the
 * outputs are votes * floor(2^31 / n_trees) * 2^-31, the class is the first
 * with most votes) or, for regressors, the mean of the leaves in float. */
static int check_raw_predict(const eml_trees *m, const raw_model *r, const void *x, int is_float) {
    double xd[MAXF];
    static float out[65536];
    int32_t cls = -7;
    for (int32_t f = 0; f < r->n_features; f++) {
        xd[f] = is_float ? (double)((const float *)x)[f] : (double)((const int16_t *)x)[f];
    }
    if (eml_trees_predict(m, x, is_float, out, &cls) != EML_OK) return 0;
    const int regress = r->leaf_bits == 32 || r->n_classes == 0;
    if (regress) {
        float sum = 0.0f;
        for (uint32_t t = 0; t < r->n_roots; t++) sum += r->leaves[raw_leaf(r, t, xd)];
        sum *= 1.0f / (float)r->n_roots;
        return cls == -1 && fbits(out[0]) == fbits(sum);
    }
    static uint64_t votes[65536];
    memset(votes, 0, sizeof(uint64_t) * (size_t)r->n_classes);
    for (uint32_t t = 0; t < r->n_roots; t++) votes[(uint32_t)r->leaves[raw_leaf(r, t, xd)]]++;
    const uint32_t S = share_of(r->n_roots);
    int ok = cls == first_argmax_u64(votes, (uint32_t)r->n_classes);
    for (int32_t k = 0; k < r->n_classes; k++) {
        ok &= fbits(out[k]) == fbits(q31_float(votes[k] * S));
    }
    return ok;
}

static int check_raw_grid(const eml_trees *m, const raw_model *r, unsigned seed) {
    int ok = 1;
    int16_t xi[MAXF];
    float xf[MAXF];
    for (int i = 0; i < 400; i++) {
        for (int32_t f = 0; f < r->n_features; f++) {
            const uint32_t u = check_rand(&seed);
            xi[f] = (int16_t)((i & 1) ? (int32_t)(u & 0xffff) - 32768 : (int32_t)(u % 64) - 32);
            xf[f] = (i & 2) ? (float)xi[f] + 0.5f : (float)xi[f] - 0.25f;
            if (i % 37 == 0) xf[f] = NAN;
        }
        ok &= check_raw_predict(m, r, xi, 0);
        ok &= check_raw_predict(m, r, xf, 1);
    }
    return ok;
}

/* Storage of exactly the size asked for, so ASan sees any overrun. */
static void *exact_storage(uint32_t trees, uint32_t nodes, uint32_t leaves, size_t *size) {
    *size = eml_trees_builder_storage_size(trees, nodes, leaves);
    need(*size > 0, "storage size");
    void *p = malloc(*size);
    need(p != NULL, "malloc");
    return p;
}

/* Relative to the repository root, where tools/check.py runs the tests. */
#define XOR_PATH "../shared/data/trees/emlearn_xor_model.csv"

static void test_builder_xor(void) {
    static char text[8192];
    FILE *f = fopen(XOR_PATH, "rb");
    if (f == NULL) {
        printf("SKIP xor model: " XOR_PATH " is absent\n");
        return;
    }
    const size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    static raw_model r;
    CHECK(parse_csv(text, &r), "xor CSV parses");
    CHECK(r.n_features == 2 && r.n_classes == 2 && r.n_leaves == 2 && r.n_roots == 3 && r.n_nodes == 14,
        "xor CSV contents");
    CHECK(r.node[1][3] == 15279 && r.node[8][3] == 16325, "node values truncated like int(float(v))");
    static const struct { int16_t a, b; int32_t c; } cases[] = {
        { 0, 0, 0 }, { 32767, 32767, 0 }, { 0, 32767, 1 }, { 32767, 0, 1 },
    };
    /* narrow, then wide (capacities force it) */
    static const uint32_t caps[2][3] = { { 10, 100, 10 }, { 10, 100, 65500 } };
    for (int w = 0; w < 2; w++) {
        size_t size;
        void *storage = exact_storage(caps[w][0], caps[w][1], caps[w][2], &size);
        eml_trees_builder b;
        eml_trees m;
        const char *why = "?";
        CHECK(eml_trees_builder_init(&b, storage, size, caps[w][0], caps[w][1], caps[w][2]) == EML_OK
            && b.wide == w, "xor builder init");
        CHECK(feed(&b, &r, &why) == EML_OK, why);
        CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
        CHECK(m.kind == EML_TREES_KIND_CLASSIFIER && m.flags == (w ? F_WIDE : 0) && m.combine == 0
            && m.n_trees == 3 && m.n_nodes == 14 && m.n_outputs == 2 && m.n_features == 2
            && m.n_leaf_words == 0 && m.share == 715827882u, "xor shape");
        /* node 1 is n,0,15279.5,-1,-2: leaves 0 and 1 are classes 0 and 1,
         * now the pure refs n_nodes + 0 and n_nodes + 1 */
        const uint32_t l1 = w ? ((const uint32_t *)m.left)[1] : ((const uint16_t *)m.left)[1];
        const uint32_t r1 = w ? ((const uint32_t *)m.right)[1] : ((const uint16_t *)m.right)[1];
        const uint32_t root2 = w ? ((const uint32_t *)m.roots)[2] : ((const uint16_t *)m.roots)[2];
        CHECK(l1 == 14 && r1 == 15 && root2 == 9, "class leaves are pure refs, roots absolute");
        CHECK(((const int16_t *)m.thresholds)[1] == 15279, "int16 threshold");
        for (int i = 0; i < 4; i++) {
            int16_t x[2] = { cases[i].a, cases[i].b };
            float out[2];
            int32_t cls = -5;
            CHECK(eml_trees_predict_int16(&m, x, out, &cls) == EML_OK, "xor predict");
            CHECK(cls == cases[i].c, "xor class");
            CHECK(out[cls] > 0.5f, "xor proba");
        }
        CHECK(check_raw_grid(&m, &r, 17), "xor model equals emlearn's vote");
        /* finish twice gives the same model; adds after finish fail */
        eml_trees m2;
        CHECK(eml_trees_builder_finish(&b, &m2, &why) == EML_OK && memcmp(&m, &m2, sizeof m) == 0,
            "finish twice");
        why = NULL;
        CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_ERR_VALUE && why != NULL, "addroot after finish");
        CHECK(eml_trees_builder_addnode(&b, 1, 1, 0, 0, &why) == EML_ERR_VALUE, "addnode after finish");
        CHECK(eml_trees_builder_addleaf(&b, 0.0f, &why) == EML_ERR_VALUE, "addleaf after finish");
        why = NULL;
        CHECK(eml_trees_builder_setdata(&b, 2, 2, 0, &why) == EML_ERR_VALUE
            && strstr(why, "already finished") != NULL, "setdata after finish says why");
        CHECK(eml_trees_builder_finish(&b, &m2, &why) == EML_OK && memcmp(&m, &m2, sizeof m) == 0,
            "model unchanged by refused adds");
        free(storage);
    }
}

static void test_builder_api(void) {
    eml_trees_builder b;
    eml_trees m;
    const char *why = "?";
    float out[3];
    int32_t cls;
    size_t size;
    void *storage = exact_storage(4, 8, 4, &size);
    /* emlearn semantics: strict <; relative children; absolute roots
     * tree 0: n0 x0 < 5 ? n1 : leaf1;  n1 x1 < -3 ? leaf0 : leaf2
     * tree 1: n2 x0 < 0 ? leaf2 : leaf1 */
    CHECK(eml_trees_builder_init(&b, storage, size, 4, 8, 4) == EML_OK && !b.wide, "init");
    CHECK(eml_trees_builder_init(&b, storage, size - 1, 4, 8, 4) == EML_ERR_SIZE, "one byte short");
    CHECK(eml_trees_builder_init(&b, storage, size, 4, 8, 4) == EML_OK, "init again");
    CHECK(eml_trees_builder_setdata(&b, 2, 3, 0, NULL) == EML_OK, "setdata");
    CHECK(eml_trees_builder_addleaf(&b, 0.0f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addleaf(&b, 1.0f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addleaf(&b, 2.0f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addroot(&b, 2, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, 1, -2, 0, 5, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, -1, -3, 1, -3, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, -3, -2, 0, 0, &why) == EML_OK, why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    CHECK(m.kind == 0 && m.n_outputs == 3 && m.n_leaf_words == 0 && m.flags == 0, "builder classifier shape");
    CHECK(((const uint16_t *)m.left)[1] == 3 + 0 && ((const uint16_t *)m.right)[1] == 3 + 2
        && ((const uint16_t *)m.left)[0] == 1 && ((const uint16_t *)m.right)[0] == 3 + 1,
        "builder refs: node, pure class leaves");
    int16_t x[2] = { 4, -4 };     /* t0 leaf0, t1 leaf1 -> tie 0/1 -> 0 */
    eml_trees_predict_int16(&m, x, out, &cls);
    CHECK(cls == 0 && out[0] == 0.5f && out[1] == 0.5f && out[2] == 0.0f, "builder vote + tie");
    int16_t y[2] = { -1, -3 };    /* t0 n1 -3 < -3 no -> leaf2; t1 leaf2 */
    eml_trees_predict_int16(&m, y, out, &cls);
    CHECK(cls == 2 && out[2] == 1.0f, "builder strict <");
    float yf[2] = { -0.5f, -3.5f };   /* t0 n1 -3.5 < -3 -> leaf0; t1 -0.5 < 0 -> leaf2 */
    eml_trees_predict_float(&m, yf, out, &cls);
    CHECK(cls == 0 && out[0] == 0.5f && out[2] == 0.5f, "builder float input");
    {
        static raw_model r;
        r.n_features = 2; r.n_classes = 3; r.leaf_bits = 0;
        r.leaves[0] = 0.0f; r.leaves[1] = 1.0f; r.leaves[2] = 2.0f; r.n_leaves = 3;
        r.roots[0] = 0; r.roots[1] = 2; r.n_roots = 2;
        const int32_t nodes[3][4] = { { 1, -2, 0, 5 }, { -1, -3, 1, -3 }, { -3, -2, 0, 0 } };
        memcpy(r.node, nodes, sizeof nodes);
        r.n_nodes = 3;
        CHECK(check_raw_grid(&m, &r, 5), "builder classifier equals emlearn's vote");
    }

    /* regression (leaf bits 32), the same as the emlearn CSV
     * f,1 c,0 lb,32 l,0.1 l,-2.5e-3 l,3 r,0 r,1 n,0,15279.5,-1,-2 n,0,-3.7,-3,-1 */
    CHECK(eml_trees_builder_init(&b, storage, size, 4, 8, 4) == EML_OK, "init 2");
    CHECK(eml_trees_builder_setdata(&b, 1, 0, 32, NULL) == EML_OK, "setdata regressor");
    CHECK(eml_trees_builder_addleaf(&b, 0.1f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addleaf(&b, -2.5e-3f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addleaf(&b, 3.0f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addroot(&b, 1, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, -1, -2, 0, 15279, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, -3, -1, 0, -3, &why) == EML_OK, why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    CHECK(m.kind == EML_TREES_KIND_VALUES && m.n_outputs == 1 && m.combine == 0 && m.n_leaf_words == 3
        && m.tree_output != NULL && m.tree_output[0] == 0xffff && m.tree_output[1] == 0xffff,
        "regressor kind");
    CHECK(((const int16_t *)m.thresholds)[0] == 15279 && ((const int16_t *)m.thresholds)[1] == -3,
        "thresholds stored");
    int16_t z = 15279;            /* t0: right leaf1 (-0.0025); t1: right leaf0 (0.1) */
    eml_trees_predict_int16(&m, &z, out, &cls);
    CHECK(out[0] == (-2.5e-3f + 0.1f) * 0.5f && cls == -1, "regressor mean");
    z = -4;                        /* t0 left leaf0 (0.1); t1 left leaf2 (3) */
    eml_trees_predict_int16(&m, &z, out, &cls);
    CHECK(out[0] == (0.1f + 3.0f) * 0.5f, "regressor mean 2");
    const float *lv = (const float *)m.leaves;
    CHECK(lv[0] == 0.1f && lv[1] == -2.5e-3f && lv[2] == 3.0f, "leaves stored as floats");

    /* n_classes 0 is a regressor too; leaf bits 1 is taken as 0 (classes) */
    CHECK(eml_trees_builder_init(&b, storage, size, 4, 8, 4) == EML_OK, "init 3");
    CHECK(eml_trees_builder_setdata(&b, 1, 0, 0, NULL) == EML_OK, "setdata n_classes 0");
    eml_trees_builder_addleaf(&b, -7.5f, &why);
    eml_trees_builder_addroot(&b, -1, &why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    z = 0;
    eml_trees_predict_int16(&m, &z, out, &cls);
    CHECK(m.kind == EML_TREES_KIND_VALUES && m.n_nodes == 0 && out[0] == -7.5f && cls == -1,
        "n_classes 0: regressor, root leaf");
    CHECK(eml_trees_builder_init(&b, storage, size, 4, 8, 4) == EML_OK, "init 4");
    CHECK(eml_trees_builder_setdata(&b, 1, 2, 1, NULL) == EML_OK && b.leaf_bits == 0, "leaf bits 1 as 0");
    eml_trees_builder_addleaf(&b, 1.0f, &why);
    eml_trees_builder_addroot(&b, -1, &why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    eml_trees_predict_int16(&m, &z, out, &cls);
    CHECK(m.kind == 0 && cls == 1 && out[1] == 1.0f && out[0] == 0.0f, "leaf bits 1: classifier");
    /* setdata may be repeated before finish (emlearn calls it per line) */
    CHECK(eml_trees_builder_init(&b, storage, size, 4, 8, 4) == EML_OK, "init 5");
    CHECK(eml_trees_builder_setdata(&b, 1, 0, 32, NULL) == EML_OK, "setdata once");
    CHECK(eml_trees_builder_setdata(&b, 2, 5, 0, NULL) == EML_OK, "setdata twice");
    eml_trees_builder_addleaf(&b, 4.0f, &why);
    eml_trees_builder_addroot(&b, -1, &why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK && m.kind == 0 && m.n_outputs == 5
        && m.n_features == 2, "last setdata wins");
    free(storage);

    /* wide builder: features above 255 */
    storage = exact_storage(2, 4, 65534, &size);
    CHECK(eml_trees_builder_init(&b, storage, size, 2, 4, 65534) == EML_OK && b.wide, "wide init");
    CHECK(eml_trees_builder_setdata(&b, 300, 2, 0, NULL) == EML_OK, "300 features");
    eml_trees_builder_addleaf(&b, 0.0f, &why);
    eml_trees_builder_addleaf(&b, 1.0f, &why);
    eml_trees_builder_addroot(&b, 0, &why);
    CHECK(eml_trees_builder_addnode(&b, -1, -2, 299, 7, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, -1, -2, 65535, 7, &why) == EML_OK, "wide feature field to 65535");
    CHECK(eml_trees_builder_addnode(&b, -1, -2, 65536, 7, &why) == EML_ERR_VALUE, "wide feature > 65535");
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_FORMAT, "feature 65535 >= n_features fails");
    CHECK(eml_trees_builder_init(&b, storage, size, 2, 4, 65534) == EML_OK, "wide init 2");
    CHECK(eml_trees_builder_setdata(&b, 300, 2, 0, NULL) == EML_OK, "300 features");
    eml_trees_builder_addleaf(&b, 0.0f, &why);
    eml_trees_builder_addleaf(&b, 1.0f, &why);
    eml_trees_builder_addroot(&b, 0, &why);
    CHECK(eml_trees_builder_addnode(&b, -1, -2, 299, 7, &why) == EML_OK, why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    CHECK(m.flags == F_WIDE && ((const uint16_t *)m.features)[0] == 299
        && ((const uint32_t *)m.left)[0] == 1 && ((const uint32_t *)m.right)[0] == 2, "wide refs");
    static int16_t x300[300];
    x300[299] = 6;
    eml_trees_predict_int16(&m, x300, out, &cls);
    CHECK(cls == 0, "feature 299 left");
    x300[299] = 7;
    x300[0] = -32768;
    eml_trees_predict_int16(&m, x300, out, &cls);
    CHECK(cls == 1, "feature 299 right");
    free(storage);

    /* many classes, narrow refs: n_nodes + class must fit below 0xffff, and a
     * dangling index must not turn into a class (it used to, see the report) */
    storage = exact_storage(2, 4, 4, &size);
    CHECK(eml_trees_builder_init(&b, storage, size, 2, 4, 4) == EML_OK && !b.wide, "narrow init");
    CHECK(eml_trees_builder_setdata(&b, 1, 65535, 0, NULL) == EML_OK, "65535 classes");
    eml_trees_builder_addleaf(&b, 65534.0f, &why);
    eml_trees_builder_addroot(&b, -1, &why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    {
        static float big_out[65535];
        eml_trees_predict_int16(&m, &z, big_out, &cls);
        CHECK(cls == 65534 && big_out[65534] == 1.0f && big_out[0] == 0.0f, "class 65534 as a root leaf");
    }
    CHECK(eml_trees_builder_init(&b, storage, size, 2, 4, 4) == EML_OK, "narrow init 2");
    eml_trees_builder_setdata(&b, 1, 65535, 0, NULL);
    eml_trees_builder_addleaf(&b, 65534.0f, &why);
    eml_trees_builder_addleaf(&b, 0.0f, &why);
    eml_trees_builder_addroot(&b, 0, &why);
    eml_trees_builder_addnode(&b, 1, -2, 0, 0, &why);
    eml_trees_builder_addnode(&b, -1, -2, 0, 5, &why);  /* class 65534 + 2 nodes > 0xfffe */
    why = NULL;
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_FORMAT && why != NULL,
        "class leaf that does not fit a narrow ref fails");
    CHECK(eml_trees_builder_init(&b, storage, size, 2, 4, 4) == EML_OK, "narrow init 3");
    eml_trees_builder_setdata(&b, 1, 65535, 0, NULL);
    eml_trees_builder_addleaf(&b, 0.0f, &why);
    eml_trees_builder_addroot(&b, 0, &why);
    eml_trees_builder_addnode(&b, 1, -1, 0, 0, &why);
    eml_trees_builder_addnode(&b, -1, 7, 0, 5, &why);   /* right child dangling */
    why = NULL;
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_FORMAT && why != NULL,
        "dangling child with 65535 classes fails");
    free(storage);
}

/* emlearn-micropython keeps roots and children in int16; the builder takes
 * any index within its capacities: a chain of 40000 nodes (narrow refs) whose
 * second tree's root is node 39999, and the same with wide refs. */
static void test_builder_beyond_int16(void) {
    static const uint32_t leaves_cap[] = { 2, 30000 };
    for (int w = 0; w < 2; w++) {
        const uint32_t n = 40000;
        const size_t size = eml_trees_builder_storage_size(2, n, leaves_cap[w]);
        void *storage = malloc(size);
        eml_trees_builder b;
        eml_trees m;
        const char *why = NULL;
        CHECK(storage != NULL && eml_trees_builder_init(&b, storage, size, 2, n, leaves_cap[w]) == EML_OK,
            "init 40000 nodes");
        CHECK(b.wide == (w == 1), "layout");
        eml_trees_builder_setdata(&b, 1, 2, 0, NULL);
        CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_OK, why);
        CHECK(eml_trees_builder_addroot(&b, (int32_t)n - 1, &why) == EML_OK, "root 39999");
        eml_trees_builder_addleaf(&b, 0.0f, &why);
        eml_trees_builder_addleaf(&b, 1.0f, &why);
        /* node i: x < i goes to class 0, else on to node i + 1; the last
         * node's right is class 1 */
        for (uint32_t i = 0; i < n; i++) {
            const int32_t value = (int32_t)(i % 30000);
            CHECK(eml_trees_builder_addnode(&b, -1, i + 1 < n ? 1 : -2, 0, value, &why) == EML_OK, why);
        }
        CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
        float out[2];
        int32_t cls;
        int16_t x = 29999;      /* passes every node but i % 30000 > 29999: never */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(cls == 1 && out[1] == 1.0f, "40000-node chain to the last leaf");
        x = 20000;              /* node 20001 sends it left in tree 0; node 39999 right */
        eml_trees_predict_int16(&m, &x, out, &cls);
        CHECK(out[0] == 0.5f && out[1] == 0.5f, "root 39999 walks its own node");
        free(storage);
    }
}

static void test_builder_errors(void) {
    static uint32_t storage[512];
    eml_trees_builder b;
    eml_trees m;
    const char *why = NULL;
    CHECK(eml_trees_builder_init(&b, (uint8_t *)storage + 2, sizeof storage - 4, 1, 1, 1) == EML_ERR_VALUE,
        "unaligned storage");
    CHECK(eml_trees_builder_init(&b, storage, 8, 1, 1, 1) == EML_ERR_SIZE, "storage too small");
    CHECK(eml_trees_builder_storage_size(0xffffffffu, 0xffffffffu, 0xffffffffu) == 0, "storage size overflow");
    CHECK(eml_trees_builder_storage_size(1, 1, 1) > 0
        && eml_trees_builder_storage_size(1, 1, 1) < eml_trees_builder_storage_size(1, 1, 2),
        "storage grows with leaves");
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 1, 1, 1) == EML_OK, "init");
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_VALUE, "finish without setdata");
    CHECK(eml_trees_builder_setdata(&b, 0, 2, 0, NULL) == EML_ERR_VALUE, "setdata n_features 0");
    CHECK(eml_trees_builder_setdata(&b, 65536, 2, 0, NULL) == EML_ERR_VALUE, "setdata n_features 65536");
    CHECK(eml_trees_builder_setdata(&b, 2, -1, 0, NULL) == EML_ERR_VALUE, "setdata n_classes -1");
    CHECK(eml_trees_builder_setdata(&b, 2, 65536, 0, NULL) == EML_ERR_VALUE, "setdata n_classes 65536");
    CHECK(eml_trees_builder_setdata(&b, 2, 2, 8, NULL) == EML_ERR_VALUE, "setdata leaf_bits 8");
    CHECK(eml_trees_builder_setdata(&b, 2, 2, 2, NULL) == EML_ERR_VALUE, "setdata leaf_bits 2");
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_VALUE, "failed setdata leaves it unset");
    CHECK(eml_trees_builder_setdata(&b, 2, 2, 0, NULL) == EML_OK, "setdata");
    CHECK(eml_trees_builder_addroot(&b, 1, &why) == EML_ERR_VALUE && why != NULL
        && strcmp(why, "root beyond max_nodes or max_leaves") == 0, "root beyond max_nodes");
    CHECK(eml_trees_builder_addroot(&b, -2, &why) == EML_ERR_VALUE, "root leaf beyond max_leaves");
    CHECK(eml_trees_builder_addroot(&b, INT32_MIN, &why) == EML_ERR_VALUE, "root INT32_MIN");
    CHECK(eml_trees_builder_addroot(&b, INT32_MAX, &why) == EML_ERR_VALUE, "root INT32_MAX");
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_OK, "root");
    why = NULL;
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_ERR_CAPACITY && why != NULL
        && strcmp(why, "more trees than max_trees") == 0, "max trees");
    CHECK(eml_trees_builder_addnode(&b, -1, -1, 256, 0, &why) == EML_ERR_VALUE, "feature > 255 narrow");
    CHECK(eml_trees_builder_addnode(&b, -1, -1, -1, 0, &why) == EML_ERR_VALUE, "feature < 0");
    CHECK(eml_trees_builder_addnode(&b, -1, -1, 0, 40000, &why) == EML_ERR_VALUE, "threshold out of int16");
    CHECK(eml_trees_builder_addnode(&b, -1, -1, 0, -32769, &why) == EML_ERR_VALUE, "threshold below int16");
    CHECK(eml_trees_builder_addnode(&b, 1, -1, 0, 0, &why) == EML_ERR_VALUE && why != NULL
        && strcmp(why, "child beyond max_nodes or max_leaves") == 0, "left beyond max_nodes");
    CHECK(eml_trees_builder_addnode(&b, -1, -2, 0, 0, &why) == EML_ERR_VALUE, "right beyond max_leaves");
    CHECK(eml_trees_builder_addnode(&b, INT32_MAX, -1, 0, 0, &why) == EML_ERR_VALUE, "left INT32_MAX");
    CHECK(eml_trees_builder_addnode(&b, -1, INT32_MIN, 0, 0, &why) == EML_ERR_VALUE, "right INT32_MIN");
    CHECK(eml_trees_builder_addnode(&b, -1, -1, 255, 0, &why) == EML_OK, "node");
    why = NULL;
    CHECK(eml_trees_builder_addnode(&b, -1, -1, 0, 0, &why) == EML_ERR_CAPACITY && why != NULL
        && strcmp(why, "more nodes than max_nodes") == 0, "max nodes");
    CHECK(eml_trees_builder_addleaf(&b, 1.0f, &why) == EML_OK, "leaf");
    why = NULL;
    CHECK(eml_trees_builder_addleaf(&b, 1.0f, &why) == EML_ERR_CAPACITY && why != NULL
        && strcmp(why, "more leaves than max_leaves") == 0, "max leaves");
    why = NULL;
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_FORMAT && why != NULL,
        "feature 255 >= n_features 2 fails at finish");
    why = NULL;
    CHECK(eml_trees_builder_setdata(&b, 2, 2, 0, &why) == EML_ERR_VALUE && why != NULL
        && strcmp(why, "builder failed earlier") == 0, "setdata after a failed finish says why");
    CHECK(eml_trees_builder_addleaf(&b, 1.0f, &why) == EML_ERR_VALUE
        && strcmp(why, "builder failed earlier") == 0, "addleaf after a failed finish says why");
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 1, 1, 1) == EML_OK, "init");
    eml_trees_builder_setdata(&b, 2, 2, 0, NULL);
    eml_trees_builder_addroot(&b, 0, &why);
    eml_trees_builder_addnode(&b, -1, -1, 1, -32768, &why);
    eml_trees_builder_addleaf(&b, 1.0f, &why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    int16_t x[2] = { 0, -32768 };
    float out[2];
    int32_t cls;
    eml_trees_predict_int16(&m, x, out, &cls);
    CHECK(cls == 1 && out[1] == 1.0f, "capacity-full model works");
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 0, 1, 1) == EML_OK, "no room for trees");
    eml_trees_builder_setdata(&b, 1, 2, 0, NULL);
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_ERR_CAPACITY, "no room for a root");
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_FORMAT, "no trees fails");

    /* models that convert but fail validation; the first one is fine */
    static const char *good = "f,2\nc,2\nl,0\nl,1\nl,0.5\nr,0\nn,0,1,-1,-2\n";
    static const char *bad_models[] = {
        "f,2\nc,2\nl,0\nr,0\nn,0,1,0,-1\n",         /* relative child 0: self loop */
        "f,2\nc,2\nl,0\nr,0\nn,0,1,5,-1\n",         /* child past the last node */
        "f,2\nc,2\nl,0\nr,0\nn,0,1,-2,-1\n",        /* leaf index past the leaves */
        "f,2\nc,2\nl,2\nr,0\nn,0,1,-1,-1\n",        /* class >= n_classes */
        "f,2\nc,2\nl,0.5\nr,0\nn,0,1,-1,-1\n",      /* class not an integer */
        "f,2\nc,2\nl,1.0000001\nr,0\nn,0,1,-1,-1\n",/* nearly an integer */
        "f,2\nc,2\nl,-1\nr,0\nn,0,1,-1,-1\n",       /* negative class */
        "f,2\nc,2\nl,nan\nr,0\nn,0,1,-1,-1\n",      /* NaN class */
        "f,2\nc,2\nl,inf\nr,-1\n",                  /* infinite class, root leaf */
        "f,2\nc,65535\nl,65535\nr,-1\n",            /* class 65535 */
        "f,2\nc,2\nl,1e-45\nr,-1\n",                /* denormal class */
        "f,2\nc,2\nl,0\nr,3\nn,0,1,-1,-1\n",        /* root past the last node */
        "f,2\nc,2\nl,0\nr,-2\nn,0,1,-1,-1\n",       /* root leaf past the leaves */
        "f,2\nc,2\nl,0\nr,0\nn,2,1,-1,-1\n",        /* feature >= n_features */
        "f,2\nc,2\nl,0\nn,0,1,-1,-1\n",             /* no roots */
        "f,2\nc,2\nl,0\nr,1\nr,0\nn,0,1,1,-1\nn,0,1,-1,-1\n",   /* fine, but: */
        "f,2\nc,2\nl,0\nr,0\nn,0,1,1,-1\nn,0,1,-1,-1\nn,0,1,-2,-1\n",  /* unreachable bad node */
    };
    static raw_model r;
    CHECK(parse_csv(good, &r), "good model parses");
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 4, 4, 4) == EML_OK, "init");
    CHECK(feed(&b, &r, &why) == EML_OK && eml_trees_builder_finish(&b, &m, &why) == EML_OK,
        "good twin (unused leaf 0.5) finishes");
    for (size_t i = 0; i < sizeof bad_models / sizeof bad_models[0]; i++) {
        CHECK(parse_csv(bad_models[i], &r), "bad model parses");
        /* room beyond the model: indices past its last node or leaf pass
         * addnode / addroot (within capacity) and fail at finish */
        CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 8, 8, 8) == EML_OK, "init");
        why = NULL;
        eml_status st = feed(&b, &r, &why);
        CHECK(st == EML_OK, "bad model's calls are accepted one by one");
        st = eml_trees_builder_finish(&b, &m, &why);
        if (i == 15) {      /* two roots, node 0 -> node 1: valid */
            CHECK(st == EML_OK, "shared subtree root is valid");
            continue;
        }
        if (st != EML_ERR_FORMAT || why == NULL) printf("  model %u accepted\n", (unsigned)i);
        CHECK(st == EML_ERR_FORMAT && why != NULL, bad_models[i]);
        why = NULL;
        CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_FORMAT && why != NULL,
            "failed builder stays failed");
        CHECK(eml_trees_builder_addleaf(&b, 0.0f, &why) == EML_ERR_VALUE, "add after failure");
    }
}

/* ---- malformed models: each must fail with a reason, never crash ---- */

static int load_fails(const uint32_t *buf, size_t n, eml_status want, const char *msg) {
    eml_trees m;
    const char *why = NULL;
    eml_status st = eml_trees_load(&m, (const uint8_t *)buf, n, &why);
    if (st != want || why == NULL || why[0] == 0) {
        printf("  %s: status %d, wanted %d (%s)\n", msg, (int)st, (int)want, why ? why : "-");
    }
    return st == want && why != NULL && why[0] != 0;
}

static int loads(const spec *s, uint32_t *buf) {
    eml_trees m;
    const char *why = "?";
    if (!load_spec(&m, s, buf, MBUF_WORDS, &why)) {
        printf("  good twin fails: %s\n", why);
        return 0;
    }
    return 1;
}

static int spec_fails(const spec *s, uint32_t *buf, eml_status want, const char *msg) {
    const size_t n = serialize(s, buf, MBUF_WORDS);
    return load_fails(buf, n, want, msg);
}

static void random_mutations(const spec *s, unsigned seed, const char *name) {
    static uint32_t base[1024], copy[1024];
    const size_t n = serialize(s, base, 1024);
    int loaded = 0, ok = 1;
    for (int i = 0; i < 8000; i++) {
        memcpy(copy, base, n);
        const int flips = 1 + (int)(check_rand(&seed) % 4);
        for (int k = 0; k < flips; k++) {
            ((uint8_t *)copy)[check_rand(&seed) % n] ^= (uint8_t)(1u << (check_rand(&seed) % 8));
        }
        eml_trees m;
        const char *why = NULL;
        const eml_status st = eml_trees_load(&m, (const uint8_t *)copy, n, &why);
        if (st != EML_OK) {
            ok &= why != NULL && st != EML_ERR_VALUE;
            continue;
        }
        static float out[65536];
        static int16_t xi[MAXF];
        static float xf[MAXF];
        int32_t cls;
        if (m.n_features > MAXF) continue;
        for (int r = 0; r < 3; r++) {
            for (uint32_t f = 0; f < m.n_features; f++) {
                xi[f] = (int16_t)(r == 0 ? 0 : r == 1 ? -32768 : 100);
                xf[f] = r == 0 ? 0.0f : r == 1 ? NAN : -1e30f;
            }
            for (int in = 0; in < 2; in++) {
                ok &= eml_trees_predict(&m, in ? (const void *)xf : (const void *)xi, in, out, &cls) == EML_OK;
                if (m.kind == 0) {
                    /* outputs are shares of 1, the class holds the largest */
                    double sum = 0.0;
                    for (uint32_t k = 0; k < m.n_outputs; k++) {
                        ok &= out[k] >= 0.0f && out[k] <= 1.0f && out[k] <= out[cls];
                        sum += out[k];
                    }
                    ok &= sum <= 1.0 + 1e-5 && cls >= 0 && cls < (int32_t)m.n_outputs;
                } else {
                    ok &= cls >= -1 && cls < (int32_t)m.n_outputs;
                }
            }
        }
        loaded++;
    }
    if (!ok) printf("  random mutations of %s\n", name);
    CHECK(ok, "mutated models fail with a reason or predict sanely");
    CHECK(loaded > 0, "some mutated models still load and predict");
}

static void test_malformed(void) {
    static uint32_t buf[MBUF_WORDS], copy[MBUF_WORDS];
    int all;
    spec s = model1(0);
    CHECK(loads(&s, buf), "model 1 loads");
    const size_t n = serialize(&s, buf, MBUF_WORDS);
    const size_t o_feat = lay.features, o_left = lay.left, o_right = lay.right, o_leaves = lay.leaves,
        o_roots = lay.roots;
    CHECK(o_roots == 32 && o_feat == 40 && lay.thresholds == 44 && o_left == 52 && o_right == 60
        && o_leaves == 68 && n == 84, "model 1 narrow u8 layout");

    static const uint8_t trunc_layouts[] = { 0, F_C16 | F_WIDE, F_T8, F_FLOAT };
    all = 1;
    for (size_t l = 0; l < sizeof trunc_layouts; l++) {
        spec t = model1(trunc_layouts[l]);
        const size_t tn = serialize(&t, copy, MBUF_WORDS);
        for (size_t len = 0; len < tn; len++) {
            all &= load_fails(copy, len, EML_ERR_SIZE, "truncated");
        }
    }
    CHECK(all, "every truncation is EML_ERR_SIZE");
    /* trailing bytes with a matching header size */
    memcpy(copy, buf, n);
    copy[n / 4] = 0;
    ((uint8_t *)copy)[24] = (uint8_t)(n + 4);
    CHECK(load_fails(copy, n + 4, EML_ERR_FORMAT, "longer"), "file longer than its sections");
    memcpy(copy, buf, n);
    ((uint8_t *)copy)[24] = (uint8_t)(n - 4);
    CHECK(load_fails(copy, n, EML_ERR_SIZE, "size field"), "header size != length");
    /* misaligned */
    static uint8_t raw[1024];
    memcpy(raw + 1, buf, n);
    CHECK(load_fails((const uint32_t *)(void *)(raw + 1), n, EML_ERR_VALUE, "misaligned"), "misaligned");
    {
        eml_trees m;
        CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, NULL) == EML_OK, "reason may be NULL");
        const uint8_t *bad = (const uint8_t *)copy;
        memcpy(copy, buf, n);
        ((uint8_t *)copy)[4] = 1;
        CHECK(eml_trees_load(&m, bad, n, NULL) == EML_ERR_FORMAT, "reason may be NULL on failure");
        m.n_trees = 0;
        float out[3];
        int32_t cls = 5;
        int16_t x[2] = { 0, 0 };
        CHECK(eml_trees_predict_int16(&m, x, out, &cls) == EML_ERR_VALUE, "predict on unloaded model");
    }

#define MUTATE(off, val, msg) do { \
        memcpy(copy, buf, n); \
        ((uint8_t *)copy)[off] = (uint8_t)(val); \
        CHECK(load_fails(copy, n, EML_ERR_FORMAT, msg), msg); \
    } while (0)
    MUTATE(0, 'X', "bad magic");
    MUTATE(4, 1, "version 1 rejected");
    MUTATE(4, 3, "version 3 rejected");
    MUTATE(4, 0, "version 0 rejected");
    MUTATE(5, 2, "bad kind");
    MUTATE(6, 0x10, "unknown flag bit 4");
    MUTATE(6, 0x20, "unknown flag bit 5");
    MUTATE(6, 0x80, "unknown flag bit 7");
    MUTATE(6, F_T8 | F_FLOAT, "T8 together with FLOAT");
    MUTATE(7, 4, "unknown combine");
    MUTATE(28, 1, "reserved not 0");
    MUTATE(31, 0x80, "reserved high byte not 0");
    MUTATE(8, 0, "n_features 0");
    MUTATE(10, 0, "n_outputs 0");
    {
        eml_trees m;
        const char *why = NULL;
        memcpy(copy, buf, n);
        ((uint8_t *)copy)[4] = 1;
        eml_trees_load(&m, (const uint8_t *)copy, n, &why);
        CHECK(why != NULL && strstr(why, "version") != NULL, "version failure names the version");
    }

    MUTATE(o_feat, 2, "feature out of range");
    MUTATE(o_left, 0, "child index backward (self loop)");
    MUTATE(o_left + 4, 0, "child index backward (node 2 -> node 0)");
    MUTATE(o_left + 2, 1, "child index backward (node 1 -> node 1)");
    MUTATE(o_right, 200, "leaf ref past pool");
    MUTATE(o_right + 1, 0xff, "huge ref");
    MUTATE(o_roots + 4, 30, "root leaf ref past pool");
    MUTATE(o_leaves, 0, "record n = 0");
    MUTATE(o_leaves, 9, "record n runs past the pool");
    MUTATE(o_leaves + 1, 3, "record class >= n_outputs");
    MUTATE(o_leaves + 3, 255, "record class 255");
    MUTATE(o_leaves + 7, 0, "record counts sum to 0 (C)");
    MUTATE(o_leaves + 8, 4, "record D n 4 runs past the pool");
    /* a ref into the middle of a record is a record of its own: here word 1
     * of B is 0 (n = 0) */
    MUTATE(o_roots + 4, R1(1), "root ref into a record with n = 0");
    {   /* record counts sum to 0 with two entries */
        memcpy(copy, buf, n);
        ((uint8_t *)copy)[o_leaves + 2] = 0;
        ((uint8_t *)copy)[o_leaves + 4] = 0;
        CHECK(load_fails(copy, n, EML_ERR_FORMAT, "sum 0"), "record counts 0 + 0");
        ((uint8_t *)copy)[o_leaves + 4] = 1;
        eml_trees m;
        CHECK(eml_trees_load(&m, (const uint8_t *)copy, n, NULL) == EML_OK, "counts 0 + 1 is fine");
    }

    /* pure leaves and record refs at the edges: pool = one record 1, 0,1 */
    {
        static const uint32_t words[] = { 1, 0, 1 };
        uint32_t roots[1];
        spec e = { .kind = 0, .n_features = 1, .n_outputs = 4, .n_trees = 1, .n_leaf_words = 3,
            .roots = roots, .words = words };
        roots[0] = 3;           /* pure class 3 = n_outputs - 1 */
        CHECK(loads(&e, buf), "pure leaf n_outputs - 1");
        roots[0] = 4;           /* record @0 */
        CHECK(loads(&e, buf), "record at pool offset 0");
        roots[0] = 4 + 3;       /* n_outputs + pool: one past */
        CHECK(spec_fails(&e, buf, EML_ERR_FORMAT, "past pool"), "leaf ref n_outputs + pool words");
        roots[0] = 4 + 2;       /* last word: n = 1 needs 3 words */
        CHECK(spec_fails(&e, buf, EML_ERR_FORMAT, "last word"), "record starting at the last word");
        roots[0] = 0xffff;
        CHECK(spec_fails(&e, buf, EML_ERR_FORMAT, "0xffff"), "leaf ref 0xffff");
        e.n_leaf_words = 0;
        roots[0] = 3;
        CHECK(loads(&e, buf), "pure leaf with an empty pool");
        roots[0] = 4;
        CHECK(spec_fails(&e, buf, EML_ERR_FORMAT, "empty pool"), "record ref with an empty pool");
        e.flags = F_WIDE;
        roots[0] = 0xffffffffu;
        CHECK(spec_fails(&e, buf, EML_ERR_FORMAT, "wide 2^32-1"), "wide leaf ref 2^32 - 1");
    }
    /* u8 record running off the end of the pool, even if the padding after
     * it would complete it */
    {
        static const uint32_t words[] = { 2, 0, 1, 1, 1 };
        static const uint32_t roots[] = { 2 };
        spec u = { .kind = 0, .n_features = 1, .n_outputs = 2, .n_trees = 1, .n_leaf_words = 5,
            .roots = roots, .words = words };
        CHECK(loads(&u, buf), "record 2,0,1,1,1 loads");
        all = 1;
        for (uint32_t w = 1; w < 5; w++) {
            u.n_leaf_words = w;
            const size_t un = serialize(&u, buf, MBUF_WORDS);
            if (lay.leaves + w < un) {
                memset((uint8_t *)buf + lay.leaves + w, 1, un - lay.leaves - w);     /* padding */
            }
            all &= load_fails(buf, un, EML_ERR_FORMAT, "u8 record off the pool");
        }
        CHECK(all, "u8 record running off the pool end");
        u.flags = F_C16;
        all = 1;
        for (uint32_t w = 1; w < 5; w++) {
            u.n_leaf_words = w;
            const size_t un = serialize(&u, buf, MBUF_WORDS);
            if (lay.leaves + 2 * w < un) {
                memset((uint8_t *)buf + lay.leaves + 2 * w, 1, un - lay.leaves - 2 * w);
            }
            all &= load_fails(buf, un, EML_ERR_FORMAT, "u16 record off the pool");
        }
        CHECK(all, "u16 record running off the pool end");
    }
    /* u16 records: class >= n_outputs, counts summing to 65536 */
    {
        uint32_t words[5] = { 2, 0, 65534, 1, 1 };
        static const uint32_t roots[] = { 2 };
        spec c = { .kind = 0, .flags = F_C16, .n_features = 1, .n_outputs = 2, .n_trees = 1,
            .n_leaf_words = 5, .roots = roots, .words = words };
        CHECK(loads(&c, buf), "counts summing to 65535 load");
        words[2] = 65535;
        CHECK(spec_fails(&c, buf, EML_ERR_FORMAT, "65536"), "counts summing to 65536");
        words[2] = 65535;
        words[4] = 65535;
        CHECK(spec_fails(&c, buf, EML_ERR_FORMAT, "131070"), "counts summing to 131070");
        words[2] = 0;
        words[4] = 0;
        CHECK(spec_fails(&c, buf, EML_ERR_FORMAT, "sum 0"), "u16 counts summing to 0");
        words[2] = 1;
        words[3] = 2;
        CHECK(spec_fails(&c, buf, EML_ERR_FORMAT, "class 2"), "u16 record class >= n_outputs");
        words[3] = 65535;
        CHECK(spec_fails(&c, buf, EML_ERR_FORMAT, "class 65535"), "u16 record class 65535");
        words[3] = 1;
        words[0] = 65535;
        CHECK(spec_fails(&c, buf, EML_ERR_FORMAT, "n 65535"), "u16 record n 65535");
    }
    {   /* C16 with kind 1; T8 with FLOAT built as a whole model */
        static const uint32_t roots[] = { 0 };
        static const uint32_t feat[] = { 0 };
        static const int32_t thr[] = { 0 };
        static const float pool[] = { 1.0f, 2.0f };
        static const uint32_t l[] = { 1 + 0 }, r[] = { 1 + 1 };
        static const uint16_t to_all[] = { 0xffff };
        spec v = { .kind = 1, .flags = 0, .combine = 0, .n_features = 1, .n_outputs = 1,
            .n_trees = 1, .n_nodes = 1, .n_leaf_words = 2, .roots = roots, .tree_output = to_all,
            .features = feat, .thr = thr, .left = l, .right = r, .values = pool };
        CHECK(loads(&v, buf), "values model loads");
        v.flags = F_T8;
        CHECK(loads(&v, buf), "values model with T8 loads");
        v.flags = F_C16;
        CHECK(spec_fails(&v, buf, EML_ERR_FORMAT, "C16 kind 1"), "C16 with kind 1");
        v.flags = F_T8 | F_FLOAT;
        CHECK(spec_fails(&v, buf, EML_ERR_FORMAT, "T8|FLOAT"), "T8 with FLOAT (values model)");
        spec t = model1(F_T8 | F_FLOAT);
        CHECK(spec_fails(&t, buf, EML_ERR_FORMAT, "T8|FLOAT"), "T8 with FLOAT (classifier)");
        t.flags = 0x10 | F_C16;
        CHECK(spec_fails(&t, buf, EML_ERR_FORMAT, "bit 4"), "flag bit 4 with a matching layout");
    }
    {
        static const float init[] = { 0, 0, 0 };
        spec c = model1(0);
        c.combine = 1;
        c.init = init;
        CHECK(spec_fails(&c, copy, EML_ERR_FORMAT, "combine 1"), "classifier with combine 1 (and init)");
    }
    {
        spec z = model1(0);
        z.n_trees = 0;
        CHECK(spec_fails(&z, copy, EML_ERR_FORMAT, "n_trees 0"), "n_trees 0");
    }
    {
        spec w = model1(0);
        w.n_features = 300;
        CHECK(spec_fails(&w, copy, EML_ERR_FORMAT, "n_features 300"), "narrow with n_features > 256");
        w.n_features = 256;
        CHECK(loads(&w, copy), "narrow with n_features 256");
        w.flags = F_WIDE;
        w.n_features = 300;
        CHECK(loads(&w, copy), "wide with n_features 300");
    }
    {   /* header counts that overflow the section arithmetic */
        serialize(&s, buf, MBUF_WORDS);
        uint8_t *c = (uint8_t *)copy;
        memcpy(copy, buf, n);
        c[16] = 0xff; c[17] = 0xff; c[18] = 0xff; c[19] = 0xff;
        CHECK(load_fails(copy, n, EML_ERR_SIZE, "n_nodes"), "n_nodes 2^32-1");
        memcpy(copy, buf, n);
        c[23] = 0x40;
        CHECK(load_fails(copy, n, EML_ERR_SIZE, "n_leaf_words"), "n_leaf_words huge");
        memcpy(copy, buf, n);
        c[15] = 0x80;
        CHECK(load_fails(copy, n, EML_ERR_SIZE, "n_trees"), "n_trees huge");
        memcpy(copy, buf, n);
        c[20] = 16;     /* 16 leaf words instead of 15: one byte more, same padded size */
        eml_trees m;
        CHECK(eml_trees_load(&m, (const uint8_t *)copy, n, NULL) == EML_OK, "n_leaf_words 16 fits the padding");
        c[20] = 17;
        CHECK(load_fails(copy, n, EML_ERR_SIZE, "n_leaf_words 17"), "n_leaf_words 17 needs more bytes");
        c[20] = 12;
        CHECK(load_fails(copy, n, EML_ERR_FORMAT, "n_leaf_words 12"), "n_leaf_words 12 leaves the file longer");
    }
    {   /* values model checks */
        static const uint32_t roots[] = { 0 };
        static const uint32_t feat[] = { 0 };
        static const int32_t thr[] = { 0 };
        static const float pool[] = { 1.0f, 2.0f };
        static const uint32_t l[] = { 1 + 0 }, r[] = { 1 + 1 };
        static const uint16_t to_bad[] = { 3 }, to_all[] = { 0xffff }, to_one[] = { 1 }, to_fffe[] = { 0xfffe };
        static const float init[] = { 0, 0, 0 };
        spec v = { .kind = 1, .flags = 0, .combine = 1, .n_features = 1, .n_outputs = 3,
            .n_trees = 1, .n_nodes = 1, .n_leaf_words = 2, .roots = roots, .tree_output = to_bad,
            .init = init, .features = feat, .thr = thr, .left = l, .right = r, .values = pool };
        CHECK(spec_fails(&v, copy, EML_ERR_FORMAT, "tree_output 3"), "tree_output out of range");
        v.tree_output = to_fffe;
        CHECK(spec_fails(&v, copy, EML_ERR_FORMAT, "tree_output fffe"), "tree_output 0xfffe");
        v.tree_output = to_one;
        CHECK(loads(&v, copy), "tree_output 1 of 3 loads");
        v.tree_output = to_all;
        CHECK(spec_fails(&v, copy, EML_ERR_FORMAT, "all outputs"), "all-outputs record past pool");
        v.combine = 2;
        v.tree_output = to_one;
        CHECK(spec_fails(&v, copy, EML_ERR_FORMAT, "combine 2"), "combine 2 needs 2 outputs");
        v.n_outputs = 2;
        CHECK(loads(&v, copy), "combine 2 with 2 outputs loads");
        v.kind = 2;
        CHECK(spec_fails(&v, copy, EML_ERR_FORMAT, "kind 2"), "kind 2");
    }

    /* random byte mutations: load may pass or fail, prediction stays sane */
    spec r0 = model1(0), r1 = model1(F_C16 | F_T8), r2 = model1(F_FLOAT | F_WIDE);
    random_mutations(&r0, 12345, "model 1");
    random_mutations(&r1, 777, "model 1 C16 T8");
    random_mutations(&r2, 4242, "model 1 FLOAT WIDE");
    {
        static const uint32_t roots[] = { 0, 1 };
        static const uint32_t feat[] = { 0, 0 };
        static const int32_t thr[] = { 0, 5 };
        static const float pool3[] = { 1.0f, 2.0f };
        static const uint32_t l3[] = { 2 + 0, 2 + 1 }, r3[] = { 2 + 1, 2 + 0 };
        static const uint16_t to12[] = { 1, 2 };
        static const float init3[] = { 0.0f, 0.0f, 0.0f };
        spec sm = { .kind = 1, .flags = 0, .combine = 3, .n_features = 1, .n_outputs = 3,
            .n_trees = 2, .n_nodes = 2, .n_leaf_words = 2, .roots = roots, .tree_output = to12,
            .init = init3, .features = feat, .thr = thr, .left = l3, .right = r3, .values = pool3 };
        random_mutations(&sm, 99, "softmax model");
    }
}

int main(void) {
    test_conversions();
    test_classifier_records();
    test_pure_and_ties();
    test_c16_records();
    test_q31_rounding();
    test_threshold_layouts();
    test_values();
    test_values_grid();
    test_builder_xor();
    test_builder_api();
    test_builder_errors();
    test_builder_beyond_int16();
    test_malformed();
    return check_summary();
}
