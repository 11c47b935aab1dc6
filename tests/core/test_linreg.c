/* Host tests of the linear regression core (src/core/eml_linreg.c):
 * predictions and steps against double-precision references, coordinate
 * descent against the optimality (KKT) conditions of the elastic-net
 * objective and against least squares, train()'s stopping rules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eml_linreg.h"
#include "eml_wide_sum.h"

#define MAX_FEATURES 8
#define MAX_SAMPLES 200

static float X[MAX_SAMPLES * MAX_FEATURES];
static float y[MAX_SAMPLES];
static float weights[MAX_FEATURES];
static uint64_t scratch[EML_LINREG_SCRATCH_WORDS(MAX_FEATURES)];
static float work[EML_LINREG_FIT_WORK(MAX_SAMPLES, MAX_FEATURES)];

static float uniform(unsigned *state) {
    return (float)(check_rand(state) % 20001u) / 10000.0f - 1.0f;
}

/* n rows of p features with different offsets and scales, one column
 * nearly a copy of another, and y a noisy linear function of some of
 * them (the true weights of the others are 0, for the L1 term to find). */
static void make_data(unsigned seed, uint32_t n, uint32_t p) {
    unsigned state = seed;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < p; j++) {
            X[i * p + j] = (float)(j + 1) * uniform(&state) + (float)j * 3.0f;
        }
        if (p > 2) {
            X[i * p + 2] = X[i * p + 1] + 0.1f * uniform(&state);
        }
        float target = 5.0f + 0.3f * uniform(&state);
        for (uint32_t j = 0; j < p; j += 2) {
            target += (float)(j + 1) * 0.5f * X[i * p + j];
        }
        y[i] = target;
    }
}

static eml_linreg new_model(uint32_t p, float alpha, float l1_ratio, float rate) {
    eml_linreg model;
    eml_status status = eml_linreg_init(&model, weights, scratch, p, alpha, l1_ratio, rate);
    CHECK(status == EML_OK, "init");
    return model;
}

static void test_init(void) {
    eml_linreg model;
    const float inf = INFINITY;
    CHECK(eml_linreg_init(&model, weights, scratch, 0, 0.1f, 0.5f, 0.01f) == EML_ERR_VALUE, "no features");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, -0.1f, 0.5f, 0.01f) == EML_ERR_VALUE, "alpha < 0");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, inf, 0.5f, 0.01f) == EML_ERR_VALUE, "alpha inf");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, NAN, 0.5f, 0.01f) == EML_ERR_VALUE, "alpha nan");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, 0.1f, -0.01f, 0.01f) == EML_ERR_VALUE, "l1 < 0");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, 0.1f, 1.01f, 0.01f) == EML_ERR_VALUE, "l1 > 1");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, 0.1f, NAN, 0.01f) == EML_ERR_VALUE, "l1 nan");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, 0.1f, 0.5f, -1.0f) == EML_ERR_VALUE, "rate < 0");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, 0.1f, 0.5f, NAN) == EML_ERR_VALUE, "rate nan");
    weights[0] = 7.0f;
    CHECK(eml_linreg_init(&model, weights, scratch, 3, 0.0f, 1.0f, 0.0f) == EML_OK, "limits accepted");
    CHECK(weights[0] == 0.0f && model.bias == 0.0f, "init zeroes the weights");
    CHECK(eml_linreg_init(&model, weights, scratch, 3, 0.0f, -0.0f, 0.0f) == EML_OK, "-0 accepted");
}

static void test_predict_and_mse(void) {
    const uint32_t n = 50, p = 5;
    make_data(11, n, p);
    eml_linreg model = new_model(p, 0.0f, 0.0f, 0.1f);
    for (uint32_t j = 0; j < p; j++) {
        weights[j] = 0.25f * (float)j - 0.4f;
    }
    model.bias = 1.5f;
    float out[50];
    eml_linreg_predict_rows(&model, X, n, out);
    double sum2 = 0.0;
    int same = 1;
    for (uint32_t i = 0; i < n; i++) {
        double expected = model.bias;
        for (uint32_t j = 0; j < p; j++) {
            expected += (double)weights[j] * X[i * p + j];
        }
        same &= fabs(out[i] - expected) <= 1e-5 * (1.0 + fabs(expected));
        same &= out[i] == eml_linreg_predict(&model, X + i * p);
        sum2 += (expected - y[i]) * (expected - y[i]);
    }
    CHECK(same, "predictions are the weighted sums");
    const double mse = eml_linreg_mse(&model, X, y, n);
    CHECK(fabs(mse - sum2 / n) <= 1e-5 * sum2 / n, "mse");
}

/* One step in double precision, as eml_linreg.h defines it. */
static void reference_step(double *w, double *b, uint32_t n, uint32_t p, double alpha, double l1_ratio,
    double rate) {
    double grad[MAX_FEATURES] = { 0 };
    double bias_grad = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double prediction = *b;
        for (uint32_t j = 0; j < p; j++) {
            prediction += w[j] * X[i * p + j];
        }
        const double error = prediction - y[i];
        bias_grad += error;
        for (uint32_t j = 0; j < p; j++) {
            grad[j] += error * X[i * p + j];
        }
    }
    for (uint32_t j = 0; j < p; j++) {
        const double v = w[j] - rate * (grad[j] / n + alpha * (1.0 - l1_ratio) * w[j]);
        const double t = rate * alpha * l1_ratio;
        w[j] = v > t ? v - t : v < -t ? v + t : 0.0;
    }
    *b -= rate * bias_grad / n;
}

static void test_steps(void) {
    const uint32_t n = 60, p = 4;
    make_data(5, n, p);
    const float alpha = 0.2f, l1_ratio = 0.6f, rate = 0.02f;
    eml_linreg model = new_model(p, alpha, l1_ratio, rate);
    double w[MAX_FEATURES] = { 0 };
    double b = 0.0;
    double worst = 0.0;
    for (int s = 0; s < 200; s++) {
        eml_linreg_step(&model, X, y, n);
        reference_step(w, &b, n, p, alpha, l1_ratio, rate);
        for (uint32_t j = 0; j < p; j++) {
            worst = fmax(worst, fabs(weights[j] - w[j]));
        }
        worst = fmax(worst, fabs(model.bias - b));
    }
    CHECK(worst < 1e-3, "200 steps follow the double-precision reference");

    /* a threshold above every gradient keeps all weights at 0 */
    model = new_model(p, 1e6f, 1.0f, 0.01f);
    eml_linreg_step(&model, X, y, n);
    int all_zero = 1;
    for (uint32_t j = 0; j < p; j++) {
        all_zero &= weights[j] == 0.0f;
    }
    CHECK(all_zero && model.bias != 0.0f, "L1 threshold zeroes weights, not the bias");
}

/* The column means of X's n rows of p into mean; returns y's. */
static double means(uint32_t n, uint32_t p, double *mean) {
    double y_mean = 0.0;
    for (uint32_t j = 0; j < p; j++) {
        mean[j] = 0.0;
    }
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < p; j++) {
            mean[j] += X[i * p + j] / (double)n;
        }
        y_mean += y[i] / (double)n;
    }
    return y_mean;
}

/* The optimality conditions of the elastic-net objective at the fitted
 * weights, in double precision: for every feature the centred column's
 * correlation with the residuals, c_j = x_j . r / n, must equal
 * alpha l1 sign(w_j) + alpha (1 - l1) w_j where w_j is not 0, and be at
 * most alpha l1 in size where it is. The worst violation, relative to the
 * largest |c_j| at w = 0. */
static double kkt_violation(const eml_linreg *model, uint32_t n, uint32_t p) {
    double mean[MAX_FEATURES];
    const double y_mean = means(n, p, mean);
    const double alpha = model->alpha, l1 = model->l1_ratio;
    double worst = 0.0, scale = 0.0;
    double r[MAX_SAMPLES];
    for (uint32_t i = 0; i < n; i++) {
        double fitted = model->bias;
        for (uint32_t j = 0; j < p; j++) {
            fitted += (double)model->weights[j] * X[i * p + j];
        }
        r[i] = y[i] - fitted;
    }
    for (uint32_t j = 0; j < p; j++) {
        double c = 0.0, c0 = 0.0;
        for (uint32_t i = 0; i < n; i++) {
            c += (X[i * p + j] - mean[j]) * r[i] / n;
            c0 += (X[i * p + j] - mean[j]) * (y[i] - y_mean) / n;
        }
        scale = fmax(scale, fabs(c0));
        const double w = model->weights[j];
        double v;
        if (w != 0.0) {
            v = fabs(c - alpha * l1 * (w > 0 ? 1.0 : -1.0) - alpha * (1.0 - l1) * w);
        } else {
            v = fmax(0.0, fabs(c) - alpha * l1);
        }
        worst = fmax(worst, v);
    }
    /* the intercept: residuals sum to 0 */
    double r_sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        r_sum += r[i] / n;
    }
    worst = fmax(worst, fabs(r_sum));
    return worst / scale;
}

/* The duality gap at the model's weights, in double precision, relative to
 * |y - mean(y)|^2: the quantity fit's stopping test bounds by tol. */
static double relative_gap(const eml_linreg *model, uint32_t n, uint32_t p) {
    double mean[MAX_FEATURES];
    const double y_mean = means(n, p, mean);
    const double l1 = model->alpha * model->l1_ratio * n, l2 = model->alpha * (1.0 - model->l1_ratio) * n;
    double r[MAX_SAMPLES], r2 = 0.0, ry = 0.0, y2 = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double fitted = y_mean;
        for (uint32_t j = 0; j < p; j++) {
            fitted += (double)model->weights[j] * (X[i * p + j] - mean[j]);
        }
        r[i] = y[i] - fitted;
        r2 += r[i] * r[i];
        ry += r[i] * (y[i] - y_mean);
        y2 += (y[i] - y_mean) * (y[i] - y_mean);
    }
    double dual_norm = 0.0, w2 = 0.0, w1 = 0.0;
    for (uint32_t j = 0; j < p; j++) {
        double c = 0.0;
        for (uint32_t i = 0; i < n; i++) {
            c += (X[i * p + j] - mean[j]) * r[i];
        }
        const double w = model->weights[j];
        dual_norm = fmax(dual_norm, fabs(c - l2 * w));
        w2 += w * w;
        w1 += fabs(w);
    }
    /* primal minus dual, the dual point being the residuals scaled into
     * the feasible set |X'theta - l2 w| <= l1 */
    const double s = dual_norm > l1 ? l1 / dual_norm : 1.0;
    const double primal = 0.5 * r2 + l1 * w1 + 0.5 * l2 * w2;
    const double dual = s * ry - 0.5 * s * s * (r2 + l2 * w2);
    return (primal - dual) / y2;
}

static void test_fit(int no_gram) {
    const uint32_t n = 200, p = 8;
    const float settings[][2] = { { 0.05f, 0.5f }, { 0.1f, 1.0f }, { 0.3f, 0.1f }, { 0.02f, 0.9f } };
    const eml_linreg_fit_options options = { .max_sweeps = 10000, .tol = 1e-6f, .warm_start = 0, .no_gram = no_gram };
    for (unsigned s = 0; s < 4; s++) {
        make_data(100 + s, n, p);
        eml_linreg model = new_model(p, settings[s][0], settings[s][1], 0.0f);
        uint32_t sweeps;
        int converged;
        eml_status status = eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &options,
            &sweeps, &converged);
        CHECK(status == EML_OK && converged, "fit converges");
        const double v = kkt_violation(&model, n, p);
        CHECK(v < 1e-4, "fit: optimality conditions hold");
        if (v >= 1e-4) {
            printf("  alpha %g l1 %g: violation %g after %u sweeps\n", settings[s][0], settings[s][1], v,
                (unsigned)sweeps);
        }
        int zeros = 0;
        for (uint32_t j = 0; j < p; j++) {
            zeros += weights[j] == 0.0f;
        }
        if (settings[s][1] == 1.0f) {
            CHECK(zeros > 0, "the lasso sets some weights to exactly 0");
        }
        /* scikit-learn's default tolerance: stops with the gap below it */
        const eml_linreg_fit_options loose = { .max_sweeps = 10000, .tol = 1e-4f, .warm_start = 0, .no_gram = no_gram };
        eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &loose, &sweeps, &converged);
        const double gap = relative_gap(&model, n, p);
        CHECK(converged && gap <= 1.2e-4, "fit stops with the duality gap below tol");
        if (gap > 1.2e-4) {
            printf("  alpha %g l1 %g: gap %g after %u sweeps\n", settings[s][0], settings[s][1], gap,
                (unsigned)sweeps);
        }
        eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &options, &sweeps, &converged);
        /* a tolerance past float32's reach: the descent ends in a cycle of
         * weights a unit in the last place apart, which ends the fit */
        const eml_linreg_fit_options tiny = { .max_sweeps = 10000, .tol = 1e-9f, .warm_start = 0, .no_gram = no_gram };
        eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &tiny, &sweeps, &converged);
        CHECK(converged && sweeps < 5000 && kkt_violation(&model, n, p) < 1e-4, "tol 1e-9: stops at a cycle");
        if (getenv("SHOWGAP")) {
            printf("  alpha %g l1 %g: tol 1e-9 stops after %u sweeps\n", settings[s][0], settings[s][1],
                (unsigned)sweeps);
        }
        eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &options, &sweeps, &converged);
        /* warm start from the solution: one sweep, and the same weights */
        float before[MAX_FEATURES];
        memcpy(before, weights, sizeof before);
        const eml_linreg_fit_options warm = { .max_sweeps = 10, .tol = 1e-6f, .warm_start = 1, .no_gram = no_gram };
        eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &warm, &sweeps, &converged);
        double moved = 0.0;
        for (uint32_t j = 0; j < p; j++) {
            moved = fmax(moved, fabs(weights[j] - before[j]));
        }
        CHECK(converged && sweeps <= 2 && moved < 1e-3, "warm start from the solution stays there");
    }
}

/* Nearly collinear columns and a target along their difference:
 * coordinate descent creeps along the valley, each sweep changing the
 * weights little while far from the optimum. The weight test alone would
 * stop after 3 sweeps, 9% of |y|^2 from the optimum; the gap test must not
 * (and needs the residuals recomputed, see eml_linreg.c). */
static void test_fit_collinear(int no_gram) {
    const uint32_t n = 100, p = 3;
    unsigned state = 3;
    for (uint32_t i = 0; i < n; i++) {
        const float a = uniform(&state);
        X[i * p] = a;
        X[i * p + 1] = a + 0.002f * uniform(&state);
        X[i * p + 2] = uniform(&state);
        y[i] = 300.0f * (X[i * p + 1] - a) + X[i * p + 2] + 0.05f * uniform(&state);
    }
    const float tols[] = { 1e-2f, 1e-3f, 1e-4f };
    for (unsigned t = 0; t < 3; t++) {
        eml_linreg model = new_model(p, 1e-4f, 0.5f, 0.0f);
        const eml_linreg_fit_options options = { .max_sweeps = 100000, .tol = tols[t], .warm_start = 0, .no_gram = no_gram };
        uint32_t sweeps;
        int converged;
        eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &options, &sweeps, &converged);
        const double gap = relative_gap(&model, n, p);
        CHECK(converged && gap <= 1.2 * tols[t], "collinear columns: the gap test holds the fit back");
        if (getenv("SHOWGAP")) {
            printf("  tol %g: gap %g after %u sweeps\n", tols[t], gap, (unsigned)sweeps);
        }
    }
}

/* alpha 0: ordinary least squares, against the normal equations solved in
 * double precision (Gaussian elimination on the centred Gram matrix). */
static void test_least_squares(int no_gram) {
    const uint32_t n = 120, p = 4;
    make_data(77, n, p);
    double mean[MAX_FEATURES + 1] = { 0 };
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < p; j++) {
            mean[j] += X[i * p + j] / (double)n;
        }
        mean[p] += y[i] / (double)n;
    }
    double a[MAX_FEATURES][MAX_FEATURES + 1] = { { 0 } };
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < p; j++) {
            const double xj = X[i * p + j] - mean[j];
            for (uint32_t k = 0; k < p; k++) {
                a[j][k] += xj * (X[i * p + k] - mean[k]);
            }
            a[j][p] += xj * (y[i] - mean[p]);
        }
    }
    for (uint32_t c = 0; c < p; c++) {
        for (uint32_t r = c + 1; r < p; r++) {
            const double f = a[r][c] / a[c][c];
            for (uint32_t k = c; k <= p; k++) {
                a[r][k] -= f * a[c][k];
            }
        }
    }
    double w[MAX_FEATURES];
    for (int r = (int)p - 1; r >= 0; r--) {
        double v = a[r][p];
        for (uint32_t k = (uint32_t)r + 1; k < p; k++) {
            v -= a[r][k] * w[k];
        }
        w[r] = v / a[r][r];
    }
    double b = mean[p];
    for (uint32_t j = 0; j < p; j++) {
        b -= w[j] * mean[j];
    }
    eml_linreg model = new_model(p, 0.0f, 0.5f, 0.0f);
    const eml_linreg_fit_options options = { .max_sweeps = 100000, .tol = 1e-7f, .warm_start = 0, .no_gram = no_gram };
    uint32_t sweeps;
    int converged;
    eml_linreg_fit(&model, X, y, n, work, sizeof work / sizeof work[0], &options, &sweeps, &converged);
    double worst = fabs(model.bias - b) / fabs(b);
    for (uint32_t j = 0; j < p; j++) {
        worst = fmax(worst, fabs(weights[j] - w[j]) / (fabs(w[j]) + 0.1));
    }
    /* the Gram form solves the normal equations, whose condition number is
     * the square of X's: on these nearly collinear columns its float32
     * weights are 10 times further off (1.6e-3 against 1.4e-4) */
    CHECK(converged && worst < (no_gram ? 1e-3 : 5e-3), "alpha 0 gives the least-squares solution");
    if (getenv("SHOWGAP")) {
        printf("  least squares, no_gram %d: %u sweeps, worst %g\n", no_gram, (unsigned)sweeps, worst);
    }
}

static void test_fit_refusals(void) {
    const uint32_t n = 10, p = 3;
    make_data(1, n, p);
    eml_linreg model = new_model(p, 0.1f, 0.5f, 0.0f);
    eml_linreg_fit_options options = { .max_sweeps = 10, .tol = 1e-4f, .warm_start = 0 };
    uint32_t sweeps = 99;
    int converged = 0;
    CHECK(eml_linreg_fit(&model, X, y, 0, work, 100, &options, &sweeps, &converged) == EML_ERR_SIZE, "no rows");
    CHECK(eml_linreg_fit(&model, X, y, n, work, n + 2 * p - 1, &options, &sweeps, &converged) == EML_ERR_SIZE,
        "work too small");
    CHECK(eml_linreg_fit(&model, X, y, n, work, n + 2 * p, &options, &sweeps, &converged) == EML_OK, "work exact");
    /* exactly the work asked for, in a heap block of that size (AddressSanitizer
     * catches a write past it): 11 rows take the residual form, 12 the Gram form
     * (3^2 + 3 <= 12) */
    for (uint32_t rows = 11; rows <= 12; rows++) {
        make_data(2, rows, p);
        float *exact = malloc(EML_LINREG_FIT_WORK(rows, p) * sizeof(float));
        const eml_linreg_fit_options fit = { .max_sweeps = 100, .tol = 1e-4f };
        CHECK(eml_linreg_fit(&model, X, y, rows, exact, EML_LINREG_FIT_WORK(rows, p), &fit, &sweeps, &converged)
            == EML_OK && converged, "work exactly EML_LINREG_FIT_WORK");
        free(exact);
    }
    make_data(1, n, p);
    options.max_sweeps = 0;
    CHECK(eml_linreg_fit(&model, X, y, n, work, 100, &options, &sweeps, &converged) == EML_ERR_VALUE, "0 sweeps");
    options.max_sweeps = 10;
    options.tol = 0.0f;
    CHECK(eml_linreg_fit(&model, X, y, n, work, 100, &options, &sweeps, &converged) == EML_ERR_VALUE, "tol 0");
    options.tol = NAN;
    CHECK(eml_linreg_fit(&model, X, y, n, work, 100, &options, &sweeps, &converged) == EML_ERR_VALUE, "tol nan");

    /* a constant column keeps weight 0; one sweep limit reports no convergence */
    for (uint32_t i = 0; i < n; i++) {
        X[i * p + 1] = 4.0f;
    }
    options.tol = 1e-9f;
    options.max_sweeps = 1;
    eml_linreg_fit(&model, X, y, n, work, 100, &options, &sweeps, &converged);
    CHECK(sweeps == 1 && !converged && weights[1] == 0.0f, "constant column, sweep limit");
}

/* train(): stopping rules and results. */
static uint32_t reported[64];
static int n_reported;
static void report(void *context, uint32_t iteration, float mse) {
    (void)mse;
    int *calls = context;
    (*calls)++;
    if (n_reported < 64) {
        reported[n_reported++] = iteration;
    }
}

static void test_train(void) {
    const uint32_t n = 40, p = 3;
    make_data(9, n, p);
    eml_linreg model = new_model(p, 0.01f, 0.5f, 0.002f);
    int calls = 0;
    eml_linreg_train_options options = {
        .max_iterations = 25, .check_interval = 10, .tolerance = 1e-6f, .divergence_factor = 10.0f,
        .report = report, .context = &calls,
    };
    eml_linreg_train_result result;
    n_reported = 0;
    CHECK(eml_linreg_train(&model, X, y, n, &options, &result) == EML_OK, "train");
    CHECK(result.outcome == EML_LINREG_RAN_OUT && result.iteration == 24, "ran out at the last iteration");
    CHECK(calls == 3 && reported[0] == 0 && reported[1] == 10 && reported[2] == 20, "checks at 0, 10, 20");

    /* converged: error changes below the tolerance after 2 intervals */
    model = new_model(p, 0.0f, 0.5f, 0.002f);
    options.max_iterations = 100000;
    options.tolerance = 1e30f;
    eml_linreg_train(&model, X, y, n, &options, &result);
    CHECK(result.outcome == EML_LINREG_CONVERGED && result.iteration == 30, "converged at the first check past 20");
    const float mse = result.mse;
    CHECK(mse > 0.0f && isfinite(mse), "result: the check before the last");

    /* score limit */
    model = new_model(p, 0.0f, 0.5f, 0.002f);
    options.tolerance = 0.0f;
    options.has_score_limit = 1;
    options.score_limit = 1e30f;
    eml_linreg_train(&model, X, y, n, &options, &result);
    CHECK(result.outcome == EML_LINREG_CONVERGED && result.iteration == 0 && isinf(result.mse),
        "score limit at the first check");
    options.has_score_limit = 0;

    /* diverged: a learning rate far too large */
    model = new_model(p, 0.0f, 0.5f, 10.0f);
    options.check_interval = 1;
    eml_linreg_train(&model, X, y, n, &options, &result);
    CHECK(result.outcome == EML_LINREG_DIVERGED && result.iteration < 20, "diverged");

    options.max_iterations = 0;
    CHECK(eml_linreg_train(&model, X, y, n, &options, &result) == EML_ERR_VALUE, "0 iterations");
    options.max_iterations = 10;
    options.check_interval = 0;
    CHECK(eml_linreg_train(&model, X, y, n, &options, &result) == EML_ERR_VALUE, "0 interval");
    options.check_interval = 1;
    CHECK(eml_linreg_train(&model, X, y, 0, &options, &result) == EML_ERR_SIZE, "no rows");
}

/* A random float: sign, exponent field in [lo, hi], random significand. */
static float random_float(unsigned *state, unsigned lo, unsigned hi) {
    const unsigned r = check_rand(state);
    const uint32_t field = lo + check_rand(state) % (hi - lo + 1);
    return eml_bits_float((r & 0x80000000u) | (field << 23) | (check_rand(state) & 0x7fffffu));
}

/* eml_wide_sum.h against sums in long double (64-bit significands: exact
 * for these products, and for their sums within the bound): the result is
 * the exact sum rounded, within the truncation of each product to 32 bits
 * of the largest. */
static void test_wide_sum(void) {
    unsigned state = 99;
    int ok = 1, special_ok = 1;
    for (int t = 0; t < 20000; t++) {
        const uint32_t n = 1 + check_rand(&state) % 40;
        /* narrow exponent ranges give cancellations, wide ones big gaps;
         * some cases reach the subnormals and past the float range */
        const unsigned span = t % 4 == 0 ? 2 : t % 4 == 1 ? 20 : 60;
        const unsigned lo = t % 7 == 0 ? 1 : t % 7 == 1 ? 190 - span : 100;
        eml_wide acc = eml_wide_start();
        long double exact = 0.0L, largest = 0.0L;
        for (uint32_t i = 0; i < n; i++) {
            float a = random_float(&state, lo, lo + span);
            float b = random_float(&state, 127 - span / 2, 127 + span / 2);
            if (check_rand(&state) % 16 == 0) {
                a = check_rand(&state) % 2 ? 0.0f : -0.0f;
            }
            if (t % 11 == 0 && i == 0) {
                a = eml_bits_float(check_rand(&state) & 0x807fffffu);  /* subnormal */
            }
            eml_wide_add(&acc, a, b);
            exact += (long double)a * (long double)b;
            largest = fmaxl(largest, fabsl((long double)a * (long double)b));
        }
        const float got = eml_wide_float(&acc);
        const float rounded = (float)exact;
        /* each product truncated below 2^-31 of the largest; then one rounding */
        const long double bound = n * ldexpl(largest, -31) + fabsl((long double)nextafterf(rounded, INFINITY) - rounded);
        if (isinf(rounded)) {
            ok &= got == rounded || fabsl((long double)got - exact) <= bound;
        } else {
            ok &= fabsl((long double)got - exact) <= bound;
        }
        if (!ok) {
            printf("  wide sum case %d: %.9g, exact %.9Lg\n", t, got, exact);
            break;
        }
    }
    CHECK(ok, "wide sums: the exact sum, rounded, within the products' truncation");

    /* exactly representable sums come out exact, signs and all */
    eml_wide acc = eml_wide_start();
    eml_wide_add(&acc, 3.0f, 1.5f);
    eml_wide_add(&acc, -1.0f, 0.25f);
    eml_wide_add(&acc, 1e30f, 1e-30f);
    eml_wide_add(&acc, -1e30f, 1e-30f);
    CHECK(eml_wide_float(&acc) == 4.25f, "exact sum");
    acc = eml_wide_start();
    eml_wide_add(&acc, 16777216.0f, 1.0f);
    eml_wide_add(&acc, 1.0f, 1.0f);
    CHECK(eml_wide_float(&acc) == 16777216.0f, "2^24 + 1 rounds to even");
    eml_wide_add(&acc, 1.0f, 1.0f);
    CHECK(eml_wide_float(&acc) == 16777218.0f, "2^24 + 2");
    /* 2^26 + 4 + 2^-6, a sum of 33 bits: the float ulp there is 8, and the
     * bit past the tie is below the top 32 (the sticky bit keeps it) */
    acc = eml_wide_start();
    for (int i = 0; i < 4; i++) {
        eml_wide_add(&acc, 16777216.0f, 1.0f);
        eml_wide_add(&acc, 1.0f, 1.0f);
    }
    eml_wide_add(&acc, 0x1p-6f, 1.0f);
    CHECK(eml_wide_float(&acc) == 67108872.0f, "past the tie by 2^-6: rounds up (sticky bit)");
    acc = eml_wide_start();
    eml_wide_add(&acc, 1e30f, 1e30f);
    CHECK(isinf(eml_wide_float(&acc)), "past the float range: inf");
    acc = eml_wide_start();
    eml_wide_add(&acc, -1e-30f, 1e-15f);
    CHECK(eml_wide_float(&acc) == -1e-45f, "a subnormal result");
    acc = eml_wide_start();
    eml_wide_add(&acc, 1.0f, 0.0f);
    CHECK(eml_wide_float(&acc) == 0.0f && !eml_wide_special(&acc), "zero");
    eml_wide_add(&acc, INFINITY, 0.0f);
    special_ok &= eml_wide_special(&acc);
    acc = eml_wide_start();
    eml_wide_add(&acc, 2.0f, NAN);
    special_ok &= eml_wide_special(&acc);
    CHECK(special_ok, "NaN and infinite operands are flagged");
}

int main(void) {
    test_wide_sum();
    test_init();
    test_predict_and_mse();
    test_steps();
    for (int no_gram = 0; no_gram <= 1; no_gram++) {
        test_fit(no_gram);
        test_fit_collinear(no_gram);
        test_least_squares(no_gram);
    }
    test_fit_refusals();
    test_train();
    return check_summary();
}
