/* Linear regression with elastic-net regularisation: see eml_linreg.h.
 *
 * Compares and subtractions go through the bit-pattern helpers of
 * eml_common.h, so soft-float builds link only the addition,
 * multiplication, division and int-to-float helpers. There the dot
 * products (predictions, errors, residuals, correlations) are summed in
 * the 64-bit accumulator of eml_wide_sum.h, 2 to 3 times faster than
 * float calls and rounded once; EML_LINREG_WIDE chooses (the host tests
 * build both).
 */
#include "eml_linreg.h"

#ifndef EML_LINREG_WIDE
#define EML_LINREG_WIDE EML_SOFT_FLOAT
#endif
#if EML_LINREG_WIDE
#include "eml_wide_sum.h"
#endif

static int is_nan(float f) {
    return (eml_float_bits(f) & EML_ABS_MASK) > EML_EXP_MASK;
}

/* a < b, false when either is NaN. */
static int less(float a, float b) {
    return !is_nan(a) && !is_nan(b) && eml_float_key(a) < eml_float_key(b);
}

/* a <= b, false when either is NaN. */
static int at_most(float a, float b) {
    return !is_nan(a) && !is_nan(b) && eml_float_key(a) <= eml_float_key(b);
}

static float absf(float f) {
    return eml_bits_float(eml_float_bits(f) & EML_ABS_MASK);
}

/* The larger of two non-negative floats (their bits order as they do). */
static float max_nonneg(float a, float b) {
    return eml_float_bits(a) > eml_float_bits(b) ? a : b;
}

/* 2^-20: a float32 weight's change by 8 to 16 units in its last place. */
#define EML_LINREG_RESOLUTION (1.0f / 1048576.0f)

/* Whether two arrays of n floats hold the same bit patterns. */
static int same_floats(const float *a, const float *b, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        if (eml_float_bits(a[i]) != eml_float_bits(b[i])) {
            return 0;
        }
    }
    return 1;
}

/* Soft thresholding: x moved toward 0 by t >= 0, and 0 within +-t. */
static float soft_threshold(float x, float t) {
    const uint32_t xb = eml_float_bits(x);
    if ((xb & EML_ABS_MASK) <= eml_float_bits(t)) {
        return 0.0f;
    }
    /* x - t for positive x, x + t for negative */
    return x + eml_bits_float(eml_float_bits(t) | ((xb & EML_SIGN_BIT) ^ EML_SIGN_BIT));
}

eml_status eml_linreg_init(eml_linreg *model, float *weights, uint64_t *scratch, uint32_t n_features,
    float alpha, float l1_ratio, float learning_rate) {
    if (n_features == 0 || !eml_isfinite(alpha) || less(alpha, 0.0f) || !eml_isfinite(learning_rate)
        || less(learning_rate, 0.0f) || !at_most(0.0f, l1_ratio) || !at_most(l1_ratio, 1.0f)) {
        return EML_ERR_VALUE;
    }
    model->weights = weights;
    model->scratch = scratch;
    model->bias = 0.0f;
    model->n_features = n_features;
    model->alpha = alpha;
    model->l1_ratio = l1_ratio;
    model->learning_rate = learning_rate;
    for (uint32_t j = 0; j < n_features; j++) {
        weights[j] = 0.0f;
    }
    return EML_OK;
}

/* c0 + sum_j a[j] b[j] + c1, in float arithmetic, in that order. */
static float dot_float(float c0, const float *a, const float *b, uint32_t n, float c1) {
    float sum = c0;
    for (uint32_t j = 0; j < n; j++) {
        sum += a[j] * b[j];
    }
    return sum + c1;
}

#if EML_LINREG_WIDE
/* The same, summed exactly but for the products' low bits, rounded once. */
static float dot(float c0, const float *a, const float *b, uint32_t n, float c1) {
    eml_wide acc = eml_wide_start();
    eml_wide_add(&acc, c0, 1.0f);
    eml_wide_add(&acc, c1, 1.0f);
    for (uint32_t j = 0; j < n; j++) {
        eml_wide_add(&acc, a[j], b[j]);
    }
    return eml_wide_special(&acc) ? dot_float(c0, a, b, n, c1) : eml_wide_float(&acc);
}
#else
#define dot dot_float
#endif

float eml_linreg_predict(const eml_linreg *model, const float *x) {
    return dot(model->bias, model->weights, x, model->n_features, 0.0f);
}

void eml_linreg_predict_rows(const eml_linreg *model, const float *X, uint32_t n_samples, float *out) {
    for (uint32_t i = 0; i < n_samples; i++) {
        out[i] = eml_linreg_predict(model, X + (size_t)i * model->n_features);
    }
}

float eml_linreg_mse(const eml_linreg *model, const float *X, const float *y, uint32_t n_samples) {
    float sum = 0.0f;
    for (uint32_t i = 0; i < n_samples; i++) {
        const float *x = X + (size_t)i * model->n_features;
        const float error = dot(model->bias, model->weights, x, model->n_features, eml_neg(y[i]));
        sum += error * error;
    }
    return sum / (float)n_samples;
}

/* The new weights and bias of a step, from the summed gradients. */
static void step_update(eml_linreg *model, const float *gradient_sums, float bias_gradient, uint32_t n_samples) {
    const float n = (float)n_samples;
    const float rate = model->learning_rate;
    const float l2 = model->alpha * eml_sub(1.0f, model->l1_ratio);
    const float l1_step = model->alpha * model->l1_ratio * rate;
    for (uint32_t j = 0; j < model->n_features; j++) {
        const float gradient = gradient_sums[j] / n + l2 * model->weights[j];
        model->weights[j] = soft_threshold(eml_sub(model->weights[j], rate * gradient), l1_step);
    }
    model->bias = eml_sub(model->bias, rate * (bias_gradient / n));
}

/* The order of operations is emlearn-micropython's, so that the same steps
 * give the same weights. */
static void step_float(eml_linreg *model, const float *X, const float *y, uint32_t n_samples) {
    const uint32_t n_features = model->n_features;
    float *gradients = (float *)model->scratch;
    for (uint32_t j = 0; j < n_features; j++) {
        gradients[j] = 0.0f;
    }
    float bias_gradient = 0.0f;
    for (uint32_t i = 0; i < n_samples; i++) {
        const float *x = X + (size_t)i * n_features;
        const float error = dot_float(model->bias, model->weights, x, n_features, eml_neg(y[i]));
        bias_gradient += error;
        for (uint32_t j = 0; j < n_features; j++) {
            gradients[j] += error * x[j];
        }
    }
    step_update(model, gradients, bias_gradient, n_samples);
}

#if EML_LINREG_WIDE
typedef char eml_linreg_scratch_fits[sizeof(eml_wide) <= 2 * sizeof(uint64_t) ? 1 : -1];

/* emlearn's step with every error and gradient summed in the accumulator,
 * each rounded once; with a NaN or infinity among them, the float step. */
void eml_linreg_step(eml_linreg *model, const float *X, const float *y, uint32_t n_samples) {
    const uint32_t n_features = model->n_features;
    eml_wide *sums = (eml_wide *)model->scratch;
    for (uint32_t j = 0; j < n_features; j++) {
        sums[j] = eml_wide_start();
    }
    eml_wide bias_sum = eml_wide_start();
    for (uint32_t i = 0; i < n_samples; i++) {
        const float *x = X + (size_t)i * n_features;
        const float error = dot(model->bias, model->weights, x, n_features, eml_neg(y[i]));
        eml_wide_add(&bias_sum, error, 1.0f);
        for (uint32_t j = 0; j < n_features; j++) {
            eml_wide_add(&sums[j], error, x[j]);
        }
    }
    int special = eml_wide_special(&bias_sum);
    for (uint32_t j = 0; j < n_features; j++) {
        special |= eml_wide_special(&sums[j]);
    }
    if (special) {
        step_float(model, X, y, n_samples);
        return;
    }
    /* the floats overwrite the accumulators: float j lies within accumulator
     * j / 4, read at or before it */
    float *gradients = (float *)model->scratch;
    for (uint32_t j = 0; j < n_features; j++) {
        gradients[j] = eml_wide_float(&sums[j]);
    }
    step_update(model, gradients, eml_wide_float(&bias_sum), n_samples);
}
#else
void eml_linreg_step(eml_linreg *model, const float *X, const float *y, uint32_t n_samples) {
    step_float(model, X, y, n_samples);
}
#endif

/* Mean of n values spaced `stride` apart, in two passes: the second adds
 * the mean of the first pass's residuals, which recovers most of what a
 * long float sum rounds away. */
static float strided_mean(const float *v, uint32_t n, uint32_t stride) {
    const float scale = 1.0f / (float)n;
    float sum = 0.0f;
    for (uint32_t i = 0; i < n; i++) {
        sum += v[(size_t)i * stride];
    }
    const float mean = sum * scale;
    float correction = 0.0f;
    for (uint32_t i = 0; i < n; i++) {
        correction += eml_sub(v[(size_t)i * stride], mean);
    }
    return mean + correction * scale;
}

/* The fit works on the centred problem (X - means, y - mean y) in one of
 * two forms, with the same sweeps:
 *  - residuals: r = yc - Xc w (n_samples floats), each weight's update a
 *    pass over its column (2 n_samples products);
 *  - Gram (covariance updates, scikit-learn's precompute): G = Xc'Xc,
 *    b = Xc'yc and z = G w (n_features^2 + 2 n_features floats), each
 *    update n_features products, whatever the rows. Taken when it fits in
 *    the residuals' room, n_features^2 + n_features <= n_samples. Making
 *    G takes n_samples n_features^2 / 2 products, as many as n_features / 4
 *    sweeps of the other form; each sweep after takes 2 n_features^2 at
 *    most (updates and the refresh of z) instead of 2 n_samples
 *    n_features. */
typedef struct {
    const float *X;
    const float *y;
    uint32_t n_samples;
    uint32_t n_features;
    int gram;
    float *r;       /* residuals: n_samples residuals. Gram: G, then z */
    float *means;
    float *norms;   /* residual form: the columns' squared centred norms */
    float *b;       /* Gram form: Xc'yc, in the room of norms (G holds the norms) */
    float y_mean;
    float y_norm2;  /* |yc|^2 */
    float l1;       /* penalties in the sum-of-squares scale: times n_samples */
    float l2;
} fit_state;

/* Sum over the rows of (X[i][j] - mean) * r[i]: column j, centred, dotted
 * with r. */
static float centred_dot_float(const fit_state *s, uint32_t j, const float *r) {
    const uint32_t p = s->n_features;
    const float *x = s->X + j;
    const float mean = s->means[j];
    float sum = 0.0f;
    for (uint32_t i = 0; i < s->n_samples; i++) {
        sum += eml_sub(x[(size_t)i * p], mean) * r[i];
    }
    return sum;
}

#if EML_LINREG_WIDE
/* As sum x r - mean r: two exact products, no rounded difference. */
static float centred_dot(const fit_state *s, uint32_t j, const float *r) {
    const uint32_t p = s->n_features;
    const float *x = s->X + j;
    const float minus_mean = eml_neg(s->means[j]);
    eml_wide acc = eml_wide_start();
    for (uint32_t i = 0; i < s->n_samples; i++) {
        eml_wide_add(&acc, x[(size_t)i * p], r[i]);
        eml_wide_add(&acc, minus_mean, r[i]);
    }
    return eml_wide_special(&acc) ? centred_dot_float(s, j, r) : eml_wide_float(&acc);
}
#else
#define centred_dot centred_dot_float
#endif

static float gram(const fit_state *s, uint32_t j, uint32_t k) {
    return s->r[(size_t)j * s->n_features + k];
}

static float *gram_z(const fit_state *s) {
    return s->r + (size_t)s->n_features * s->n_features;
}

/* Column j's squared centred norm. */
static float column_norm2(const fit_state *s, uint32_t j) {
    return s->gram ? gram(s, j, j) : s->norms[j];
}

/* Column j's correlation with the residuals, Xc_j . r. */
static float correlation(const fit_state *s, uint32_t j) {
    return s->gram ? eml_sub(s->b[j], gram_z(s)[j]) : centred_dot(s, j, s->r);
}

/* Weight j changed by delta: update the residuals or z. */
static void apply_change(const fit_state *s, uint32_t j, float delta) {
    const uint32_t p = s->n_features;
    if (s->gram) {
        float *z = gram_z(s);
        const float *column = s->r + (size_t)j * p;    /* G is symmetric */
        for (uint32_t k = 0; k < p; k++) {
            z[k] += delta * column[k];
        }
        return;
    }
    const float *x = s->X + j;
    const float mean = s->means[j];
    for (uint32_t i = 0; i < s->n_samples; i++) {
        s->r[i] = eml_sub(s->r[i], delta * eml_sub(x[(size_t)i * p], mean));
    }
}

/* One pass of coordinate descent over all weights; *max_change and
 * *max_weight receive the largest |change| and |weight|. */
static void sweep(const fit_state *s, float *weights, float *max_change, float *max_weight) {
    float change_max = 0.0f;
    float weight_max = 0.0f;
    for (uint32_t j = 0; j < s->n_features; j++) {
        const float norm = column_norm2(s, j);
        if (eml_iszero(norm)) {
            continue;       /* a constant column: its weight stays as it is */
        }
        const float old = weights[j];
        /* the least-squares optimum for this weight alone, in the sum scale */
        const float rho = correlation(s, j) + old * norm;
        const float w = soft_threshold(rho, s->l1) / (norm + s->l2);
        const float delta = eml_sub(w, old);
        if (!eml_iszero(delta)) {
            apply_change(s, j, delta);
        }
        weights[j] = w;
        change_max = max_nonneg(change_max, absf(delta));
        weight_max = max_nonneg(weight_max, absf(w));
    }
    *max_change = change_max;
    *max_weight = weight_max;
}

/* |r|^2 at weights w. Gram: |yc|^2 - 2 w.b + w.z, clamped at 0 (it is a
 * difference of large sums; the gap weighs it by (1 - s)^2, small where it
 * matters). */
static float residual_norm2(const fit_state *s, const float *weights) {
    float sum = 0.0f;
    if (s->gram) {
        const float *z = gram_z(s);
        for (uint32_t j = 0; j < s->n_features; j++) {
            sum += weights[j] * eml_sub(z[j], 2.0f * s->b[j]);
        }
        sum += s->y_norm2;
        return eml_float_bits(sum) & EML_SIGN_BIT ? 0.0f : sum;
    }
    for (uint32_t i = 0; i < s->n_samples; i++) {
        sum += s->r[i] * s->r[i];
    }
    return sum;
}

/* The duality gap of the centred problem at weights w (scikit-learn's
 * test): the primal objective minus the dual objective at the residuals
 * scaled by s into the dual's feasible set. With c = Xc'r and
 * yc = r + Xc w it is
 *
 *     (1 - s)^2 |r|^2 / 2 + l1 |w|_1 - s w.c + l2 (1 + s^2) |w|^2 / 2,
 *
 * which is what is computed: scikit-learn's form, in terms of |r|^2 and
 * r.yc, subtracts sums as large as |yc|^2 and in float32 loses the gap in
 * their rounding; this form's terms vanish with the KKT residuals. */
static float duality_gap(const fit_state *s, const float *weights) {
    float dual_norm = 0.0f;
    float w_l1 = 0.0f;
    float w_dot_c = 0.0f;
    float w_norm2 = 0.0f;
    for (uint32_t j = 0; j < s->n_features; j++) {
        const float w = weights[j];
        const float c = correlation(s, j);
        dual_norm = max_nonneg(dual_norm, absf(eml_sub(c, s->l2 * w)));
        w_l1 += absf(w);
        w_dot_c += w * c;
        w_norm2 += w * w;
    }
    float scale = 1.0f;
    if (less(s->l1, dual_norm)) {
        scale = s->l1 / dual_norm;
    }
    const float shrink = eml_sub(1.0f, scale);
    const float gap = 0.5f * shrink * shrink * residual_norm2(s, weights) + s->l1 * w_l1
        + 0.5f * s->l2 * (1.0f + scale * scale) * w_norm2;
    return eml_sub(gap, scale * w_dot_c);
}

/* Column means, the targets' mean and |yc|^2; the residual form's column
 * norms, or the Gram matrix and b. Gram: z serves as the centred row. */
static void prepare(fit_state *s) {
    const uint32_t n = s->n_samples;
    const uint32_t p = s->n_features;
    for (uint32_t j = 0; j < p; j++) {
        s->means[j] = strided_mean(s->X + j, n, p);
    }
    s->y_mean = strided_mean(s->y, n, 1);
    float y_norm2 = 0.0f;
    for (uint32_t i = 0; i < n; i++) {
        const float d = eml_sub(s->y[i], s->y_mean);
        y_norm2 += d * d;
    }
    s->y_norm2 = y_norm2;
    if (!s->gram) {
        for (uint32_t j = 0; j < p; j++) {
            float norm = 0.0f;
            for (uint32_t i = 0; i < n; i++) {
                const float d = eml_sub(s->X[(size_t)i * p + j], s->means[j]);
                norm += d * d;
            }
            s->norms[j] = norm;
        }
        return;
    }
    float *G = s->r;
    float *row = gram_z(s);
    for (size_t k = 0; k < (size_t)p * p; k++) {
        G[k] = 0.0f;
    }
    for (uint32_t j = 0; j < p; j++) {
        s->b[j] = 0.0f;
    }
    for (uint32_t i = 0; i < n; i++) {
        const float *x = s->X + (size_t)i * p;
        const float yc = eml_sub(s->y[i], s->y_mean);
        for (uint32_t j = 0; j < p; j++) {
            row[j] = eml_sub(x[j], s->means[j]);
        }
        for (uint32_t j = 0; j < p; j++) {
            const float xj = row[j];
            float *G_row = G + (size_t)j * p;
            for (uint32_t k = j; k < p; k++) {
                G_row[k] += xj * row[k];
            }
            s->b[j] += xj * yc;
        }
    }
    for (uint32_t j = 0; j < p; j++) {
        for (uint32_t k = 0; k < j; k++) {
            G[(size_t)j * p + k] = G[(size_t)k * p + j];
        }
    }
}

/* One residual: (y_i - mean y) - sum_j w_j (x_ij - m_j). */
static float residual_float(const fit_state *s, const float *weights, uint32_t i) {
    const float *x = s->X + (size_t)i * s->n_features;
    float fitted = 0.0f;
    for (uint32_t j = 0; j < s->n_features; j++) {
        fitted += weights[j] * eml_sub(x[j], s->means[j]);
    }
    return eml_sub(eml_sub(s->y[i], s->y_mean), fitted);
}

#if EML_LINREG_WIDE
/* The same as one sum of exact products, rounded once. */
static float residual(const fit_state *s, const float *weights, uint32_t i) {
    const float *x = s->X + (size_t)i * s->n_features;
    eml_wide acc = eml_wide_start();
    eml_wide_add(&acc, s->y[i], 1.0f);
    eml_wide_add(&acc, s->y_mean, -1.0f);
    for (uint32_t j = 0; j < s->n_features; j++) {
        eml_wide_add(&acc, weights[j], eml_neg(x[j]));
        eml_wide_add(&acc, weights[j], s->means[j]);
    }
    return eml_wide_special(&acc) ? residual_float(s, weights, i) : eml_wide_float(&acc);
}
#else
#define residual residual_float
#endif

/* The residuals, or z = G w, of the weights, computed afresh: the sweeps
 * update them incrementally, and over thousands of sweeps their rounding
 * errors add up to more than the gap test allows. */
static void refresh(const fit_state *s, const float *weights) {
    const uint32_t p = s->n_features;
    if (s->gram) {
        float *z = gram_z(s);
        for (uint32_t j = 0; j < p; j++) {
            z[j] = dot(0.0f, s->r + (size_t)j * p, weights, p, 0.0f);
        }
        return;
    }
    for (uint32_t i = 0; i < s->n_samples; i++) {
        s->r[i] = residual(s, weights, i);
    }
}

eml_status eml_linreg_fit(eml_linreg *model, const float *X, const float *y, uint32_t n_samples,
    float *work, size_t n_work, const eml_linreg_fit_options *options,
    uint32_t *n_sweeps, int *converged) {
    const uint32_t p = model->n_features;
    if (n_samples == 0 || n_work < EML_LINREG_FIT_WORK(n_samples, p)) {
        return EML_ERR_SIZE;
    }
    if (options->max_sweeps == 0 || !eml_isfinite(options->tol) || !less(0.0f, options->tol)) {
        return EML_ERR_VALUE;
    }
    float *weights = model->weights;
    if (!options->warm_start) {
        for (uint32_t j = 0; j < p; j++) {
            weights[j] = 0.0f;
        }
    }
    const float n = (float)n_samples;
    fit_state s = {
        .X = X, .y = y, .n_samples = n_samples, .n_features = p,
        .gram = !options->no_gram && (uint64_t)p * p + p <= n_samples,
        .r = work, .l1 = model->alpha * model->l1_ratio * n,
        .l2 = model->alpha * eml_sub(1.0f, model->l1_ratio) * n,
    };
    /* means and norms after the residuals or the Gram matrix and z */
    const size_t used = s.gram ? (size_t)p * p + p : n_samples;
    s.means = work + used;
    s.norms = work + used + p;
    s.b = s.norms;
    prepare(&s);
    refresh(&s, weights);
    const float gap_tol = options->tol * s.y_norm2;
    /* With no L1 penalty the scaled residuals are not dual feasible and the
     * gap stays at the primal objective: the weight test decides alone. */
    const int use_gap = !eml_iszero(s.l1);
    /* Cycle detection (Brent's): a snapshot of the weights, taken at
     * doubling intervals, compared with the weights after each sweep. */
    float *snapshot = (float *)model->scratch;
    int have_snapshot = 0;
    uint32_t power = 1;
    uint32_t since = 0;
    /* The weight test's threshold, not below float32's resolution: the
     * weights change by a unit in their last place or two on every sweep
     * near the optimum. */
    const float change_tol = less(options->tol, EML_LINREG_RESOLUTION) ? EML_LINREG_RESOLUTION : options->tol;
    *converged = 0;
    uint32_t done = 0;
    while (done < options->max_sweeps) {
        float max_change, max_weight;
        sweep(&s, weights, &max_change, &max_weight);
        done++;
        if (s.gram) {
            /* as cheap as a sweep: no drift in z at all */
            refresh(&s, weights);
        }
        const int settled = eml_iszero(max_weight) || less(max_change, options->tol * max_weight);
        if (!settled && !less(max_change, change_tol * max_weight)) {
            have_snapshot = 0;
            continue;
        }
        if (!s.gram) {
            refresh(&s, weights);   /* the Gram form's z is, after every sweep */
        }
        if (use_gap ? at_most(duality_gap(&s, weights), gap_tol) : settled) {
            *converged = 1;
            break;
        }
        /* Not yet, but the weights have settled. Refreshed, the residuals
         * (or z) follow from the weights, which are then the whole state
         * of the descent: weights seen before mean a cycle, in which it
         * stays. Float32 does that near the optimum: a weight rounded by
         * one unit in its last place can move the gap by 10^-4 of |yc|^2
         * (on linnerud), more than tol, and no sweep can improve on the
         * cycle's weights. */
        if (have_snapshot && same_floats(snapshot, weights, p)) {
            *converged = 1;
            break;
        }
        if (!have_snapshot || since == power) {
            power = have_snapshot ? 2u * power : 1u;
            have_snapshot = 1;
            since = 0;
            for (uint32_t j = 0; j < p; j++) {
                snapshot[j] = weights[j];
            }
        }
        since++;
    }
    float offset = 0.0f;
    for (uint32_t j = 0; j < p; j++) {
        offset += s.means[j] * weights[j];
    }
    model->bias = eml_sub(s.y_mean, offset);
    *n_sweeps = done;
    return EML_OK;
}

/* emlearn-micropython's train(): its loop, its tests and its results. */
eml_status eml_linreg_train(eml_linreg *model, const float *X, const float *y, uint32_t n_samples,
    const eml_linreg_train_options *options, eml_linreg_train_result *result) {
    if (n_samples == 0) {
        return EML_ERR_SIZE;
    }
    if (options->max_iterations == 0 || options->check_interval == 0) {
        return EML_ERR_VALUE;
    }
    const float infinity = eml_bits_float(EML_EXP_MASK);
    float previous = infinity;
    uint32_t iteration = 0;
    eml_linreg_outcome outcome = EML_LINREG_RAN_OUT;
    for (; iteration < options->max_iterations; iteration++) {
        eml_linreg_step(model, X, y, n_samples);
        if (iteration % options->check_interval != 0) {
            continue;
        }
        const float mse = eml_linreg_mse(model, X, y, n_samples);
        if (options->report) {
            options->report(options->context, iteration, mse);
        }
        /* |inf - mse| is inf: no convergence at the first check */
        const float change = absf(eml_sub(previous, mse));
        int converged = less(change, options->tolerance) && iteration > 2u * options->check_interval;
        if (options->has_score_limit && at_most(mse, options->score_limit)) {
            converged = 1;
        }
        if (converged) {
            outcome = EML_LINREG_CONVERGED;
            break;
        }
        if (less(previous * options->divergence_factor, mse) || is_nan(mse)) {
            outcome = EML_LINREG_DIVERGED;
            break;
        }
        previous = mse;
    }
    /* emlearn returns the last iteration run and the error of the check
     * before the one that stopped the loop (inf if that was the first) */
    result->iteration = iteration < options->max_iterations ? iteration : options->max_iterations - 1;
    result->mse = previous;
    result->outcome = outcome;
    return EML_OK;
}
