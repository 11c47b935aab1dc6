/* Host tests for src/core/eml_trees.c: hand-built models through a tiny
 * serializer, the conversion rules at edge values, emlearn CSV / builder
 * compatibility, and malformed inputs that must fail cleanly. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "eml_trees.h"

/* ---- tiny serializer for docs/trees-format.md ---- */

typedef struct {
    uint8_t kind, flags, combine;
    uint16_t n_features, n_outputs;
    uint32_t n_trees, n_nodes, n_leaf_words;
    const uint32_t *roots;
    const uint16_t *tree_output;    /* kind 1 */
    const float *init;              /* combine != 0 */
    const uint32_t *features;
    const int32_t *thr_i16;         /* int16 thresholds */
    const float *thr_f;             /* FLOAT: stored as key(t) */
    const uint32_t *left, *right;
    const uint16_t *leaves16;       /* kind 0 */
    const float *leavesf;           /* kind 1 */
} spec;

static uint8_t *wp;
static void put(uint32_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; i++) {
        *wp++ = (uint8_t)(v >> (8 * i));
    }
}
static void pad(uint8_t *base) {
    while ((size_t)(wp - base) % 4 != 0) {
        *wp++ = 0;
    }
}
static uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Returns the size; buf is uint32_t so it is aligned. */
static size_t serialize(const spec *s, uint32_t *buf) {
    uint8_t *base = (uint8_t *)buf;
    const unsigned wide = (s->flags & EML_TREES_FLAG_WIDE) ? 1 : 0;
    wp = base;
    put(0x544c4d45u, 4);
    put(1, 1);
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
    for (uint32_t t = 0; t < s->n_trees; t++) put(s->roots[t], 2 + 2 * wide);
    pad(base);
    if (s->kind == 1) {
        for (uint32_t t = 0; t < s->n_trees; t++) put(s->tree_output[t], 2);
        pad(base);
    }
    if (s->combine != 0) {
        for (uint32_t k = 0; k < s->n_outputs; k++) put(fbits(s->init[k]), 4);
    }
    for (uint32_t i = 0; i < s->n_nodes; i++) put(s->features[i], 1 + wide);
    pad(base);
    for (uint32_t i = 0; i < s->n_nodes; i++) {
        if (s->flags & EML_TREES_FLAG_FLOAT) {
            put((uint32_t)eml_trees_key(s->thr_f[i]), 4);
        } else {
            put((uint32_t)s->thr_i16[i], 2);
        }
    }
    pad(base);
    for (uint32_t i = 0; i < s->n_nodes; i++) put(s->left[i], 2 + 2 * wide);
    pad(base);
    for (uint32_t i = 0; i < s->n_nodes; i++) put(s->right[i], 2 + 2 * wide);
    pad(base);
    for (uint32_t k = 0; k < s->n_leaf_words; k++) {
        if (s->kind == 0) put(s->leaves16[k], 2);
        else put(fbits(s->leavesf[k]), 4);
    }
    pad(base);
    const size_t size = (size_t)(wp - base);
    wp = base + 24;
    put((uint32_t)size, 4);
    return size;
}

static int near(float a, double b) {
    return fabs((double)a - b) <= 1e-6 * (1.0 + fabs(b));
}

/* ---- model 1: classifier with impure leaves ----
 * tree 0: n0: x0 < 10 ? n1 : A;  n1: x1 < -5 ? B : C
 * tree 1: n2: x1 < 0 ? C : A
 * tree 2: root is leaf B directly
 * pool: A = 1,2,1 (class 2)  B = 2, 0,3, 1,1  C = 1, 0,5 */
enum { N1 = 3 };
static const uint16_t pool1[] = { 1, 2, 1, 2, 0, 3, 1, 1, 1, 0, 5 };
#define LA (N1 + 0)
#define LB (N1 + 3)
#define LC (N1 + 8)
static const uint32_t roots1[] = { 0, 2, LB };
static const uint32_t feat1[] = { 0, 1, 1 };
static const int32_t thr1[] = { 10, -5, 0 };
static const uint32_t left1[] = { 1, LB, LC };
static const uint32_t right1[] = { LA, LC, LA };

static spec model1(uint8_t flags) {
    spec s = { 0, flags, 0, 2, 3, 3, N1, 11, roots1, NULL, NULL, feat1, thr1,
        NULL, left1, right1, pool1, NULL };
    return s;
}

static void test_classifier(void) {
    uint32_t buf[64];
    eml_trees m;
    const char *why = NULL;
    float out[3];
    int32_t cls;
    for (int wide = 0; wide < 2; wide++) {
        spec s = model1(wide ? EML_TREES_FLAG_WIDE : 0);
        size_t n = serialize(&s, buf);
        CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, &why) == EML_OK, why);
        CHECK(m.pure == 0, "model 1 has impure leaves");
        /* x0=0, x1=-10: t0 -> B (.75,.25,0); t1 -> C (1,0,0); t2 -> B */
        int16_t x[2] = { 0, -10 };
        CHECK(eml_trees_predict_int16(&m, x, out, &cls) == EML_OK, "predict");
        CHECK(near(out[0], 2.5 / 3) && near(out[1], 0.5 / 3) && near(out[2], 0.0), "impure mean");
        CHECK(cls == 0, "impure argmax");
        /* x0=20, x1=5: t0 -> A; t1 -> A; t2 -> B: (.75, .25, 2)/3 */
        int16_t y[2] = { 20, 5 };
        eml_trees_predict_int16(&m, y, out, &cls);
        CHECK(near(out[0], 0.25) && near(out[1], 0.25 / 3) && near(out[2], 2.0 / 3), "mean 2");
        CHECK(cls == 2, "argmax 2");
        /* float input, int16 thresholds: 9.99 -> floor 9 < 10 left */
        float xf[2] = { 9.99f, -5.0f };   /* n1: -5 < -5 no -> C */
        eml_trees_predict_float(&m, xf, out, &cls);
        CHECK(near(out[0], (1 + 1 + 0.75) / 3.0), "float input floor rule");
        float xn[2] = { NAN, NAN };       /* NaN goes right: t0 -> A, t1 -> A */
        eml_trees_predict_float(&m, xn, out, &cls);
        CHECK(near(out[2], 2.0 / 3) && cls == 2, "NaN goes right");
        float xi[2] = { -INFINITY, -INFINITY };   /* left: t0 n1 -> B; t1 -> C */
        eml_trees_predict_float(&m, xi, out, &cls);
        CHECK(near(out[0], (0.75 + 1 + 0.75) / 3.0), "-inf goes left");
    }
}

/* ---- model 2: pure classifier (votes path), ties to the first class ---- */
static void test_pure_votes(void) {
    /* 4 trees, each a single node x0 < t ? class a : class b */
    static const uint16_t pool[] = { 1, 0, 1, 1, 1, 1, 1, 2, 1, 1, 3, 7 };
    /* records: c0 @0, c1 @3 (shares words), c2 @6... use explicit offsets */
    static const uint32_t roots[] = { 0, 1, 2, 3 };
    static const uint32_t feat[] = { 0, 0, 0, 0 };
    static const int32_t thr[] = { 0, 0, 100, -32768 };
    /* leaves: c0 = off 0 (1,0,1), c1 = off 2 (1,1,1), c2 = off 6 (1,2,1), c3 = off 9 (1,3,7) */
    static const uint32_t left[] = { 4 + 0, 4 + 2, 4 + 6, 4 + 9 };
    static const uint32_t right[] = { 4 + 2, 4 + 0, 4 + 2, 4 + 6 };
    spec s = { 0, 0, 0, 1, 4, 4, 4, 12, roots, NULL, NULL, feat, thr, NULL, left, right, pool, NULL };
    uint32_t buf[64];
    eml_trees m;
    const char *why = NULL;
    float out[4];
    int32_t cls = 99;
    size_t n = serialize(&s, buf);
    CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, &why) == EML_OK, why);
    CHECK(m.pure == 1, "pure model detected");
    int16_t x = -1;   /* t0 c0, t1 c1, t2 c2, t3 (-1 < -32768 no) c2 */
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(out[0] == 0.25f && out[1] == 0.25f && out[2] == 0.5f && out[3] == 0.0f, "vote fractions");
    CHECK(cls == 2, "vote argmax");
    x = 5;            /* t0 c1, t1 c0, t2 c2, t3 c2 */
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(cls == 2, "vote argmax 2");
    x = 200;          /* t0 c1, t1 c0, t2 c1, t3 c2 -> c1 has 2 */
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(cls == 1 && out[1] == 0.5f, "vote argmax 3");
    /* tie: make t2 and t3 disagree -> 1,1,1,1? use float input path too */
    float xf = 50.5f; /* t0 c1, t1 c0, t2 (50 < 100) c2, t3 c2 */
    eml_trees_predict_float(&m, &xf, out, &cls);
    CHECK(cls == 2 && out[2] == 0.5f, "votes via float input");
}

/* Tie-break: two trees, votes for class 1 and class 0 -> first max (0). */
static void test_vote_tie(void) {
    static const uint16_t pool[] = { 1, 0, 1, 1, 1 };   /* c0 @0, c1 @2 */
    static const uint32_t roots[] = { 1 + 2, 1 + 0 };   /* leaf c1, leaf c0 */
    static const uint32_t feat[] = { 0 };
    static const int32_t thr[] = { 0 };
    static const uint32_t left[] = { 1 }, right[] = { 1 };
    spec s = { 0, 0, 0, 1, 2, 2, 1, 5, roots, NULL, NULL, feat, thr, NULL, left, right, pool, NULL };
    uint32_t buf[32];
    eml_trees m;
    float out[2];
    int32_t cls;
    size_t n = serialize(&s, buf);
    CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, NULL) == EML_OK, "tie model loads");
    int16_t x = 0;
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(cls == 0 && out[0] == 0.5f && out[1] == 0.5f, "tie goes to the lowest class");
}

/* ---- values models: RF regressor, GB regressor, logistic, softmax ---- */
static void test_values(void) {
    uint32_t buf[64];
    eml_trees m;
    const char *why = NULL;
    float out[3];
    int32_t cls;
    /* one node per tree: x0 < 0 ? L : R */
    static const uint32_t roots[] = { 0, 1 };
    static const uint32_t feat[] = { 0, 0 };
    static const int32_t thr[] = { 0, 0 };
    static const float pool2[] = { 1.0f, 2.0f, 3.0f, 4.0f };    /* 2-output records @0, @2 */
    static const uint32_t l2[] = { 2 + 0, 2 + 2 }, r2[] = { 2 + 2, 2 + 0 };
    static const uint16_t all[] = { 0xffff, 0xffff };
    spec s = { 1, 0, 0, 1, 2, 2, 2, 4, roots, all, NULL, feat, thr, NULL, l2, r2, NULL, pool2 };
    size_t n = serialize(&s, buf);
    CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, &why) == EML_OK, why);
    int16_t x = -1;   /* t0 -> (1,2), t1 -> (3,4) */
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(near(out[0], 2.0) && near(out[1], 3.0) && cls == -1, "RF regressor mean");

    /* GB regressor: combine 1, both trees feed output 0, init 0.5 */
    static const float pool1[] = { -1.0f, 10.0f };
    static const uint32_t l1[] = { 2 + 0, 2 + 1 }, r1[] = { 2 + 1, 2 + 1 };
    static const uint16_t to0[] = { 0, 0 };
    static const float init1[] = { 0.5f };
    spec g = { 1, 0, 1, 1, 1, 2, 2, 2, roots, to0, init1, feat, thr, NULL, l1, r1, NULL, pool1 };
    n = serialize(&g, buf);
    CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, &why) == EML_OK, why);
    eml_trees_predict_int16(&m, &x, out, &cls);   /* 0.5 - 1 + 10 */
    CHECK(near(out[0], 9.5) && cls == -1, "GB regressor sum");

    /* logistic: n_outputs 2, trees feed output 1 */
    static const uint16_t to1[] = { 1, 1 };
    static const float init2[] = { 0.0f, 0.25f };
    static const float poolz[] = { -0.125f, -0.125f };
    spec lg = { 1, 0, 2, 1, 2, 2, 2, 2, roots, to1, init2, feat, thr, NULL, l1, r1, NULL, pool1 };
    n = serialize(&lg, buf);
    CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, &why) == EML_OK, why);
    eml_trees_predict_int16(&m, &x, out, &cls);   /* r = 0.25 + 9 */
    double sg = 1.0 / (1.0 + exp(-9.25));
    CHECK(near(out[1], sg) && near(out[0], 1.0 - sg) && cls == 1, "logistic");
    x = 1;                                        /* r = 0.25 + 10 + 10 */
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(cls == 1 && out[1] > 0.99f, "logistic 2");
    lg.leavesf = poolz;                           /* r = 0.25 - 0.125 - 0.125 = 0 */
    n = serialize(&lg, buf);
    eml_trees_load(&m, (const uint8_t *)buf, n, NULL);
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(cls == 0 && out[1] == 0.5f, "logistic r == 0 gives class 0");

    /* softmax: 3 outputs, tree 0 feeds output 1, tree 1 feeds output 2 */
    static const uint16_t to12[] = { 1, 2 };
    static const float init3[] = { 0.0f, 0.0f, 0.0f };
    static const float pool3[] = { 1.0f, 2.0f };
    static const uint32_t l3[] = { 2 + 0, 2 + 1 }, r3[] = { 2 + 1, 2 + 0 };
    spec sm = { 1, 0, 3, 1, 3, 2, 2, 2, roots, to12, init3, feat, thr, NULL, l3, r3, NULL, pool3 };
    n = serialize(&sm, buf);
    CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, &why) == EML_OK, why);
    x = -1;   /* sums (0, 1, 2) */
    eml_trees_predict_int16(&m, &x, out, &cls);
    double z = 1.0 + exp(1.0) + exp(2.0);
    CHECK(near(out[0], 1.0 / z) && near(out[1], exp(1.0) / z) && near(out[2], exp(2.0) / z), "softmax");
    CHECK(cls == 2, "softmax argmax");
    x = 0;    /* sums (0, 2, 1) */
    eml_trees_predict_int16(&m, &x, out, &cls);
    CHECK(cls == 1, "softmax argmax 2");
}

/* ---- float thresholds ---- */
static void test_float_thresholds(void) {
    /* tree 0: x0 < 0.0f ? c0 : c1; tree 1: x0 < 2.5f ? c0 : c1 */
    static const uint16_t pool[] = { 1, 0, 1, 1, 1 };
    static const uint32_t roots[] = { 0, 1 };
    static const uint32_t feat[] = { 0, 0 };
    static const float thr[] = { 0.0f, 2.5f };
    static const uint32_t left[] = { 2 + 0, 2 + 0 }, right[] = { 2 + 2, 2 + 2 };
    uint32_t buf[64];
    eml_trees m;
    const char *why = NULL;
    float out[2];
    int32_t cls;
    for (int wide = 0; wide < 2; wide++) {
        spec s = { 0, (uint8_t)(EML_TREES_FLAG_FLOAT | (wide ? EML_TREES_FLAG_WIDE : 0)), 0, 1, 2,
            2, 2, 5, roots, NULL, NULL, feat, NULL, thr, left, right, pool, NULL };
        size_t n = serialize(&s, buf);
        CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, &why) == EML_OK, why);
        static const struct { float x; float p1; } cases[] = {
            { -0.0f, 0.5f },        /* -0.0 is not < 0.0 */
            { 0.0f, 0.5f },
            { -1e-45f, 0.0f },      /* smallest negative denormal < 0 */
            { 2.4999998f, 0.5f },
            { 2.5f, 1.0f },
            { INFINITY, 1.0f },
            { -INFINITY, 0.0f },
            { NAN, 1.0f },          /* NaN goes right */
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            eml_trees_predict_float(&m, &cases[i].x, out, &cls);
            CHECK(out[1] == cases[i].p1, "float threshold edge case");
        }
        static const struct { int16_t x; float p1; } icases[] = {
            { -1, 0.0f }, { 0, 0.5f }, { 2, 0.5f }, { 3, 1.0f },
            { -32768, 0.0f }, { 32767, 1.0f },
        };
        for (size_t i = 0; i < sizeof icases / sizeof icases[0]; i++) {
            eml_trees_predict_int16(&m, &icases[i].x, out, &cls);
            CHECK(out[1] == icases[i].p1, "int16 input vs float threshold");
        }
    }
}

/* ---- int16 thresholds at the extremes, wide vs narrow agree ---- */
static void test_int16_extremes(void) {
    static const uint16_t pool[] = { 1, 0, 1, 1, 1 };
    static const uint32_t roots[] = { 0, 1 };
    static const uint32_t feat[] = { 0, 0 };
    static const int32_t thr[] = { -32768, 32767 };
    static const uint32_t left[] = { 2 + 0, 2 + 0 }, right[] = { 2 + 2, 2 + 2 };
    uint32_t buf[64];
    eml_trees m;
    float out[2];
    int32_t cls;
    spec s = { 0, 0, 0, 1, 2, 2, 2, 5, roots, NULL, NULL, feat, thr, NULL, left, right, pool, NULL };
    size_t n = serialize(&s, buf);
    CHECK(eml_trees_load(&m, (const uint8_t *)buf, n, NULL) == EML_OK, "extremes load");
    int16_t xi[] = { -32768, 32766, 32767 };
    float expect[] = { 0.5f, 0.5f, 1.0f };
    for (int i = 0; i < 3; i++) {
        eml_trees_predict_int16(&m, &xi[i], out, &cls);
        CHECK(out[1] == expect[i], "int16 extreme inputs");
    }
    float xf[] = { -32768.5f, -32768.0f, 32766.9f, 32767.0f, 1e9f, -1e9f, -INFINITY, INFINITY, NAN };
    float ef[] = { 0.0f, 0.5f, 0.5f, 1.0f, 1.0f, 0.0f, 0.0f, 1.0f, 1.0f };
    for (int i = 0; i < 9; i++) {
        eml_trees_predict_float(&m, &xf[i], out, &cls);
        CHECK(out[1] == ef[i], "float input vs int16 extremes");
    }
}

static void test_conversions(void) {
    CHECK(eml_trees_key(0.0f) == 0 && eml_trees_key(-0.0f) == 0, "key(+-0) is 0");
    CHECK(eml_trees_key(NAN) == INT32_MAX && eml_trees_key(-NAN) == INT32_MAX, "key(NaN)");
    CHECK(eml_trees_key(1.0f) == 0x3f800000, "key(1)");
    CHECK(eml_trees_key(-1.0f) == -0x3f800000 - 1 + 0, "key(-1)");
    static const float sorted[] = { -INFINITY, -3.4e38f, -1.0f, -1e-45f, 0.0f, 1e-45f,
        1.0f, 1.0000001f, 3.4e38f, INFINITY };
    int ok = 1;
    for (size_t i = 1; i < sizeof sorted / sizeof sorted[0]; i++) {
        ok &= eml_trees_key(sorted[i - 1]) < eml_trees_key(sorted[i]);
    }
    CHECK(ok, "key orders like the floats");
    CHECK(eml_trees_key(INFINITY) < eml_trees_key(NAN), "NaN key above +inf");
    static const struct { float f; int32_t v; } fl[] = {
        { 0.0f, 0 }, { -0.0f, 0 }, { 0.5f, 0 }, { -0.5f, -1 }, { -1.0f, -1 }, { -1.5f, -2 },
        { 2.999f, 2 }, { 32766.5f, 32766 }, { 32767.0f, 32767 }, { 40000.0f, 32767 },
        { -32768.0f, -32768 }, { -32768.5f, -32769 }, { -1e20f, -32769 }, { 1e20f, 32767 },
        { INFINITY, 32767 }, { -INFINITY, -32769 }, { NAN, 32767 }, { -1e-30f, -1 },
    };
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        CHECK(eml_trees_floor_sat(fl[i].f) == fl[i].v, "floor_sat edge value");
    }
}

/* ---- emlearn CSV / builder ---- */

static eml_status feed(eml_trees_builder *b, const char *text, const char **why) {
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p + 1) : strlen(p);
        eml_status st = eml_trees_csv_line(b, p, len, why);
        if (st != EML_OK) {
            return st;
        }
        p += len;
    }
    return EML_OK;
}

static void test_xor_csv(void) {
    static char text[8192];
    FILE *f = fopen("/work/shared/data/trees/emlearn_xor_model.csv", "rb");
    if (f == NULL) f = fopen("../shared/data/trees/emlearn_xor_model.csv", "rb");
    if (f == NULL) {
        printf("SKIP xor csv: shared/data/trees/emlearn_xor_model.csv not found\n");
        return;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    static uint32_t storage[1024];
    eml_trees_builder b;
    eml_trees m;
    const char *why = "?";
    CHECK(eml_trees_builder_storage_size(10, 100, 10) <= sizeof storage, "storage size");
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 10, 100, 10) == EML_OK, "init");
    CHECK(feed(&b, text, &why) == EML_OK, why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    CHECK(m.n_trees == 3 && m.n_nodes == 14 && m.n_outputs == 2 && m.pure, "xor shape");
    static const struct { int16_t a, b; int32_t c; } cases[] = {
        { 0, 0, 0 }, { 32767, 32767, 0 }, { 0, 32767, 1 }, { 32767, 0, 1 },
    };
    for (int i = 0; i < 4; i++) {
        int16_t x[2] = { cases[i].a, cases[i].b };
        float out[2];
        int32_t cls = -5;
        CHECK(eml_trees_predict_int16(&m, x, out, &cls) == EML_OK, "xor predict");
        CHECK(cls == cases[i].c, "xor class");
        CHECK(out[cls] > 0.5f && near(out[0] + out[1], 1.0), "xor proba");
    }
    /* finish twice gives the same model; adds after finish fail */
    eml_trees m2;
    CHECK(eml_trees_builder_finish(&b, &m2, &why) == EML_OK && m2.leaves == m.leaves, "finish twice");
    CHECK(eml_trees_csv_line(&b, "r,0", 3, &why) == EML_ERR_VALUE, "add after finish");
    /* same model, wide layout (capacities force it) */
    static uint32_t big[40000];
    size_t need = eml_trees_builder_storage_size(10, 100, 33000);
    CHECK(need > 0 && need <= sizeof big, "wide storage size");
    CHECK(eml_trees_builder_init(&b, big, sizeof big, 10, 100, 33000) == EML_OK && b.wide, "wide init");
    CHECK(feed(&b, text, &why) == EML_OK, why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    CHECK(m.flags == EML_TREES_FLAG_WIDE, "wide flag");
    for (int i = 0; i < 4; i++) {
        int16_t x[2] = { cases[i].a, cases[i].b };
        float out[2];
        int32_t cls = -5;
        eml_trees_predict_int16(&m, x, out, &cls);
        CHECK(cls == cases[i].c, "xor class (wide)");
    }
}

static void test_builder_api(void) {
    static uint32_t storage[256];
    eml_trees_builder b;
    eml_trees m;
    const char *why = "?";
    float out[3];
    int32_t cls;
    /* emlearn semantics: value truncated, strict <; relative children;
     * tree 0: n0 x0 < 5 ? n1 : leaf1; n1 x1 < -3 ? leaf0 : leaf2
     * tree 1: n2 x0 < 0 ? leaf2 : leaf1 */
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 4, 8, 4) == EML_OK, "init");
    CHECK(eml_trees_builder_setdata(&b, 2, 3, 0) == EML_OK, "setdata");
    CHECK(eml_trees_builder_addleaf(&b, 0.0f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addleaf(&b, 1.0f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addleaf(&b, 2.0f, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addroot(&b, 2, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, 1, -2, 0, 5, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, -1, -3, 1, -3, &why) == EML_OK, why);
    CHECK(eml_trees_builder_addnode(&b, -3, -2, 0, 0, &why) == EML_OK, why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    int16_t x[2] = { 4, -4 };     /* t0 leaf0, t1 leaf1 -> tie 0/1 -> 0 */
    eml_trees_predict_int16(&m, x, out, &cls);
    CHECK(cls == 0 && out[0] == 0.5f && out[1] == 0.5f && out[2] == 0.0f, "builder vote + tie");
    int16_t y[2] = { -1, -3 };    /* t0 n1 -3 < -3 no -> leaf2; t1 leaf2 */
    eml_trees_predict_int16(&m, y, out, &cls);
    CHECK(cls == 2 && out[2] == 1.0f, "builder strict <");

    /* regression via CSV with lb 32 and decimal leaves */
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 4, 8, 4) == EML_OK, "init 2");
    const char *reg = "f,1\r\nc,0\r\nlb,32\r\nl,0.1\r\nl,-2.5e-3\r\nl, 3 \r\nr,0\r\nr,1\r\n"
        "n,0,15279.5,-1,-2\r\nn,0,-3.7,-3,-1\r\n";
    CHECK(feed(&b, reg, &why) == EML_OK, why);
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);
    CHECK(m.kind == EML_TREES_KIND_VALUES && m.n_outputs == 1, "regressor kind");
    CHECK(((const int16_t *)m.thresholds)[0] == 15279 && ((const int16_t *)m.thresholds)[1] == -3,
        "threshold truncated toward zero");
    int16_t z = 15279;            /* t0: right leaf1 (-0.0025); t1: -3 < ... no -> leaf0 (0.1) */
    eml_trees_predict_int16(&m, &z, out, &cls);
    CHECK(near(out[0], (0.1 - 0.0025) / 2) && cls == -1, "regressor mean");
    z = -4;                        /* t0 left leaf0 (0.1); t1 left leaf2 (3) */
    eml_trees_predict_int16(&m, &z, out, &cls);
    CHECK(near(out[0], 3.1 / 2), "regressor mean 2");
    const float *lv = (const float *)m.leaves;
    CHECK(lv[0] == 0.1f && lv[1] == -2.5e-3f && lv[2] == 3.0f, "decimal leaves parsed exactly");

    /* number parsing details */
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 4, 8, 8) == EML_OK, "init 3");
    CHECK(feed(&b, "f,2\nc,0\n", &why) == EML_OK, why);
    static const struct { const char *s; float v; } nums[] = {
        { "l,1e3", 1000.0f }, { "l,.5", 0.5f }, { "l,5.", 5.0f }, { "l,-0.000123", -0.000123f },
        { "l,123456789012", 123456789012.0f }, { "l,+7.25E+2", 725.0f }, { "l,3.4028234e38", 3.4028234e38f },
        { "l,1e-50", 0.0f },
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        CHECK(eml_trees_csv_line(&b, nums[i].s, strlen(nums[i].s), &why) == EML_OK, nums[i].s);
        float got;
        memcpy(&got, b.leaves + 4 * i, 4);
        CHECK(fabs((double)got - nums[i].v) <= 2.5e-7 * fabs((double)nums[i].v), nums[i].s);
    }
}

/* ---- malformed models: each must fail with a reason, never crash ---- */

static int load_fails(const uint32_t *buf, size_t n, eml_status want) {
    eml_trees m;
    const char *why = NULL;
    eml_status st = eml_trees_load(&m, (const uint8_t *)buf, n, &why);
    if (st != want) {
        printf("  status %d, wanted %d (%s)\n", (int)st, (int)want, why ? why : "-");
    }
    return st == want && why != NULL && why[0] != 0;
}

static void test_malformed(void) {
    static uint32_t buf[256], copy[256];
    spec s = model1(0);
    size_t n = serialize(&s, buf);
    int all = 1;
    for (size_t len = 0; len < n; len++) {
        all &= load_fails(buf, len, EML_ERR_SIZE);
    }
    CHECK(all, "every truncation is EML_ERR_SIZE");
    /* trailing bytes with a matching header size */
    memcpy(copy, buf, n);
    copy[n / 4] = 0;
    ((uint8_t *)copy)[24] = (uint8_t)(n + 4);
    CHECK(load_fails(copy, n + 4, EML_ERR_FORMAT), "file longer than its sections");
    /* misaligned */
    static uint8_t raw[1024];
    memcpy(raw + 1, buf, n);
    CHECK(load_fails((const uint32_t *)(void *)(raw + 1), n, EML_ERR_VALUE), "misaligned");

#define MUTATE(off, val, msg) do { \
        memcpy(copy, buf, n); \
        ((uint8_t *)copy)[off] = (uint8_t)(val); \
        CHECK(load_fails(copy, n, EML_ERR_FORMAT), msg); \
    } while (0)
    MUTATE(0, 'X', "bad magic");
    MUTATE(4, 2, "bad version");
    MUTATE(5, 2, "bad kind");
    MUTATE(6, 4, "unknown flag bit");
    MUTATE(6, 0x80, "unknown flag bit 7");
    MUTATE(7, 4, "unknown combine");
    MUTATE(28, 1, "reserved not 0");
    MUTATE(8, 0, "n_features 0");
    MUTATE(10, 0, "n_outputs 0");
    MUTATE(10, 2, "class >= n_outputs (n_outputs 2)");

    /* section offsets for model 1 (narrow): roots @32 (3*2 -> 8), features @40 (3 -> 4),
     * thresholds @44 (6 -> 8), left @52 (8), right @60 (8), leaves @68 */
    MUTATE(40, 2, "feature out of range");
    MUTATE(52, 0, "child index backward (self loop)");
    MUTATE(54, 0, "child index backward (cycle)");
    MUTATE(60, 200, "leaf ref past pool");
    MUTATE(61, 0xff, "huge ref");
    MUTATE(32, 20, "root leaf ref past pool");
    MUTATE(68, 0, "leaf record n = 0");
    MUTATE(68, 9, "leaf record past end of pool");
    MUTATE(70, 3, "leaf class out of range");
    MUTATE(72, 0, "counts sum to 0 (A)");  /* word k of the pool is at 68 + 2k */
    MUTATE(88, 0, "counts sum to 0 (C)");
    {
        static const float init[] = { 0, 0, 0 };
        spec c = model1(0);
        c.combine = 1;
        c.init = init;
        size_t cn = serialize(&c, copy);
        CHECK(load_fails(copy, cn, EML_ERR_FORMAT), "classifier with combine 1");
    }
    {
        /* n_trees 0 with a matching size */
        spec z = model1(0);
        z.n_trees = 0;
        size_t zn = serialize(&z, copy);
        CHECK(load_fails(copy, zn, EML_ERR_FORMAT), "n_trees 0");
    }
    {
        spec w = model1(0);
        w.n_features = 300;
        size_t wn = serialize(&w, copy);
        CHECK(load_fails(copy, wn, EML_ERR_FORMAT), "narrow with n_features > 256");
    }
    {
        /* header counts that overflow the section arithmetic */
        memcpy(copy, buf, n);
        uint8_t *c = (uint8_t *)copy;
        c[16] = 0xff; c[17] = 0xff; c[18] = 0xff; c[19] = 0xff;
        CHECK(load_fails(copy, n, EML_ERR_SIZE), "n_nodes 2^32-1");
        memcpy(copy, buf, n);
        c[23] = 0x40;
        CHECK(load_fails(copy, n, EML_ERR_SIZE), "n_leaf_words huge");
    }
    {
        /* values model checks: tree_output out of range, combine 2 with 3 outputs,
         * record of n_outputs floats past the pool */
        static const uint32_t roots[] = { 0 };
        static const uint32_t feat[] = { 0 };
        static const int32_t thr[] = { 0 };
        static const float pool[] = { 1.0f, 2.0f };
        static const uint32_t l[] = { 1 + 0 }, r[] = { 1 + 1 };
        static const uint16_t to_bad[] = { 3 }, to_all[] = { 0xffff };
        static const float init[] = { 0, 0, 0 };
        spec v = { 1, 0, 1, 1, 3, 1, 1, 2, roots, to_bad, init, feat, thr, NULL, l, r, NULL, pool };
        size_t vn = serialize(&v, copy);
        CHECK(load_fails(copy, vn, EML_ERR_FORMAT), "tree_output out of range");
        v.tree_output = to_all;
        vn = serialize(&v, copy);
        CHECK(load_fails(copy, vn, EML_ERR_FORMAT), "all-outputs record past pool");
        v.combine = 2;
        v.tree_output = (const uint16_t[]){ 1 };
        vn = serialize(&v, copy);
        CHECK(load_fails(copy, vn, EML_ERR_FORMAT), "combine 2 needs 2 outputs");
        v.n_outputs = 2;
        vn = serialize(&v, copy);
        eml_trees ok;
        CHECK(eml_trees_load(&ok, (const uint8_t *)copy, vn, NULL) == EML_OK, "combine 2 with 2 outputs loads");
    }

    /* random byte mutations: load may pass or fail, prediction must stay in bounds */
    unsigned seed = 12345;
    int loaded = 0;
    for (int i = 0; i < 20000; i++) {
        memcpy(copy, buf, n);
        int flips = 1 + (int)(check_rand(&seed) % 4);
        for (int k = 0; k < flips; k++) {
            ((uint8_t *)copy)[check_rand(&seed) % n] ^= (uint8_t)(1u << (check_rand(&seed) % 8));
        }
        eml_trees m;
        if (eml_trees_load(&m, (const uint8_t *)copy, n, NULL) == EML_OK) {
            float out[65536 / 64];
            int16_t xi[300] = { 0 };
            float xf[300] = { 0 };
            int32_t cls;
            if (m.n_outputs <= sizeof out / sizeof out[0] && m.n_features <= 300) {
                eml_trees_predict_int16(&m, xi, out, &cls);
                eml_trees_predict_float(&m, xf, out, &cls);
                loaded++;
            }
        }
    }
    CHECK(loaded > 0, "some mutated models still load and predict");
}

static void test_builder_errors(void) {
    static uint32_t storage[256];
    eml_trees_builder b;
    eml_trees m;
    const char *why = NULL;
    CHECK(eml_trees_builder_init(&b, (uint8_t *)storage + 2, sizeof storage - 4, 1, 1, 1) == EML_ERR_VALUE, "unaligned storage");
    CHECK(eml_trees_builder_init(&b, storage, 8, 1, 1, 1) == EML_ERR_SIZE, "storage too small");
    CHECK(eml_trees_builder_storage_size(0xffffffffu, 0xffffffffu, 0xffffffffu) == 0, "storage size overflow");
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 1, 1, 1) == EML_OK, "init");
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_ERR_VALUE, "finish without setdata");
    CHECK(eml_trees_builder_setdata(&b, 0, 2, 0) == EML_ERR_VALUE, "setdata n_features 0");
    CHECK(eml_trees_builder_setdata(&b, 2, 2, 8) == EML_ERR_VALUE, "setdata leaf_bits 8");
    CHECK(eml_trees_builder_setdata(&b, 2, 2, 0) == EML_OK, "setdata");
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_OK, "root");
    CHECK(eml_trees_builder_addroot(&b, 0, &why) == EML_ERR_CAPACITY && strcmp(why, "more trees than max_trees") == 0, "max trees");
    CHECK(eml_trees_builder_addnode(&b, 1, 1, 300, 0, &why) == EML_ERR_VALUE, "feature > 255");
    CHECK(eml_trees_builder_addnode(&b, 1, 1, 0, 40000, &why) == EML_ERR_VALUE, "threshold out of int16");
    CHECK(eml_trees_builder_addnode(&b, 40000, 1, 0, 0, &why) == EML_ERR_VALUE, "child out of int16");
    CHECK(eml_trees_builder_addnode(&b, -1, -1, 0, 0, &why) == EML_OK, "node");
    CHECK(eml_trees_builder_addnode(&b, -1, -1, 0, 0, &why) == EML_ERR_CAPACITY && strcmp(why, "more nodes than max_nodes") == 0, "max nodes");
    CHECK(eml_trees_builder_addleaf(&b, 1.0f, &why) == EML_OK, "leaf");
    CHECK(eml_trees_builder_addleaf(&b, 1.0f, &why) == EML_ERR_CAPACITY && strcmp(why, "more leaves than max_leaves") == 0, "max leaves");
    CHECK(eml_trees_builder_finish(&b, &m, &why) == EML_OK, why);

    /* models that convert but fail validation */
    static const char *bad_models[] = {
        "f,2\nc,2\nl,0\nr,0\nn,0,1,0,-1\n",         /* relative child 0: self loop */
        "f,2\nc,2\nl,0\nr,0\nn,0,1,5,-1\n",         /* child past the last node */
        "f,2\nc,2\nl,0\nr,0\nn,0,1,-2,-1\n",        /* leaf index past the leaves */
        "f,2\nc,2\nl,2\nr,0\nn,0,1,-1,-1\n",        /* class >= n_classes */
        "f,2\nc,2\nl,0.5\nr,0\nn,0,1,-1,-1\n",      /* class not an integer */
        "f,2\nc,2\nl,-1\nr,0\nn,0,1,-1,-1\n",       /* negative class */
        "f,2\nc,2\nl,0\nr,3\nn,0,1,-1,-1\n",        /* root past the last node */
        "f,2\nc,2\nl,0\nr,-2\nn,0,1,-1,-1\n",       /* root leaf past the leaves */
        "f,2\nc,2\nl,0\nr,0\nn,2,1,-1,-1\n",        /* feature >= n_features */
        "f,2\nc,2\nl,0\nn,0,1,-1,-1\n",             /* no roots */
    };
    for (size_t i = 0; i < sizeof bad_models / sizeof bad_models[0]; i++) {
        CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 4, 4, 4) == EML_OK, "init");
        why = NULL;
        eml_status st = feed(&b, bad_models[i], &why);
        if (st == EML_OK) {
            st = eml_trees_builder_finish(&b, &m, &why);
        }
        CHECK(st == EML_ERR_FORMAT && why != NULL, bad_models[i]);
        CHECK(eml_trees_builder_finish(&b, &m, &why) != EML_OK, "failed builder stays failed");
    }

    /* bad CSV lines */
    static const char *bad_lines[] = {
        "x,1", "n,1,2,3", "n,1,2,3,4,5", "f,abc", "f,1.5", "f,", "f", "l,1e", "l,--1",
        "l,1.2.3", "n,0,1.2.3,1,2", "r,", ",", "c,2,3", "lb,8", "f,0", "f,70000", "l,nan",
        "l,inf", "l,1e999", "n,0,99999,1,2", "n,0,1,1,2 x", "r,1 2", "ll,1", "f,1e2",
        "r,99999999999999", "l,.", "l,e5", "l,1e+", "n,-1,0,1,2", "n,300,0,1,2",
    };
    int all = 1;
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 4, 4, 4) == EML_OK, "init");
        if (strcmp(bad_lines[i], "x,1") != 0 && bad_lines[i][0] != 'f') {
            feed(&b, "f,2\nc,2\n", &why);
        }
        why = NULL;
        eml_status st = eml_trees_csv_line(&b, bad_lines[i], strlen(bad_lines[i]), &why);
        if (st == EML_OK || why == NULL) {
            printf("  accepted bad line '%s'\n", bad_lines[i]);
            all = 0;
        }
    }
    CHECK(all, "every bad CSV line is rejected with a reason");
    CHECK(eml_trees_builder_init(&b, storage, sizeof storage, 4, 4, 4) == EML_OK, "init");
    CHECK(eml_trees_csv_line(&b, "l,1", 3, &why) == EML_ERR_FORMAT, "leaf before metadata");
    CHECK(eml_trees_csv_line(&b, "\r\n", 2, &why) == EML_OK, "empty line skipped");
}

int main(void) {
    test_conversions();
    test_classifier();
    test_pure_votes();
    test_vote_tie();
    test_values();
    test_float_thresholds();
    test_int16_extremes();
    test_xor_csv();
    test_builder_api();
    test_builder_errors();
    test_malformed();
    return check_summary();
}
