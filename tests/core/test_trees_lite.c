/* eml_trees built with EML_TREES_NO_VALUES and EML_TREES_NO_BUILDER (the
 * classifiers-only build of emlearn_trees_lite): classifiers load and
 * predict as in the full build; regression and boosting files are refused
 * with their own reason. The Makefile builds this file twice, as
 * test_trees_lite (with the options) and test_trees_lite_full (without), so
 * the refusal is checked against files that the full build does load.
 *
 * The two files are written out by hand from docs/trees-format.md: one tree
 * with one node, x[0] < 5 going left. */
#include <string.h>

#include "check.h"
#include "eml_trees.h"

#ifdef EML_TREES_NO_VALUES
#define VALUES_LOAD 0
#else
#define VALUES_LOAD 1
#endif

static uint8_t *put16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v) {
    return put16(put16(p, v & 0xffffu), v >> 16);
}

/* Header and sections of a narrow one-node model with int16 thresholds:
 * kind 0 leaves are pure-class refs (class 0 left, 1 right); kind 1 has a
 * tree_output section and float leaves -1.5 (left) and 2.5 (right). Returns
 * the file size. */
static size_t one_node_model(uint32_t *words, uint8_t kind) {
    uint8_t *start = (uint8_t *)words;
    const uint32_t n_outputs = kind ? 1 : 2;
    const uint32_t n_leaf_words = kind ? 2 : 0;
    const size_t size = 32 + 4 * 5 + (kind ? 4 + 8 : 0);
    uint8_t *p = start;
    memset(start, 0, size);
    memcpy(p, "EMLT", 4);
    p[4] = 2;                           /* version */
    p[5] = kind;
    p[6] = 0;                           /* flags: narrow, int16 thresholds */
    p[7] = 0;                           /* combine: mean */
    p = put16(p + 8, 1);                /* n_features */
    p = put16(p, n_outputs);
    p = put32(p, 1);                    /* n_trees */
    p = put32(p, 1);                    /* n_nodes */
    p = put32(p, n_leaf_words);
    p = put32(p, (uint32_t)size);
    p = put32(p, 0);                    /* reserved */
    p = put16(p, 0) + 2;                /* roots: node 0 */
    if (kind) {
        p = put16(p, 0) + 2;            /* tree_output: output 0 */
    }
    p += 4;                             /* features: x[0] */
    p = put16(p, 5) + 2;                /* thresholds */
    p = put16(p, 1) + 2;                /* left: leaf value 0 */
    p = put16(p, 2) + 2;                /* right: leaf value 1 */
    if (kind) {
        const float leaves[2] = { -1.5f, 2.5f };
        memcpy(p, leaves, sizeof leaves);
        p += sizeof leaves;
    }
    CHECK((size_t)(p - start) == size, "hand-written model size");
    return size;
}

static void test_classifier(void) {
    uint32_t words[32];
    const size_t size = one_node_model(words, 0);
    eml_trees m;
    const char *why = NULL;
    CHECK(eml_trees_load(&m, (const uint8_t *)words, size, &why) == EML_OK, why);
    const int16_t x16[4] = { -32768, 4, 5, 32767 };
    const float xf[4] = { -1e30f, 4.99f, 5.0f, 1e30f };
    int wrong = 0;
    for (int i = 0; i < 4; i++) {
        const int32_t want = i < 2 ? 0 : 1;
        float out[2] = { -1.0f, -1.0f };
        int32_t cls = -7;
        wrong += eml_trees_predict_int16(&m, &x16[i], out, &cls) != EML_OK
            || cls != want || out[want] != 1.0f || out[1 - want] != 0.0f;
        cls = -7;
        wrong += eml_trees_predict_float(&m, &xf[i], out, &cls) != EML_OK
            || cls != want || out[want] != 1.0f || out[1 - want] != 0.0f;
    }
    CHECK(wrong == 0, "classifier: x < 5 is class 0, else class 1, int16 and float inputs");
}

static void test_values_model(void) {
    uint32_t words[32];
    const size_t size = one_node_model(words, 1);
    eml_trees m;
    const char *why = NULL;
    const eml_status st = eml_trees_load(&m, (const uint8_t *)words, size, &why);
    if (VALUES_LOAD) {
        float out[1] = { 0.0f };
        int32_t cls = -7;
        const int16_t x = 9;
        CHECK(st == EML_OK, why);
        CHECK(eml_trees_predict_int16(&m, &x, out, &cls) == EML_OK && out[0] == 2.5f && cls == -1,
            "full build: the regressor file predicts its right leaf");
    } else {
        CHECK(st == EML_ERR_FORMAT && why != NULL
            && strcmp(why, "regression and boosting models not supported by this build (classifiers only)") == 0,
            "classifiers-only build: a regressor file is refused with the reason");
    }
}

int main(void) {
    test_classifier();
    test_values_model();
    return check_summary();
}
