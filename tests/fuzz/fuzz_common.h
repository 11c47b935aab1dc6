/* What the libFuzzer targets in tests/fuzz share: fatal UBSan reports,
 * a check that aborts (libFuzzer then saves the input), allocations of
 * exactly the size asked for (so ASan catches any access past them), and
 * a reader that draws bytes from the input, zeros once it runs out. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>

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
    void *p = malloc(n ? n : 1);    /* malloc: 16-byte aligned */
    check(p != NULL);
    return p;
}

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

#endif /* FUZZ_COMMON_H */
