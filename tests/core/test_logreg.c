/* Host tests of the logistic regression core (src/core/eml_logreg.c):
 * eml_logf against libm, predictions, loss and steps against
 * double-precision references, fit against the optimality (KKT)
 * conditions of the objective, train()'s stopping rules, and the checks
 * of arguments and labels. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "eml_logreg.h"
#include "eml_math.h"

#define P 5
#define K 3
#define N 120

static float X[N * P];
static uint8_t labels[N];
static int16_t labels16[N];
static float onehot[N * K];
static float params[EML_LOGREG_PARAMS(P, K)];
static float work[EML_LOGREG_WORK(P, K)];
static float fit_work[EML_LOGREG_FIT_WORK(P, K)];

static float uniform(unsigned *state) {
    return (float)(check_rand(state) % 20001u) / 10000.0f - 1.0f;
}

/* Three overlapping classes: class c's rows centred on a point of its own,
 * with different scales per feature (the last one pure noise). */
static void make_data(unsigned seed) {
    unsigned state = seed;
    for (uint32_t i = 0; i < N; i++) {
        const uint32_t c = i % K;
        for (uint32_t j = 0; j < P; j++) {
            const float centre = j + 1 < P ? (float)((c + j) % K) - 1.0f : 0.0f;
            X[i * P + j] = (float)(j + 1) * (centre + 1.2f * uniform(&state));
        }
        labels[i] = (uint8_t)c;
        labels16[i] = (int16_t)c;
        for (uint32_t k = 0; k < K; k++) {
            onehot[i * K + k] = k == c ? 1.0f : 0.0f;
        }
    }
}

static eml_logreg new_model(float rate, float l2, float l1) {
    eml_logreg model;
    CHECK(eml_logreg_init(&model, params, work, P, K, rate, l2, l1) == EML_OK, "init");
    return model;
}

/* Mean cross-entropy and gradient in double precision for params w. */
static double reference_pass(const float *w, const float *targets, double *gradient) {
    double loss = 0.0;
    memset(gradient, 0, sizeof(double) * EML_LOGREG_PARAMS(P, K));
    for (uint32_t i = 0; i < N; i++) {
        double z[K], top = -INFINITY, sum = 0.0;
        for (uint32_t c = 0; c < K; c++) {
            z[c] = w[K * P + c];
            for (uint32_t j = 0; j < P; j++) {
                z[c] += (double)w[c * P + j] * X[i * P + j];
            }
            top = z[c] > top ? z[c] : top;
        }
        for (uint32_t c = 0; c < K; c++) {
            sum += exp(z[c] - top);
        }
        for (uint32_t c = 0; c < K; c++) {
            const double p = exp(z[c] - top) / sum;
            const double t = targets[i * K + c];
            loss -= t * (z[c] - top - log(sum));
            gradient[K * P + c] += (p - t) / N;
            for (uint32_t j = 0; j < P; j++) {
                gradient[c * P + j] += (p - t) * X[i * P + j] / N;
            }
        }
    }
    return loss / N;
}

static void test_logf(void) {
    double worst = 0.0;
    unsigned state = 7;
    for (int i = 0; i < 200000; i++) {
        /* random bit patterns of positive finite floats, subnormals included */
        const float x = eml_bits_float(check_rand(&state) % 0x7f800000u);
        if (x == 0.0f) {
            continue;
        }
        const double exact = log((double)x);
        const double err = fabs((double)eml_logf(x) - exact) / fmax(fabs(exact), 1e-30);
        worst = err > worst ? err : worst;
    }
    /* near 1, where ln x is small and a relative error shows most */
    for (int i = -2000; i <= 2000; i++) {
        const float x = 1.0f + (float)i * 1e-6f;
        if (i == 0) {
            CHECK(eml_logf(x) == 0.0f, "ln 1 = 0");
            continue;
        }
        const double exact = log((double)x);
        const double err = fabs((double)eml_logf(x) - exact) / fabs(exact);
        worst = err > worst ? err : worst;
    }
    printf("eml_logf: worst relative error %.3g\n", worst);
    CHECK(worst < 3e-7, "eml_logf within about 2 ulp");
    CHECK(isinf(eml_logf(0.0f)) && eml_logf(0.0f) < 0, "ln 0 = -inf");
    CHECK(isinf(eml_logf(-0.0f)) && eml_logf(-0.0f) < 0, "ln -0 = -inf");
    CHECK(isnan(eml_logf(-1.0f)), "ln of a negative is NaN");
    CHECK(isinf(eml_logf(INFINITY)) && eml_logf(INFINITY) > 0, "ln inf = inf");
    CHECK(isnan(eml_logf(NAN)), "ln NaN is NaN");
}

static void test_init(void) {
    eml_logreg model;
    CHECK(eml_logreg_init(&model, params, work, 0, K, 0.1f, 0, 0) == EML_ERR_VALUE, "no features");
    CHECK(eml_logreg_init(&model, params, work, P, 1, 0.1f, 0, 0) == EML_ERR_VALUE, "one class");
    CHECK(eml_logreg_init(&model, params, work, P, K, -0.1f, 0, 0) == EML_ERR_VALUE, "negative rate");
    CHECK(eml_logreg_init(&model, params, work, P, K, 0.1f, NAN, 0) == EML_ERR_VALUE, "NaN l2");
    CHECK(eml_logreg_init(&model, params, work, P, K, 0.1f, 0, INFINITY) == EML_ERR_VALUE, "infinite l1");
    params[3] = 5.0f;
    CHECK(eml_logreg_init(&model, params, work, P, K, 0.1f, 0.01f, 0.001f) == EML_OK, "valid");
    CHECK(params[3] == 0.0f, "init zeroes the parameters");
}

static void test_predict(void) {
    eml_logreg model = new_model(0.1f, 0, 0);
    unsigned state = 3;
    for (size_t i = 0; i < EML_LOGREG_PARAMS(P, K); i++) {
        params[i] = 3.0f * uniform(&state);
    }
    double worst = 0.0;
    int classes_ok = 1;
    for (uint32_t i = 0; i < N; i++) {
        float prob[K], z[K];
        const uint32_t c = eml_logreg_predict(&model, X + i * P, prob, z);
        double zd[K], sum = 0.0;
        uint32_t best = 0;
        for (uint32_t k = 0; k < K; k++) {
            zd[k] = params[K * P + k];
            for (uint32_t j = 0; j < P; j++) {
                zd[k] += (double)params[k * P + j] * X[i * P + j];
            }
            best = zd[k] > zd[best] ? k : best;
        }
        for (uint32_t k = 0; k < K; k++) {
            sum += exp(zd[k]);
        }
        for (uint32_t k = 0; k < K; k++) {
            const double err = fabs(prob[k] - exp(zd[k]) / sum);
            worst = err > worst ? err : worst;
        }
        classes_ok &= c == best;
    }
    CHECK(worst < 1e-6, "probabilities within float rounding");
    CHECK(classes_ok, "class is the largest logit");
    float x[P] = { 1, 2, NAN, 0, 0 }, prob[K], z[K];
    CHECK(eml_logreg_predict(&model, x, prob, z) == 0 && isnan(prob[0]) && isnan(prob[2]), "NaN input");
    /* a huge logit gap: probabilities 1 and 0, not NaN */
    memset(params, 0, sizeof(params));
    params[K * P + 1] = 200.0f;
    float zero[P] = { 0 };
    CHECK(eml_logreg_predict(&model, zero, prob, z) == 1 && prob[1] == 1.0f && prob[0] == 0.0f, "saturated");
    /* ties: the first class */
    memset(params, 0, sizeof(params));
    CHECK(eml_logreg_predict(&model, zero, prob, z) == 0 && fabsf(prob[2] - 1.0f / 3) < 1e-7f, "ties");
}

static void test_loss_and_step(void) {
    eml_logreg model = new_model(0.05f, 0.02f, 0.003f);
    unsigned state = 11;
    for (size_t i = 0; i < EML_LOGREG_PARAMS(P, K); i++) {
        params[i] = 0.5f * uniform(&state);
    }
    double g[EML_LOGREG_PARAMS(P, K)];
    double expected = reference_pass(params, onehot, g);
    double l2 = 0.0, l1 = 0.0;
    for (uint32_t i = 0; i < K * P; i++) {
        l2 += (double)params[i] * params[i];
        l1 += fabs(params[i]);
    }
    expected += 0.5 * 0.02 * l2 + 0.003 * l1;
    eml_logreg_targets by_label = { labels, EML_LOGREG_LABELS_U8 };
    eml_logreg_targets by_label16 = { labels16, EML_LOGREG_LABELS_I16 };
    eml_logreg_targets by_row = { onehot, EML_LOGREG_DISTRIBUTIONS };
    float a, b, c;
    CHECK(eml_logreg_loss(&model, X, &by_label, N, &a) == EML_OK, "loss");
    eml_logreg_loss(&model, X, &by_label16, N, &b);
    eml_logreg_loss(&model, X, &by_row, N, &c);
    CHECK(fabs(a - expected) < 1e-6 * expected, "loss against double precision");
    CHECK(a == b && fabsf(a - c) < 1e-6f * a, "labels and one-hot rows give the same loss");

    /* one step, against the same arithmetic in double precision */
    float before[EML_LOGREG_PARAMS(P, K)];
    memcpy(before, params, sizeof(params));
    CHECK(eml_logreg_step(&model, X, &by_label, N) == EML_OK, "step");
    double worst = 0.0;
    for (uint32_t i = 0; i < EML_LOGREG_PARAMS(P, K); i++) {
        double v;
        if (i < K * P) {
            v = before[i] - 0.05 * (g[i] + 0.02 * before[i]);
            const double t = 0.05 * 0.003;
            v = fabs(v) <= t ? 0.0 : v - copysign(t, v);
        } else {
            v = before[i] - 0.05 * g[i];
        }
        worst = fmax(worst, fabs(params[i] - v));
    }
    CHECK(worst < 1e-6, "step against double precision");

    /* bad labels: an error, and the model untouched */
    memcpy(before, params, sizeof(params));
    labels[N - 1] = K;
    CHECK(eml_logreg_step(&model, X, &by_label, N) == EML_ERR_VALUE, "label n_classes refused");
    labels[N - 1] = (N - 1) % K;
    labels16[5] = -1;
    CHECK(eml_logreg_loss(&model, X, &by_label16, N, &a) == EML_ERR_VALUE, "negative label refused");
    labels16[5] = 5 % K;
    CHECK(eml_logreg_step(&model, X, &by_label, 0) == EML_ERR_SIZE, "no rows refused");
    CHECK(memcmp(before, params, sizeof(params)) == 0, "refused calls leave the model as it was");
}

/* Largest violation of the optimality conditions: gradient g of the
 * smooth part, plus lambda_l1 sign(w) where w != 0, and |g| <= lambda_l1
 * where w = 0. */
static double kkt_violation(float l2, float l1) {
    double g[EML_LOGREG_PARAMS(P, K)];
    reference_pass(params, onehot, g);
    double worst = 0.0;
    for (uint32_t i = 0; i < EML_LOGREG_PARAMS(P, K); i++) {
        double v;
        if (i >= K * P) {
            v = fabs(g[i]);
        } else if (params[i] == 0.0f) {
            v = fmax(fabs(g[i] + l2 * params[i]) - l1, 0.0);
        } else {
            v = fabs(g[i] + l2 * params[i] + copysign(l1, params[i]));
        }
        worst = fmax(worst, v);
    }
    return worst;
}

static void test_fit(void) {
    static const float settings[][2] = { { 0.01f, 0.0f }, { 0.001f, 0.01f }, { 0.1f, 0.0f }, { 0.0f, 0.02f } };
    eml_logreg_targets by_label = { labels, EML_LOGREG_LABELS_U8 };
    for (size_t s = 0; s < sizeof(settings) / sizeof(settings[0]); s++) {
        eml_logreg model = new_model(0.0f, settings[s][0], settings[s][1]);
        eml_logreg_fit_options options = { 5000, 1e-5f, 0 };
        uint32_t n_iter;
        int converged;
        eml_status status = eml_logreg_fit(&model, X, &by_label, N, fit_work, sizeof(fit_work) / sizeof(float),
            &options, &n_iter, &converged);
        const double violation = kkt_violation(settings[s][0], settings[s][1]);
        printf("fit l2=%g l1=%g: %u iterations, KKT violation %.3g\n", settings[s][0], settings[s][1],
            (unsigned)n_iter, violation);
        CHECK(status == EML_OK && converged, "fit converges");
        CHECK(violation < 3e-5, "fit reaches the optimum");
        if (settings[s][1] > 0.005f) {
            int zeros = 0;
            for (uint32_t i = 0; i < K * P; i++) {
                zeros += params[i] == 0.0f;
            }
            CHECK(zeros > 0, "the L1 term zeroes some weights");
        }
        /* warm start from the optimum: done at once */
        options.warm_start = 1;
        eml_logreg_fit(&model, X, &by_label, N, fit_work, sizeof(fit_work) / sizeof(float), &options, &n_iter,
            &converged);
        CHECK(converged && n_iter <= 3, "warm start at the optimum");
    }
    eml_logreg model = new_model(0.0f, 0.01f, 0.0f);
    eml_logreg_fit_options options = { 100, 1e-5f, 0 };
    uint32_t n_iter;
    int converged;
    CHECK(eml_logreg_fit(&model, X, &by_label, N, fit_work, sizeof(fit_work) / sizeof(float) - 1, &options,
        &n_iter, &converged) == EML_ERR_SIZE, "too little work");
    options.tol = 0.0f;
    CHECK(eml_logreg_fit(&model, X, &by_label, N, fit_work, sizeof(fit_work) / sizeof(float), &options,
        &n_iter, &converged) == EML_ERR_VALUE, "tol 0 refused");
    options.tol = 1e-5f;
    options.max_iter = 3;
    eml_logreg_fit(&model, X, &by_label, N, fit_work, sizeof(fit_work) / sizeof(float), &options, &n_iter,
        &converged);
    CHECK(n_iter == 3 && !converged, "max_iter stops the fit");
}

static void test_train(void) {
    eml_logreg_targets by_label = { labels, EML_LOGREG_LABELS_U8 };
    eml_logreg model = new_model(0.1f, 0.05f, 0.0f);
    eml_logreg_train_options options = { 500, 5, 1e-4f, 2.0f, 0, 0.0f, NULL, NULL };
    eml_logreg_train_result result;
    CHECK(eml_logreg_train(&model, X, &by_label, N, &options, &result) == EML_OK, "train");
    CHECK(result.outcome == EML_LOGREG_CONVERGED && result.iterations % 5 == 0 && result.iterations > 10,
        "train converges at a check");
    float loss;
    eml_logreg_loss(&model, X, &by_label, N, &loss);
    CHECK(loss == result.loss, "train returns the last check's loss");
    CHECK(loss < 0.7f, "train lowers the loss");

    model = new_model(0.1f, 0.05f, 0.0f);
    options.has_score_limit = 1;
    options.score_limit = 0.9f;
    eml_logreg_train(&model, X, &by_label, N, &options, &result);
    CHECK(result.outcome == EML_LOGREG_CONVERGED && result.loss <= 0.9f, "score_limit stops train");

    model = new_model(1e6f, 0.0f, 0.0f);
    options.has_score_limit = 0;
    eml_logreg_train(&model, X, &by_label, N, &options, &result);
    CHECK(result.outcome == EML_LOGREG_DIVERGED, "a huge learning rate diverges");

    model = new_model(0.01f, 0.0f, 0.0f);
    options.max_iterations = 3;
    eml_logreg_train(&model, X, &by_label, N, &options, &result);
    CHECK(result.outcome == EML_LOGREG_RAN_OUT && result.iterations == 3, "ran out");
    eml_logreg_loss(&model, X, &by_label, N, &loss);
    CHECK(result.loss == loss, "without a check, the loss after the last step");
    options.check_interval = 0;
    CHECK(eml_logreg_train(&model, X, &by_label, N, &options, &result) == EML_ERR_VALUE, "check_interval 0");
}

int main(void) {
    make_data(1);
    test_logf();
    test_init();
    test_predict();
    test_loss_and_step();
    test_fit();
    test_train();
    return check_summary();
}
