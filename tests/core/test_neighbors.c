/* Host tests of the k-nearest-neighbours core (src/core/eml_neighbors.c),
 * against a brute-force reference written independently here: every
 * distance in 64 bits, the full ranking by (distance, index) by selection,
 * and the vote counted in a table of all int16 labels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eml_neighbors.h"

#define MAX_ITEMS 300
#define MAX_FEATURES 70

static int16_t data[MAX_ITEMS * MAX_FEATURES];
static int16_t labels[MAX_ITEMS];
static uint64_t ranking[MAX_ITEMS];
static int16_t query_copy[65535];

static uint64_t ref_distance2(const int16_t *a, const int16_t *b, uint32_t n) {
    uint64_t sum = 0;
    for (uint32_t j = 0; j < n; j++) {
        const int64_t d = (int64_t)a[j] - (int64_t)b[j];
        sum += (uint64_t)(d * d);
    }
    return sum;
}

/* order[r] = the item ranked r: by distance, then by index. */
static void ref_ranking(const int16_t *rows, uint32_t n, uint32_t f, const int16_t *query,
    uint32_t *order, uint64_t *dist) {
    static uint64_t d[MAX_ITEMS];
    static unsigned char taken[MAX_ITEMS];
    for (uint32_t i = 0; i < n; i++) {
        d[i] = ref_distance2(rows + (size_t)i * f, query, f);
        taken[i] = 0;
    }
    for (uint32_t r = 0; r < n; r++) {
        uint32_t best = n;
        for (uint32_t i = 0; i < n; i++) {
            if (!taken[i] && (best == n || d[i] < d[best])) {
                best = i;
            }
        }
        taken[best] = 1;
        order[r] = best;
        dist[r] = d[best];
    }
}

static int16_t ref_vote(const int16_t *labs, const uint32_t *order, uint32_t k) {
    static uint32_t votes[65536];
    memset(votes, 0, sizeof(votes));
    for (uint32_t r = 0; r < k; r++) {
        votes[labs[order[r]] + 32768]++;
    }
    uint32_t best = 0;
    for (uint32_t v = 1; v < 65536; v++) {
        if (votes[v] > votes[best]) {
            best = v;
        }
    }
    return (int16_t)((int32_t)best - 32768);
}

static void test_init_limits(void) {
    eml_neighbors m;
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 10, 3, 3) == EML_OK, "valid");
    CHECK(m.n_items == 0 && m.n_ranked == 0, "starts empty");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 0, 3, 1) == EML_ERR_VALUE, "no items");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 10, 0, 1) == EML_ERR_VALUE, "no features");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 10, 3, 0) == EML_ERR_VALUE, "k 0");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 10, 3, 11) == EML_ERR_VALUE, "k > items");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 10, 3, 10) == EML_OK, "k = items");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 65536, 1, 1) == EML_ERR_VALUE, "items limit");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 65535, 1, 1) == EML_OK, "items at limit");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 1, 65536, 1) == EML_ERR_VALUE, "features limit");
    CHECK(eml_neighbors_init(&m, data, labels, query_copy, ranking, 1, 65535, 1) == EML_OK, "features at limit");
}

static void test_add_and_items(void) {
    eml_neighbors m;
    eml_neighbors_init(&m, data, labels, query_copy, ranking, 3, 2, 1);
    const int16_t a[2] = { -32768, 32767 }, b[2] = { 5, -6 };
    uint32_t index = 99;
    int16_t label;
    CHECK(eml_neighbors_predict(&m, a, 2, &label) == EML_ERR_SIZE, "predict with no items");
    CHECK(eml_neighbors_item(&m, 0) == NULL, "no item 0 yet");
    CHECK(eml_neighbors_add(&m, a, 3, 1, &index) == EML_ERR_SIZE && index == 99, "wrong length");
    CHECK(eml_neighbors_add(&m, a, 2, -7, &index) == EML_OK && index == 0, "first");
    CHECK(eml_neighbors_add(&m, b, 2, 7, &index) == EML_OK && index == 1, "second");
    CHECK(eml_neighbors_add(&m, b, 2, 7, &index) == EML_OK && index == 2, "third");
    CHECK(eml_neighbors_add(&m, b, 2, 7, &index) == EML_ERR_CAPACITY && index == 2, "full");
    const int16_t *row = eml_neighbors_item(&m, 0);
    CHECK(row != NULL && row[0] == -32768 && row[1] == 32767, "item 0 kept");
    CHECK(m.labels[0] == -7 && m.labels[2] == 7, "labels kept");
    CHECK(eml_neighbors_item(&m, 3) == NULL, "no item 3");
    CHECK(eml_neighbors_predict(&m, a, 1, &label) == EML_ERR_SIZE, "query length");
    CHECK(eml_neighbors_predict(&m, a, 2, &label) == EML_OK && label == -7, "nearest is itself");
}

/* Predictions, and the whole ranking through eml_neighbors_result, against
 * the reference on random models: `spread` bounds the values (small: many
 * equal distances and ties between labels; full range: sums past 2^32). */
static void check_random(unsigned *seed, uint32_t spread, uint32_t n_labels, const char *what) {
    const uint32_t n = 1 + check_rand(seed) % MAX_ITEMS;
    const uint32_t f = 1 + check_rand(seed) % MAX_FEATURES;
    const uint32_t k = 1 + check_rand(seed) % (n < 12 ? n : 12);
    const uint32_t capacity = n + check_rand(seed) % (MAX_ITEMS - n + 1);
    eml_neighbors m;
    int ok = eml_neighbors_init(&m, data, labels, query_copy, ranking, capacity, f, k) == EML_OK;
    static int16_t rows[MAX_ITEMS * MAX_FEATURES], query[MAX_FEATURES];
    for (uint32_t i = 0; i < n * f; i++) {
        rows[i] = (int16_t)((int32_t)(check_rand(seed) % spread) - (int32_t)(spread / 2));
    }
    static int16_t labs[MAX_ITEMS];
    for (uint32_t i = 0; i < n; i++) {
        labs[i] = (int16_t)((int32_t)(check_rand(seed) % n_labels) - 3);
        uint32_t index;
        ok &= eml_neighbors_add(&m, rows + i * f, f, labs[i], &index) == EML_OK && index == i;
    }
    for (int q = 0; q < 4; q++) {
        for (uint32_t j = 0; j < f; j++) {
            query[j] = (int16_t)((int32_t)(check_rand(seed) % spread) - (int32_t)(spread / 2));
        }
        if (q == 2) {   /* any int16: a query of wide values for a narrow model */
            for (uint32_t j = 0; j < f; j++) {
                query[j] = (int16_t)(check_rand(seed) & 0xffff);
            }
        }
        if (q == 3) {
            memcpy(query, rows + (n - 1) * f, f * sizeof(int16_t)); /* an item itself */
        }
        static uint32_t order[MAX_ITEMS];
        static uint64_t dist[MAX_ITEMS];
        ref_ranking(rows, n, f, query, order, dist);
        int16_t label = 0;
        ok &= eml_neighbors_predict(&m, query, f, &label) == EML_OK;
        ok &= label == ref_vote(labs, order, k);
        /* ask for ranks in a shuffled order: the first past k sorts the rest */
        const uint32_t start = check_rand(seed) % n;
        for (uint32_t r = 0; r < n; r++) {
            const uint32_t rank = (start + r) % n;
            uint32_t index = 0;
            uint64_t d2 = 0;
            ok &= eml_neighbors_result(&m, rank, &index, &d2) == EML_OK;
            ok &= index == order[rank] && d2 == dist[rank];
        }
        uint32_t index;
        uint64_t d2;
        ok &= eml_neighbors_result(&m, n, &index, &d2) == EML_ERR_SIZE;
    }
    CHECK(ok, what);
}

static void test_random_models(void) {
    unsigned seed = 12345;
    for (int round = 0; round < 60; round++) {
        check_random(&seed, 65536, 5, "full int16 range, 5 labels");
        check_random(&seed, 5, 3, "values 0..4: equal distances, label ties");
        check_random(&seed, 2, 2, "binary values, 2 labels");
        check_random(&seed, 200, 40, "40 labels from -3");
        check_random(&seed, 2 * EML_NEIGHBORS_NARROW + 1, 4, "narrow values, to the limit");
        check_random(&seed, 2 * EML_NEIGHBORS_NARROW + 3, 4, "a few values past the narrow limit");
    }
}

static void test_largest_distances(void) {
    /* MAX_FEATURES opposite extremes: 70 * 65535^2, past 2^38 */
    eml_neighbors m;
    eml_neighbors_init(&m, data, labels, query_copy, ranking, 3, MAX_FEATURES, 1);
    static int16_t lo[MAX_FEATURES], hi[MAX_FEATURES], mid[MAX_FEATURES];
    for (int j = 0; j < MAX_FEATURES; j++) {
        lo[j] = -32768;
        hi[j] = 32767;
        mid[j] = j == 0 ? 32767 : -32768;
    }
    uint32_t index;
    eml_neighbors_add(&m, hi, MAX_FEATURES, 1, &index);
    eml_neighbors_add(&m, mid, MAX_FEATURES, 2, &index);
    int16_t label;
    CHECK(eml_neighbors_predict(&m, lo, MAX_FEATURES, &label) == EML_OK && label == 2, "nearer extreme");
    uint64_t d2;
    eml_neighbors_result(&m, 1, &index, &d2);
    CHECK(index == 0 && d2 == (uint64_t)MAX_FEATURES * 65535u * 65535u, "exact largest distance");
    eml_neighbors_result(&m, 0, &index, &d2);
    CHECK(index == 1 && d2 == 65535ull * 65535u, "exact one-feature distance");
}

/* The narrow sums at their limit: 8 features at +11585 against 8 at -11585
 * sum to 8 * 23170^2, just below 2^32; one value past the limit, anywhere,
 * moves the model (or the query) to the general loop, and at +-11586 the
 * 8 squares would overflow 32 bits there. */
static void test_narrow_limit(void) {
    static int16_t hi[40], lo[40];
    for (uint32_t f = 1; f <= 40; f++) {
        for (int wide_at = -1; wide_at < 3; wide_at++) {
            eml_neighbors m;
            eml_neighbors_init(&m, data, labels, query_copy, ranking, 3, f, 1);
            const int16_t limit = EML_NEIGHBORS_NARROW + (wide_at == 2);    /* 2: all just past */
            for (uint32_t j = 0; j < f; j++) {
                hi[j] = limit;
                lo[j] = -limit;
            }
            uint32_t index;
            int16_t label;
            uint64_t d2;
            eml_neighbors_add(&m, hi, f, 1, &index);
            int16_t *edited = wide_at == 0 ? hi : lo;
            if (wide_at == 0 || wide_at == 1) {    /* a wide item, or a wide query */
                edited[f / 2] = edited[f / 2] < 0 ? -32768 : 32767;
            }
            if (wide_at == 0) {
                eml_neighbors_add(&m, hi, f, 2, &index);
            }
            int ok = eml_neighbors_predict(&m, lo, f, &label) == EML_OK;
            ok &= eml_neighbors_result(&m, 0, &index, &d2) == EML_OK;
            ok &= d2 == ref_distance2(eml_neighbors_item(&m, index), lo, f);
            if (wide_at < 0 || wide_at == 2) {
                ok &= d2 == (uint64_t)f * (2u * limit) * (2u * limit);
            }
            CHECK(ok, "exact sums at and past the narrow limit");
        }
    }
}

static void test_votes(void) {
    eml_neighbors m;
    eml_neighbors_init(&m, data, labels, query_copy, ranking, 10, 1, 4);
    const int16_t x[6] = { 0, 1, 2, 3, 4, 100 };
    const int16_t y[6] = { 9, 5, 9, 5, 5, -2 };
    uint32_t index;
    for (int i = 0; i < 6; i++) {
        eml_neighbors_add(&m, &x[i], 1, y[i], &index);
    }
    int16_t label, q = 0;
    /* nearest four: 9 5 9 5, a tie: the smaller label */
    CHECK(eml_neighbors_predict(&m, &q, 1, &label) == EML_OK && label == 5, "tie goes to smaller label");
    q = 100;    /* 100 (-2), then 4 3 2: 5 5 9 -> 5 */
    CHECK(eml_neighbors_predict(&m, &q, 1, &label) == EML_OK && label == 5, "majority");
    /* equal distances: 1 and 3 are both 1 away from 2; the earlier item first */
    q = 2;
    eml_neighbors_predict(&m, &q, 1, &label);
    uint64_t d2;
    eml_neighbors_result(&m, 1, &index, &d2);
    CHECK(index == 1 && d2 == 1, "equal distance: earlier item");
    eml_neighbors_result(&m, 2, &index, &d2);
    CHECK(index == 3 && d2 == 1, "equal distance: later item");
    /* adding forgets the ranking */
    eml_neighbors_add(&m, &q, 1, 1, &index);
    CHECK(eml_neighbors_result(&m, 0, &index, &d2) == EML_ERR_SIZE, "no ranking after add");
    /* k above the number of items: all of them vote */
    eml_neighbors_init(&m, data, labels, query_copy, ranking, 10, 1, 10);
    eml_neighbors_add(&m, &x[0], 1, 3, &index);
    eml_neighbors_add(&m, &x[1], 1, -4, &index);
    eml_neighbors_add(&m, &x[5], 1, -4, &index);
    CHECK(eml_neighbors_predict(&m, &q, 1, &label) == EML_OK && label == -4, "fewer items than k");
    CHECK(eml_neighbors_result(&m, 2, &index, &d2) == EML_OK && index == 2, "rank of the farthest");
    CHECK(eml_neighbors_result(&m, 3, &index, &d2) == EML_ERR_SIZE, "no fourth item");
}

static void test_isqrt(void) {
    int ok = 1;
    for (uint64_t r = 0; r < 70000; r++) {
        ok &= eml_neighbors_isqrt(r * r) == r;
        if (r > 0) {
            ok &= eml_neighbors_isqrt(r * r - 1) == r - 1;
        }
    }
    const uint64_t big[] = { 80016, 1ull << 47, (1ull << 48) - 1, 65535ull * 65535u * 65535u,
                             0xffffffffffffffffull };
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        const unsigned __int128 r = eml_neighbors_isqrt(big[i]);
        ok &= r * r <= big[i] && (r + 1) * (r + 1) > big[i];
    }
    ok &= eml_neighbors_isqrt(0xffffffffffffffffull) == 0xffffffffu;
    ok &= eml_neighbors_isqrt(80016) == 282;    /* emlearn's example: (-100,-100,-2) to (100,100,2) */
    CHECK(ok, "isqrt is floor(sqrt)");
}

int main(void) {
    test_init_limits();
    test_add_and_items();
    test_random_models();
    test_largest_distances();
    test_narrow_limit();
    test_votes();
    test_isqrt();
    return check_summary();
}
