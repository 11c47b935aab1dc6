/* libFuzzer target for src/core/eml_trees.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core \
 *       tests/fuzz/fuzz_trees.c src/core/eml_trees.c -lm
 *
 * The input is tried three ways: as a model file (copied to an aligned buffer
 * of exactly its size, so any read past the end is caught), predicting with
 * int16 and float inputs drawn from the input when it loads; misaligned, which
 * must be refused; and as emlearn CSV lines fed to a small builder, finished
 * and predicted with when every line was accepted. */
#include <stdlib.h>
#include <string.h>

#include "eml_trees.h"

static void predict_all(const eml_trees *m, const uint8_t *data, size_t size) {
    const size_t nf = m->n_features;
    int16_t *xi = (int16_t *)malloc(nf * sizeof *xi);
    float *xf = (float *)malloc(nf * sizeof *xf);
    float *out = (float *)malloc((size_t)m->n_outputs * sizeof *out);
    int32_t cls = 0;
    if (xi == NULL || xf == NULL || out == NULL) {
        abort();
    }
    /* A few inputs: zeros, extremes, NaN, and values taken from the data. */
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < nf; i++) {
            uint32_t u = 0;
            if (size >= 4) {
                memcpy(&u, data + ((i * 4 + (size_t)round * 7) % (size - 3)), 4);
            }
            switch (round) {
            case 0: xi[i] = 0; u = 0; break;
            case 1: xi[i] = (int16_t)((i & 1) ? 32767 : -32768); u = (i & 1) ? 0x7fc00000u : 0xff800000u; break;
            default: xi[i] = (int16_t)u; break;
            }
            memcpy(&xf[i], &u, 4);
        }
        if (eml_trees_predict_int16(m, xi, out, &cls) != EML_OK
            || eml_trees_predict_float(m, xf, out, &cls) != EML_OK) {
            abort();
        }
        if (cls < -1 || cls >= (int32_t)m->n_outputs) {
            abort();
        }
    }
    free(xi);
    free(xf);
    free(out);
}

static void try_model(const uint8_t *data, size_t size) {
    /* malloc gives 16-byte alignment; exact size so ASan sees any overrun */
    uint8_t *copy = (uint8_t *)malloc(size ? size : 1);
    eml_trees m;
    const char *why = NULL;
    if (copy == NULL) {
        abort();
    }
    memcpy(copy, data, size);
    eml_status st = eml_trees_load(&m, copy, size, &why);
    if (st == EML_OK) {
        predict_all(&m, data, size);
    } else if (why == NULL || st == EML_ERR_VALUE) {
        abort();        /* every failure names its reason; aligned data is never VALUE */
    }
    free(copy);

    uint8_t *mis = (uint8_t *)malloc(size + 1);
    if (mis == NULL) {
        abort();
    }
    memcpy(mis + 1, data, size);
    if (eml_trees_load(&m, mis + 1, size, NULL) != EML_ERR_VALUE) {
        abort();
    }
    free(mis);
}

static void try_csv(const uint8_t *data, size_t size) {
    static const uint32_t caps[][3] = { { 4, 16, 8 }, { 3, 100, 33000 } };
    for (int c = 0; c < 2; c++) {
        const size_t need = eml_trees_builder_storage_size(caps[c][0], caps[c][1], caps[c][2]);
        uint32_t *storage = (uint32_t *)malloc(need);
        eml_trees_builder b;
        eml_trees m;
        const char *why = NULL;
        int ok = 1;
        if (storage == NULL || eml_trees_builder_init(&b, storage, need, caps[c][0],
                caps[c][1], caps[c][2]) != EML_OK) {
            abort();
        }
        size_t start = 0;
        for (size_t i = 0; i <= size; i++) {
            if (i == size || data[i] == '\n') {
                const size_t end = (i < size) ? i + 1 : i;
                /* the line in its own allocation: no reads past it go unseen */
                char *line = (char *)malloc(end - start + 1);
                if (line == NULL) {
                    abort();
                }
                memcpy(line, data + start, end - start);
                if (eml_trees_csv_line(&b, line, end - start, &why) != EML_OK) {
                    ok = 0;
                }
                free(line);
                start = end;
            }
        }
        eml_status st = eml_trees_builder_finish(&b, &m, &why);
        if (st == EML_OK) {
            predict_all(&m, data, size);
        }
        (void)ok;
        free(storage);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try_model(data, size);
    try_csv(data, size);
    return 0;
}
