/* Minimal test harness for the host unit tests of src/core.
 * Each test program is a single translation unit, so the counters can be
 * file-static. End main() with `return check_summary();`. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int check_passed;
static int check_failed;

#define CHECK(cond, msg) do { \
        if (cond) { \
            check_passed++; \
        } else { \
            check_failed++; \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, (msg)); \
        } \
    } while (0)

/* Print the one summary line and give main() its exit status. */
static inline int check_summary(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed != 0;
}

/* Deterministic xorshift32 so runs are reproducible across hosts. */
static inline unsigned check_rand(unsigned *state) {
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

#endif /* CHECK_H */
