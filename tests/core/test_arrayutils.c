/* Host tests for src/core/eml_arrayutils.c. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "eml_arrayutils.h"

static double abs_d(double d) {
    return d < 0.0 ? -d : d;
}

/* The textbook formula in double, as the reference. */
static double map_ref(double x, double in_min, double in_max, double out_min, double out_max) {
    return (x - in_min) * (out_max - out_min) / (in_max - in_min) + out_min;
}

/* Reference rounding: nearest, ties to even, saturating, NaN -> 0. */
static int16_t round_ref(double y) {
    if (y != y) {
        return 0;
    }
    if (y >= 32767.0) {
        return 32767;
    }
    if (y <= -32768.0) {
        return -32768;
    }
    double fl = (double)(int32_t)y;
    if (fl > y) {
        fl -= 1.0;     /* floor for negatives */
    }
    double frac = y - fl;
    int32_t r = (int32_t)fl;
    if (frac > 0.5 || (frac == 0.5 && (r & 1))) {
        r += 1;
    }
    return (int16_t)r;
}

static void test_map_ff(void) {
    float in[101], out[101];
    int ok = 1;
    for (int i = 0; i < 101; i++) {
        in[i] = (float)i * 10.23f;
    }
    CHECK(eml_linear_map_ff(in, out, 101, 0.0f, 1023.0f, 0.0f, 3.3f) == EML_OK, "ff ok");
    for (int i = 0; i < 101; i++) {
        ok &= abs_d(out[i] - map_ref(in[i], 0.0, 1023.0, 0.0, 3.3f)) < 1e-5;
    }
    CHECK(ok, "ff matches double reference (adc counts to volts)");

    /* Reversed output range and in place. */
    ok = 1;
    float buf[5] = { -1.0f, -0.5f, 0.0f, 0.5f, 1.0f };
    CHECK(eml_linear_map_ff(buf, buf, 5, -1.0f, 1.0f, 100.0f, -100.0f) == EML_OK, "ff in place");
    const float want[5] = { 100.0f, 50.0f, 0.0f, -50.0f, -100.0f };
    for (int i = 0; i < 5; i++) {
        ok &= abs_d(buf[i] - want[i]) < 1e-4;
    }
    CHECK(ok, "ff in place with reversed range");

    /* Extrapolation outside the input range is not clamped. */
    float x = 2.0f, y;
    CHECK(eml_linear_map_ff(&x, &y, 1, 0.0f, 1.0f, 10.0f, 20.0f) == EML_OK, "ff extrapolate");
    CHECK(abs_d(y - 30.0) < 1e-5, "ff extrapolates linearly");

    float nan_in = NAN, nan_out = 0.0f;
    CHECK(eml_linear_map_ff(&nan_in, &nan_out, 1, 0.0f, 1.0f, 0.0f, 2.0f) == EML_OK, "ff nan input");
    CHECK(nan_out != nan_out, "ff passes NaN through");
}

static void test_map_fh(void) {
    float in[200];
    int16_t out[200];
    int ok = 1;
    unsigned seed = 99;
    for (int i = 0; i < 200; i++) {
        in[i] = (float)((int)(check_rand(&seed) % 20001) - 10000) / 10000.0f;
    }
    CHECK(eml_linear_map_fh(in, out, 200, -1.0f, 1.0f, -1000.0f, 1000.0f) == EML_OK, "fh ok");
    for (int i = 0; i < 200; i++) {
        double ref = map_ref(in[i], -1.0, 1.0, -1000.0, 1000.0);
        ok &= abs_d(out[i] - ref) <= 0.5 + 1e-3;
    }
    CHECK(ok, "fh within rounding of double reference");

    /* Ties to even: scale 0.5 and offset 0 are exact. */
    const float ties[8] = { 1.0f, 3.0f, 5.0f, -1.0f, -3.0f, -5.0f, 2.0f, 7.0f };
    int16_t t[8];
    CHECK(eml_linear_map_fh(ties, t, 8, 0.0f, 2.0f, 0.0f, 1.0f) == EML_OK, "fh ties");
    CHECK(t[0] == 0 && t[1] == 2 && t[2] == 2, "fh positive ties to even");
    CHECK(t[3] == 0 && t[4] == -2 && t[5] == -2, "fh negative ties to even");
    CHECK(t[6] == 1 && t[7] == 4, "fh exact and 3.5 -> 4");

    /* Saturation at both rails, and NaN -> 0. */
    const float big[5] = { 1.0f, -1.0f, 0.5f, NAN, INFINITY };
    int16_t s[5];
    CHECK(eml_linear_map_fh(big, s, 5, -1.0f, 1.0f, -40000.0f, 40000.0f) == EML_OK, "fh saturate");
    CHECK(s[0] == 32767 && s[1] == -32768, "fh saturates both rails");
    CHECK(s[2] == 20000, "fh in range");
    CHECK(s[3] == 0, "fh NaN -> 0");
    CHECK(s[4] == 32767, "fh +Inf saturates");
}

static void test_map_hf(void) {
    int16_t in[7] = { -32768, -16384, -1, 0, 1, 16384, 32767 };
    float out[7];
    int ok = 1;
    CHECK(eml_linear_map_hf(in, out, 7, -32768.0f, 32767.0f, -1.0f, 1.0f) == EML_OK, "hf ok");
    for (int i = 0; i < 7; i++) {
        ok &= abs_d(out[i] - map_ref(in[i], -32768.0, 32767.0, -1.0, 1.0)) < 1e-6;
    }
    CHECK(ok, "hf matches double reference");
    CHECK(abs_d(out[0] + 1.0) < 1e-6 && abs_d(out[6] - 1.0) < 1e-6, "hf endpoints map to bounds");

    /* Accelerometer: +-2 g full scale over int16 to m/s^2. */
    int16_t acc[3] = { 16384, -8192, 0 };
    float ms2[3];
    CHECK(eml_linear_map_hf(acc, ms2, 3, -32768.0f, 32768.0f, -19.6133f, 19.6133f) == EML_OK, "hf acc");
    CHECK(abs_d(ms2[0] - 9.80665) < 1e-4 && abs_d(ms2[1] + 4.903325) < 1e-4 && abs_d(ms2[2]) < 1e-6,
        "hf accelerometer scaling");
}

static void test_map_hh(void) {
    int16_t in[400], out[400];
    int ok = 1;
    unsigned seed = 5;
    for (int i = 0; i < 400; i++) {
        in[i] = (int16_t)((int)(check_rand(&seed) % 65536) - 32768);
    }
    CHECK(eml_linear_map_hh(in, out, 400, -32768.0f, 32767.0f, 0.0f, 1000.0f) == EML_OK, "hh ok");
    for (int i = 0; i < 400; i++) {
        double ref = map_ref(in[i], -32768.0, 32767.0, 0.0, 1000.0);
        ok &= abs_d(out[i] - ref) <= 0.5 + 1e-3;
        /* Near ties float and double may round differently. */
        ok &= out[i] == round_ref(ref) || abs_d(abs_d(ref - out[i]) - 0.5) < 1e-3;
    }
    CHECK(ok, "hh rounds double reference to nearest");

    /* In place, saturating both ways: y = 4x. */
    int16_t buf[6] = { 8191, 8192, -8192, -8193, 3, -3 };
    CHECK(eml_linear_map_hh(buf, buf, 6, 0.0f, 1.0f, 0.0f, 4.0f) == EML_OK, "hh in place");
    CHECK(buf[0] == 32764 && buf[1] == 32767, "hh saturates high");
    CHECK(buf[2] == -32768 && buf[3] == -32768, "hh saturates low");
    CHECK(buf[4] == 12 && buf[5] == -12, "hh small values exact");

    /* Ties: y = x / 2. */
    int16_t ties[6] = { 1, 3, 5, -1, -3, -5 };
    CHECK(eml_linear_map_hh(ties, ties, 6, 0.0f, 2.0f, 0.0f, 1.0f) == EML_OK, "hh ties");
    CHECK(ties[0] == 0 && ties[1] == 2 && ties[2] == 2, "hh positive ties to even");
    CHECK(ties[3] == 0 && ties[4] == -2 && ties[5] == -2, "hh negative ties to even");
}

static void test_map_errors(void) {
    float f = 1.0f, fo = 7.0f;
    int16_t h = 1, ho = 7;
    CHECK(eml_linear_map_ff(&f, &fo, 1, 3.0f, 3.0f, 0.0f, 1.0f) == EML_ERR_VALUE, "ff in_min == in_max");
    CHECK(eml_linear_map_fh(&f, &ho, 1, 3.0f, 3.0f, 0.0f, 1.0f) == EML_ERR_VALUE, "fh in_min == in_max");
    CHECK(eml_linear_map_hf(&h, &fo, 1, 3.0f, 3.0f, 0.0f, 1.0f) == EML_ERR_VALUE, "hf in_min == in_max");
    CHECK(eml_linear_map_hh(&h, &ho, 1, 3.0f, 3.0f, 0.0f, 1.0f) == EML_ERR_VALUE, "hh in_min == in_max");
    CHECK(fo == 7.0f && ho == 7, "nothing written on error");
    CHECK(eml_linear_map_ff(&f, &fo, 1, NAN, 1.0f, 0.0f, 1.0f) == EML_ERR_VALUE, "NaN in_min");
    CHECK(eml_linear_map_ff(&f, &fo, 1, 0.0f, INFINITY, 0.0f, 1.0f) == EML_ERR_VALUE, "Inf in_max");
    CHECK(eml_linear_map_hh(&h, &ho, 1, 0.0f, 1.0f, -INFINITY, 1.0f) == EML_ERR_VALUE, "-Inf out_min");
    CHECK(eml_linear_map_hf(&h, &fo, 1, 0.0f, 1.0f, 0.0f, NAN) == EML_ERR_VALUE, "NaN out_max");
    CHECK(eml_linear_map_ff(&f, &fo, 1, -3e38f, 3e38f, 0.0f, 1.0f) == EML_ERR_VALUE, "overflowing input span");
    CHECK(eml_linear_map_ff(&f, &fo, 1, 0.0f, 1e-30f, 0.0f, 1e30f) == EML_ERR_VALUE, "overflowing scale");
    CHECK(eml_linear_map_ff(&f, &fo, 0, 0.0f, 1.0f, 0.0f, 1.0f) == EML_OK, "n == 0 is fine");
    CHECK(fo == 7.0f, "n == 0 writes nothing");
}

static void test_bytes_needed(void) {
    size_t need = 123;
    CHECK(eml_int16_bytes_needed(0, 5, 3, &need) == EML_OK && need == 0, "no outputs need no bytes");
    CHECK(eml_int16_bytes_needed(1, 0, 1, &need) == EML_OK && need == 2, "one sample");
    CHECK(eml_int16_bytes_needed(4, 0, 1, &need) == EML_OK && need == 8, "contiguous");
    CHECK(eml_int16_bytes_needed(4, 2, 3, &need) == EML_OK && need == 2 * (2 + 3 * 3 + 1), "z of 4 xyz frames");
    CHECK(need == 24, "4 xyz frames are 24 bytes");
    CHECK(eml_int16_bytes_needed(4, 0, 0, &need) == EML_ERR_VALUE, "stride 0");
    CHECK(eml_int16_bytes_needed(SIZE_MAX / 2, 0, 3, &need) == EML_ERR_SIZE, "overflow in stride");
    CHECK(eml_int16_bytes_needed(1, SIZE_MAX / 2, 1, &need) == EML_ERR_SIZE, "overflow in doubling");
    CHECK(eml_int16_bytes_needed(2, SIZE_MAX - 1, 1, &need) == EML_ERR_SIZE, "overflow in start");
    CHECK(eml_int16_bytes_needed(1, SIZE_MAX / 2 - 1, 1, &need) == EML_OK && need == SIZE_MAX - 1,
        "largest representable");
}

static void test_from_bytes(void) {
    /* Three interleaved little-endian xyz frames: x = 1, -2, 0x7fff; y = 0x1234, -32768, 256;
     * z = 100, -100, 0x00ff. */
    const uint8_t le[18] = {
        0x01, 0x00, 0x34, 0x12, 0x64, 0x00,
        0xfe, 0xff, 0x00, 0x80, 0x9c, 0xff,
        0xff, 0x7f, 0x00, 0x01, 0xff, 0x00,
    };
    int16_t h[3];
    float f[3];

    CHECK(eml_int16_from_bytes_h(le, h, 3, 0, 3, 0, 1.0f, 0.0f) == EML_OK, "x channel");
    CHECK(h[0] == 1 && h[1] == -2 && h[2] == 32767, "little-endian x channel");
    CHECK(eml_int16_from_bytes_h(le, h, 3, 1, 3, 0, 1.0f, 0.0f) == EML_OK, "y channel");
    CHECK(h[0] == 0x1234 && h[1] == -32768 && h[2] == 256, "little-endian y channel");
    CHECK(eml_int16_from_bytes_h(le, h, 3, 2, 3, 0, 1.0f, 0.0f) == EML_OK, "z channel");
    CHECK(h[0] == 100 && h[1] == -100 && h[2] == 255, "little-endian z channel");

    /* Same bytes read big-endian. */
    CHECK(eml_int16_from_bytes_h(le, h, 3, 0, 3, 1, 1.0f, 0.0f) == EML_OK, "big-endian");
    CHECK(h[0] == 0x0100 && h[1] == -257 && h[2] == -129, "big-endian x channel");
    const uint8_t be[4] = { 0x80, 0x00, 0x12, 0x34 };
    CHECK(eml_int16_from_bytes_h(be, h, 2, 0, 1, 1, 1.0f, 0.0f) == EML_OK && h[0] == -32768 && h[1] == 0x1234,
        "big-endian contiguous");

    /* Float output with scale and offset. */
    CHECK(eml_int16_from_bytes_f(le, f, 3, 2, 3, 0, 0.5f, 10.0f) == EML_OK, "float scaled");
    CHECK(f[0] == 60.0f && f[1] == -40.0f && f[2] == 137.5f, "float scale and offset");
    CHECK(eml_int16_from_bytes_f(le, f, 3, 1, 3, 0, 1.0f, 0.0f) == EML_OK, "float identity");
    CHECK(f[0] == 4660.0f && f[1] == -32768.0f && f[2] == 256.0f, "float identity values");

    /* Int16 output with scale/offset: rounding and saturation. */
    CHECK(eml_int16_from_bytes_h(le, h, 3, 2, 3, 0, 0.5f, 0.0f) == EML_OK, "int16 scaled");
    CHECK(h[0] == 50 && h[1] == -50 && h[2] == 128, "127.5 ties to 128");
    CHECK(eml_int16_from_bytes_h(le, h, 3, 0, 3, 0, 2.0f, 1.0f) == EML_OK, "int16 saturating");
    CHECK(h[0] == 3 && h[1] == -3 && h[2] == 32767, "saturates high");
    CHECK(eml_int16_from_bytes_h(le, h, 3, 1, 3, 0, 1.0f, -1.0f) == EML_OK, "offset only");
    CHECK(h[0] == 0x1233 && h[1] == -32768 && h[2] == 255, "offset saturates low");

    /* Every int16 value survives the identity path unchanged, both byte orders. */
    static uint8_t all_le[65536 * 2], all_be[65536 * 2];
    static int16_t back_le[65536], back_be[65536];
    for (uint32_t i = 0; i < 65536; i++) {
        all_le[2 * i] = (uint8_t)i;
        all_le[2 * i + 1] = (uint8_t)(i >> 8);
        all_be[2 * i] = (uint8_t)(i >> 8);
        all_be[2 * i + 1] = (uint8_t)i;
    }
    CHECK(eml_int16_from_bytes_h(all_le, back_le, 65536, 0, 1, 0, 1.0f, 0.0f) == EML_OK, "all le");
    CHECK(eml_int16_from_bytes_h(all_be, back_be, 65536, 0, 1, 1, 1.0f, 0.0f) == EML_OK, "all be");
    int ok = 1;
    for (uint32_t i = 0; i < 65536; i++) {
        int32_t want = i < 32768 ? (int32_t)i : (int32_t)i - 65536;
        ok &= back_le[i] == want && back_be[i] == want;
    }
    CHECK(ok, "identity copy covers every int16 value");

    /* Errors; nothing written. */
    h[0] = 7;
    CHECK(eml_int16_from_bytes_h(le, h, 3, 0, 0, 0, 1.0f, 0.0f) == EML_ERR_VALUE, "stride 0");
    CHECK(eml_int16_from_bytes_f(le, f, 3, 0, 1, 0, NAN, 0.0f) == EML_ERR_VALUE, "NaN scale");
    CHECK(eml_int16_from_bytes_h(le, h, 3, 0, 1, 0, 1.0f, INFINITY) == EML_ERR_VALUE, "Inf offset");
    CHECK(h[0] == 7, "nothing written on error");
    CHECK(eml_int16_from_bytes_h(le, h, 0, 0, 1, 0, 1.0f, 0.0f) == EML_OK && h[0] == 7, "n_out 0");
}

/* ---- the exact integer maps of FPU-less targets (EML_ARRAYUTILS_EXACT) */

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* What the maps must give for int16 x: with the exact path, x * scale +
 * offset rounded once (fmaf, correctly rounded); without it, or outside its
 * domain, the float multiply and add, rounded twice (-std=c99 contracts
 * nothing into an fma). */
static float expected_map(float x, float scale, float offset, int exact) {
    if (exact) {
        return fmaf(x, scale, offset);
    }
    volatile float product = x * scale;
    return product + offset;
}

/* The int16 nearest x * scale + offset, ties to even, saturated (NaN: 0).
 * The product is exact in long double (48 bits); the sum is split into
 * sum + err exactly (TwoSum), and err, which is below half an ulp of sum,
 * decides only where sum is a tie itself. */
static int16_t expected_int16(float x, float scale, float offset) {
    const long double xs = (long double)x * scale;
    const long double sum = xs + offset;
    if (sum != sum) {
        return 0;
    }
    const long double bb = sum - xs;
    const long double err = (xs - (sum - bb)) + ((long double)offset - bb);
    const long double fl = floorl(sum);
    long double r = rintl(sum);
    /* fl + 0.5 is exact; sum - fl might round to 0.5 */
    if (fl + 0.5L == sum && err != 0.0L) {
        r = err > 0.0L ? fl + 1.0L : fl;
    }
    return r >= 32767.0L ? 32767 : r <= -32768.0L ? -32768 : (int16_t)r;
}

/* Which exact paths the build takes for these coefficients: EXACT_F for
 * float results, EXACT_H for int16 results (none without them). */
enum { EXACT_F = 1, EXACT_H = 2 };

static int exact_paths(float scale, float offset) {
#if EML_ARRAYUTILS_EXACT
    eml_exact_to_float af;
    eml_exact_to_int16 ah;
    return (eml_exact_to_float_init(&af, scale, offset) == EML_OK ? EXACT_F : 0)
        | (eml_exact_to_int16_init(&ah, scale, offset) == EML_OK ? EXACT_H : 0);
#else
    (void)scale, (void)offset;
    return 0;
#endif
}

static int16_t expected_map_int16(float x, float scale, float offset, int exact) {
    return exact ? expected_int16(x, scale, offset) : round_ref(expected_map(x, scale, offset, 0));
}

static int16_t all_x[65536];
static uint8_t all_x_le[2 * 65536];
static float all_f[65536];
static int16_t all_h[65536];

/* Every int16 through int16_from_bytes_f and _h, bit for bit against
 * expected_map and expected_map_int16. Returns exact_paths. */
static int check_all_int16(float scale, float offset, const char *what) {
    const int paths = exact_paths(scale, offset);
    const int exact = (paths & EXACT_F) != 0;
    const int exact_h = (paths & EXACT_H) != 0;
    int ok_f = eml_int16_from_bytes_f(all_x_le, all_f, 65536, 0, 1, 0, scale, offset) == EML_OK;
    int ok_h = eml_int16_from_bytes_h(all_x_le, all_h, 65536, 0, 1, 0, scale, offset) == EML_OK;
    for (int32_t i = 0; i < 65536 && ok_f && ok_h; i++) {
        const float want = expected_map(all_x[i], scale, offset, exact);
        const int16_t want_h = expected_map_int16(all_x[i], scale, offset, exact_h);
        if (bits_of(all_f[i]) != bits_of(want)) {
            printf("  x %d scale %a offset %a: %a, want %a\n", all_x[i], scale, offset, all_f[i], want);
            ok_f = 0;
        }
        if (all_h[i] != want_h) {
            printf("  x %d scale %a offset %a: %d, want %d\n", all_x[i], scale, offset, all_h[i], want_h);
            ok_h = 0;
        }
    }
    CHECK(ok_f, what);
    CHECK(ok_h, what);
    return paths;
}

static float pow2f(int e) {
    return ldexpf(1.0f, e);
}

static void test_exact_int16(void) {
    for (int32_t i = 0; i < 65536; i++) {
        all_x[i] = (int16_t)(i - 32768);
        all_x_le[2 * i] = (uint8_t)((uint32_t)i & 0xffu);
        all_x_le[2 * i + 1] = (uint8_t)(((uint32_t)i >> 8) ^ 0x80u);
    }
    /* Coefficients and the exact paths they take: sensor-like ones take
     * both; the others probe the edges of each path's domain. */
    const float s = 4.0f / 65535.0f;
    const int both = EXACT_F | EXACT_H;
    const struct { float scale, offset; int paths; } cases[] = {
        { 0.061e-3f, 0.0f, both },                  /* LSM6DS counts to g */
        { s, -2.0f + 32768.0f * s, both },          /* linear_map(-32768, 32767, -2, 2) */
        { 0.5f, 3.0f, both }, { 1.0f, 0.5f, both }, /* every x a tie for int16 results */
        { -1.0f, -0.5f, both }, { 10.0f, -7.0f, both }, { 1e-3f, 0.5f, both },
        { 9.80665f / 16384.0f, 0.0f, both },
        { -0.25f, -0.0f, both }, { 0.25f, -0.0f, both }, { -0.25f, 0.0f, both },   /* signs of zero */
        { 1.0f + 0x1p-23f, 0.0f, both }, { 1.0f, 0x1p-20f, both }, { 0x1p-30f, 0x3p8f, both },
        { 0x1p-100f, 0.0f, both }, { 0xffffffp-20f, -0xffffffp-25f, both },
        { 3.0f, 32768.0f * 3.0f, both },            /* exact cancellation at x = -32768 */
        { 1.0f, 0x1p20f, both },                    /* int16: the largest offset */
        { 0x1p64f, 0x1p60f, EXACT_F },              /* float: the largest lsb */
        { 0x1p-30f, 0xffffffp8f, EXACT_F },         /* float: the widest offset, 2^62 at the lsb */
        { 1.0f, 0x3p19f, EXACT_F },                 /* int16: offset over 2^20 */
        { 0.5f, 0x1p-40f, EXACT_H },                /* float: offset 39 bits below the scale */
        { 1.0f, 0x1p-40f, EXACT_H }, { 0x1p-30f, 0x1p20f, EXACT_H },
        { 0x1p-127f, 0.0f, EXACT_H }, { 0x1p65f, 0.0f, EXACT_H },   /* float: results too small, */
        { 3e38f, 1.0f, EXACT_H }, { 0x1p64f, 1.0f, EXACT_H },       /* too large, too wide */
        { 1.0f, 0x1p-41f, 0 }, { 0x1p-30f, 0xffffffp9f, 0 },       /* offset too fine or far */
        { 0x1p-120f, 0x1p-127f, 0 }, { 0.0f, 1.0f, 0 }, { -0.0f, -0.0f, 0 },
    };
    int paths_ok = 1;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int paths = check_all_int16(cases[k].scale, cases[k].offset, "coefficients, every int16");
        if (paths != (EML_ARRAYUTILS_EXACT ? cases[k].paths : 0)) {
            printf("  scale %a offset %a: paths %d\n", cases[k].scale, cases[k].offset, paths);
            paths_ok = 0;
        }
    }
    CHECK(paths_ok, "each set of coefficients takes the exact paths it should");

    /* Random coefficients over the exponents sensors use and beyond. */
    unsigned seed = 2024;
    int taken_f = 0, taken_h = 0;
    for (int k = 0; k < 60; k++) {
        const float sm = (float)(check_rand(&seed) & 0xffffffu) * 0x1p-24f + 0.5f;
        const float om = (float)(check_rand(&seed) & 0xffffffu) * 0x1p-24f + 0.5f;
        const float scale = (check_rand(&seed) & 1u ? -sm : sm) * pow2f((int)(check_rand(&seed) % 50u) - 40);
        float offset = (check_rand(&seed) & 1u ? -om : om) * pow2f((int)(check_rand(&seed) % 70u) - 45);
        if (k % 10 == 0) {
            offset = 0.0f;
        }
        const int paths = check_all_int16(scale, offset, "random coefficients, every int16");
        taken_f += (paths & EXACT_F) != 0;
        taken_h += (paths & EXACT_H) != 0;
    }
    CHECK(EML_ARRAYUTILS_EXACT ? taken_f >= 30 && taken_h >= 20 : taken_f + taken_h == 0,
        "most random coefficients take the exact paths");

    /* linear_map with int16 inputs takes the same path as from its bytes. */
    static int16_t hh[65536];
    static float hf[65536];
    CHECK(eml_linear_map_hf(all_x, hf, 65536, -32768.0f, 32767.0f, -2.0f, 2.0f) == EML_OK, "hf all");
    CHECK(eml_int16_from_bytes_f(all_x_le, all_f, 65536, 0, 1, 0, s, -2.0f + 32768.0f * s) == EML_OK,
        "bytes all");
    CHECK(memcmp(hf, all_f, sizeof hf) == 0, "linear_map_hf equals int16_from_bytes_f");
    memcpy(hh, all_x, sizeof hh);
    CHECK(eml_linear_map_hh(hh, hh, 65536, -32768.0f, 32767.0f, -1000.0f, 1000.0f) == EML_OK, "hh all");
    const float s2 = 2000.0f / 65535.0f;
    CHECK(eml_int16_from_bytes_h(all_x_le, all_h, 65536, 0, 1, 0, s2, -1000.0f + 32768.0f * s2) == EML_OK,
        "bytes_h all");
    CHECK(memcmp(hh, all_h, sizeof hh) == 0, "linear_map_hh in place equals int16_from_bytes_h");
}

/* linear_map_fh, whose exact path takes floats apart on their bits: every
 * kind of float, including values next to each .5 of the output. */
static void test_exact_float_inputs(void) {
    static float in[21000];
    static int16_t out[21000];
    const float ranges[][4] = {
        { -4.0f, 4.0f, -32768.0f, 32767.0f }, { 0.0f, 1.0f, 0.0f, 1000.0f },
        { -1.0f, 1.0f, -32768.0f, 32767.0f }, { -2.0f, 2.0f, 100.0f, -100.0f },
        { 0.0f, 3.3f, 0.0f, 4095.0f }, { -1e-3f, 1e-3f, -32768.0f, 32767.0f },
        { -1e6f, 1e6f, -32768.0f, 32767.0f }, { 0.0f, 1.0f, 0.5f, 1.5f },
    };
    int taken = 0;
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        const float *g = ranges[r];
        /* the core's coefficients, computed as linear_coefficients does */
        const float scale = (g[3] - g[2]) / (g[1] - g[0]);
        const float offset = g[2] - g[0] * scale;
        unsigned seed = 77 + (unsigned)r;
        size_t n = 0;
        for (int32_t i = -32768; i < 32768; i += 8) {
            in[n++] = (float)i / 8.0f * (g[1] - g[0]) / 8192.0f;     /* fractions and ties */
        }
        while (n < 14000) {                        /* any sign, mantissa and exponent near the range */
            const uint32_t e = 127u + check_rand(&seed) % 52u - 30u;
            const uint32_t bits = (check_rand(&seed) & 0x807fffffu) | (e << 23);
            memcpy(&in[n++], &bits, 4);
        }
        for (int32_t k = -40000; n < 19980 && k < 40000; k += 13) {  /* around each .5 */
            const float x = ((float)k + 0.5f - offset) / scale;
            in[n++] = nextafterf(x, -INFINITY);
            in[n++] = x;
            in[n++] = nextafterf(x, INFINITY);
        }
        const float special[] = { 0.0f, -0.0f, 0x1p-149f, -0x1p-149f, 0x1p-126f, FLT_MAX, -FLT_MAX,
            INFINITY, -INFINITY, NAN, 1e30f, -1e30f, 65536.0f, -65536.0f };
        for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
            in[n++] = special[k];
        }
        /* Every power of two down to the subnormals, with one and with 24
         * significant bits: every product shift, and products whose only
         * bits below 2^-40 decide a tie (0.5 + 2^-41 rounds up). */
        for (int k = -149; k <= 20 && n + 4 <= sizeof in / sizeof in[0]; k++) {
            in[n++] = pow2f(k);
            in[n++] = -pow2f(k);
            in[n++] = 0x1.fffffep0f * pow2f(k);
            in[n++] = -0x1.fffffep0f * pow2f(k);
        }
        const int exact = (exact_paths(scale, offset) & EXACT_H) != 0;
        taken += exact;
        int ok = eml_linear_map_fh(in, out, n, g[0], g[1], g[2], g[3]) == EML_OK;
        for (size_t i = 0; i < n && ok; i++) {
            const int16_t want = expected_map_int16(in[i], scale, offset, exact);
            if (out[i] != want) {
                printf("  x %a scale %a offset %a: %d, want %d\n", in[i], scale, offset, out[i], want);
                ok = 0;
            }
        }
        CHECK(ok, "linear_map_fh: every kind of float input");
    }
    const int n_ranges = (int)(sizeof ranges / sizeof ranges[0]);
    CHECK(taken == (EML_ARRAYUTILS_EXACT ? n_ranges : 0), "linear_map_fh takes the exact path");
}

int main(void) {
    test_map_ff();
    test_map_fh();
    test_map_hf();
    test_map_hh();
    test_map_errors();
    test_bytes_needed();
    test_from_bytes();
    test_exact_int16();
    test_exact_float_inputs();
    return check_summary();
}
