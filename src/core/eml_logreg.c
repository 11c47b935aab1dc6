/* Multinomial logistic regression: see eml_logreg.h.
 *
 * Every quantity comes from one pass over the rows (data_pass): the
 * logits, their softmax, the cross-entropy from the log-softmax (exact for
 * confident predictions, where log(p) of a rounded p would not be) and,
 * when asked, the gradient. Compares go through the bit-pattern keys of
 * eml_common.h.
 */
#include "eml_logreg.h"
#include "eml_math.h"

/* Chips without an FPU sum the logits in the 64-bit accumulator of
 * eml_wide_sum.h: about 40 instructions per term where a float
 * multiply-add takes about 100, and rounded once (the host tests build
 * both ways). */
#ifndef EML_LOGREG_WIDE
#define EML_LOGREG_WIDE EML_SOFT_FLOAT
#endif
#if EML_LOGREG_WIDE
#include "eml_wide_sum.h"
#endif

static int finite_nonneg(float f) {
    return eml_isfinite(f) && eml_float_bits(f) < EML_SIGN_BIT;
}

static float absf(float f) {
    return eml_bits_float(eml_float_bits(f) & EML_ABS_MASK);
}

static int is_nan(float f) {
    return (eml_float_bits(f) & EML_ABS_MASK) > EML_EXP_MASK;
}

/* a <= b, false when either is NaN. */
static int at_most(float a, float b) {
    return !is_nan(a) && !is_nan(b) && eml_float_key(a) <= eml_float_key(b);
}

/* a < b, false when either is NaN. */
static int less(float a, float b) {
    return !is_nan(a) && !is_nan(b) && eml_float_key(a) < eml_float_key(b);
}

/* Soft thresholding: x moved toward 0 by t >= 0, and 0 within +-t. */
static float soft_threshold(float x, float t) {
    if (eml_float_key(absf(x)) <= eml_float_key(t)) {
        return 0.0f;
    }
    return eml_float_bits(x) < EML_SIGN_BIT ? eml_sub(x, t) : x + t;
}

eml_status eml_logreg_init(eml_logreg *model, float *params, float *work, uint32_t n_features,
    uint32_t n_classes, float learning_rate, float lambda_l2, float lambda_l1) {
    if (n_features == 0 || n_classes < 2 || !finite_nonneg(learning_rate) || !finite_nonneg(lambda_l2)
        || !finite_nonneg(lambda_l1)) {
        return EML_ERR_VALUE;
    }
    model->params = params;
    model->work = work;
    model->n_features = n_features;
    model->n_classes = n_classes;
    model->learning_rate = learning_rate;
    model->lambda_l2 = lambda_l2;
    model->lambda_l1 = lambda_l1;
    const size_t n_params = EML_LOGREG_PARAMS(n_features, n_classes);
    for (size_t i = 0; i < n_params; i++) {
        params[i] = 0.0f;
    }
    return EML_OK;
}

/* bias + sum_j w[j] x[j] in float arithmetic. */
static float logit_float(float bias, const float *w, const float *x, uint32_t p) {
    float sum = bias;
    for (uint32_t j = 0; j < p; j++) {
        sum += w[j] * x[j];
    }
    return sum;
}

#if EML_LOGREG_WIDE
/* The same in the accumulator; with a NaN or infinity among the operands,
 * in float. */
static float logit(float bias, const float *w, const float *x, uint32_t p) {
    eml_wide acc = eml_wide_start();
    eml_wide_add(&acc, bias, 1.0f);
    for (uint32_t j = 0; j < p; j++) {
        eml_wide_add(&acc, w[j], x[j]);
    }
    return eml_wide_special(&acc) ? logit_float(bias, w, x, p) : eml_wide_float(&acc);
}
#else
#define logit logit_float
#endif

/* z = biases + W x, with the parameters in params. */
static void logits_of(const eml_logreg *model, const float *params, const float *x, float *z) {
    const uint32_t p = model->n_features;
    const float *bias = params + (size_t)model->n_classes * p;
    for (uint32_t c = 0; c < model->n_classes; c++) {
        z[c] = logit(bias[c], params + (size_t)c * p, x, p);
    }
}

/* probabilities = softmax(z) of n values; returns the index of the first
 * largest logit and, unless log_sum is NULL, sets *log_sum to ln(sum of
 * e^(z[c] - max z)), the log-softmax's offset. A non-finite logit makes
 * every probability NaN. */
static uint32_t softmax(const float *z, float *probabilities, uint32_t n, float *log_sum) {
    uint32_t best = 0;
    int finite = 1;
    for (uint32_t c = 0; c < n; c++) {
        finite &= eml_isfinite(z[c]);
        if (eml_float_key(z[c]) > eml_float_key(z[best])) {
            best = c;
        }
    }
    if (!finite) {
        const float nan = eml_bits_float(0x7fc00000u);
        for (uint32_t c = 0; c < n; c++) {
            probabilities[c] = nan;
        }
        if (log_sum) {
            *log_sum = nan;
        }
        return 0;
    }
    const float top = z[best];
    float sum = 0.0f;
    for (uint32_t c = 0; c < n; c++) {
        probabilities[c] = eml_expf(eml_sub(z[c], top));
        sum += probabilities[c];
    }
    const float scale = 1.0f / sum;     /* sum >= 1: the top term is 1 */
    for (uint32_t c = 0; c < n; c++) {
        probabilities[c] *= scale;
    }
    if (log_sum) {
        *log_sum = eml_logf(sum);
    }
    return best;
}

uint32_t eml_logreg_predict(const eml_logreg *model, const float *x, float *probabilities, float *logits) {
    logits_of(model, model->params, x, logits);
    return softmax(logits, probabilities, model->n_classes, NULL);
}

/* The label of row i, or -1 for distribution targets. */
static int32_t label_of(const eml_logreg_targets *targets, uint32_t i) {
    switch (targets->kind) {
        case EML_LOGREG_LABELS_U8: return ((const uint8_t *)targets->data)[i];
        case EML_LOGREG_LABELS_I16: return ((const int16_t *)targets->data)[i];
        case EML_LOGREG_LABELS_U16: return ((const uint16_t *)targets->data)[i];
        default: return -1;
    }
}

eml_status eml_logreg_check_targets(const eml_logreg *model, const eml_logreg_targets *targets,
    uint32_t n_samples) {
    if (targets->kind == EML_LOGREG_DISTRIBUTIONS) {
        return EML_OK;
    }
    for (uint32_t i = 0; i < n_samples; i++) {
        const int32_t label = label_of(targets, i);
        if (label < 0 || (uint32_t)label >= model->n_classes) {
            return EML_ERR_VALUE;
        }
    }
    return EML_OK;
}

/* Compensated (Kahan) addition of v to *sum: the loss of thousands of rows
 * is compared across steps to a few units in its last place. */
static void add_compensated(float *sum, float *carry, float v) {
    const float y = eml_sub(v, *carry);
    const float t = *sum + y;
    *carry = eml_sub(eml_sub(t, *sum), y);
    *sum = t;
}

/* The mean cross-entropy over all rows for the parameters in params and,
 * when gradient is not NULL, its gradient (EML_LOGREG_PARAMS floats). */
static float data_pass(const eml_logreg *model, const float *params, const float *X,
    const eml_logreg_targets *targets, uint32_t n_samples, float *gradient) {
    const uint32_t p = model->n_features, k = model->n_classes;
    const size_t n_params = EML_LOGREG_PARAMS(p, k);
    float *z = eml_logreg_logits_buffer(model);
    float *prob = eml_logreg_probs_buffer(model);
    if (gradient) {
        for (size_t i = 0; i < n_params; i++) {
            gradient[i] = 0.0f;
        }
    }
    const float *t = targets->data;
    float loss = 0.0f, carry = 0.0f;
    for (uint32_t i = 0; i < n_samples; i++) {
        const float *x = X + (size_t)i * p;
        float log_sum;
        logits_of(model, params, x, z);
        const float top = z[softmax(z, prob, k, &log_sum)];
        const int32_t label = label_of(targets, i);
        /* cross-entropy: sum_c t_c (ln S + top - z_c), S = sum e^(z_c - top) */
        float row_loss;
        if (label >= 0) {
            row_loss = log_sum + eml_sub(top, z[label]);
        } else {
            const float *tc = t + (size_t)i * k;
            float mass = 0.0f, spread = 0.0f;
            for (uint32_t c = 0; c < k; c++) {
                mass += tc[c];
                spread += tc[c] * eml_sub(top, z[c]);
            }
            row_loss = mass * log_sum + spread;
        }
        add_compensated(&loss, &carry, row_loss);
        if (!gradient) {
            continue;
        }
        float *g = gradient;
        float *g_bias = gradient + (size_t)k * p;
        for (uint32_t c = 0; c < k; c++, g += p) {
            const float target = label >= 0 ? (label == (int32_t)c ? 1.0f : 0.0f) : t[(size_t)i * k + c];
            const float error = eml_sub(prob[c], target);
            g_bias[c] += error;
            for (uint32_t j = 0; j < p; j++) {
                g[j] += error * x[j];
            }
        }
    }
    const float inv_n = 1.0f / (float)n_samples;
    if (gradient) {
        for (size_t i = 0; i < n_params; i++) {
            gradient[i] *= inv_n;
        }
    }
    return loss * inv_n;
}

/* Sum of squares and of magnitudes of the n_weights weights. */
static void weight_norms(const float *w, size_t n_weights, float *squares, float *magnitudes) {
    float s2 = 0.0f, s1 = 0.0f;
    for (size_t i = 0; i < n_weights; i++) {
        s2 += w[i] * w[i];
        s1 += absf(w[i]);
    }
    *squares = s2;
    *magnitudes = s1;
}

static eml_status check_data(const eml_logreg *model, const eml_logreg_targets *targets, uint32_t n_samples) {
    return n_samples == 0 ? EML_ERR_SIZE : eml_logreg_check_targets(model, targets, n_samples);
}

eml_status eml_logreg_loss(const eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples, float *loss) {
    const eml_status status = check_data(model, targets, n_samples);
    if (status != EML_OK) {
        return status;
    }
    float squares, magnitudes;
    weight_norms(model->params, (size_t)model->n_classes * model->n_features, &squares, &magnitudes);
    *loss = data_pass(model, model->params, X, targets, n_samples, NULL)
        + 0.5f * model->lambda_l2 * squares + model->lambda_l1 * magnitudes;
    return EML_OK;
}

eml_status eml_logreg_step(eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples) {
    const eml_status status = check_data(model, targets, n_samples);
    if (status != EML_OK) {
        return status;
    }
    float *g = model->work;
    data_pass(model, model->params, X, targets, n_samples, g);
    const size_t n_weights = (size_t)model->n_classes * model->n_features;
    const size_t n_params = EML_LOGREG_PARAMS(model->n_features, model->n_classes);
    const float rate = model->learning_rate;
    const float threshold = rate * model->lambda_l1;
    float *w = model->params;
    for (size_t i = 0; i < n_weights; i++) {
        const float updated = eml_sub(w[i], rate * (g[i] + model->lambda_l2 * w[i]));
        w[i] = soft_threshold(updated, threshold);
    }
    for (size_t i = n_weights; i < n_params; i++) {
        w[i] = eml_sub(w[i], rate * g[i]);
    }
    return EML_OK;
}

/* The smooth part of the objective (cross-entropy and L2 term) at params,
 * and its gradient. */
static float smooth_part(const eml_logreg *model, const float *params, const float *X,
    const eml_logreg_targets *targets, uint32_t n_samples, float *gradient) {
    const size_t n_weights = (size_t)model->n_classes * model->n_features;
    float value = data_pass(model, params, X, targets, n_samples, gradient);
    float squares, magnitudes;
    weight_norms(params, n_weights, &squares, &magnitudes);
    if (gradient) {
        for (size_t i = 0; i < n_weights; i++) {
            gradient[i] += model->lambda_l2 * params[i];
        }
    }
    return value + 0.5f * model->lambda_l2 * squares;
}

/* A step size below 1/L, L the gradient's Lipschitz constant: the
 * cross-entropy's Hessian is at most 1/2 (X~^T X~)/n per class block, X~
 * the rows with a 1 for the bias, whose largest eigenvalue is at most its
 * trace, the mean of |x~|^2. */
static float safe_step(const eml_logreg *model, const float *X, uint32_t n_samples) {
    const uint32_t p = model->n_features;
    float sum = 0.0f, carry = 0.0f;
    for (uint32_t i = 0; i < n_samples; i++) {
        const float *x = X + (size_t)i * p;
        float row = 1.0f;
        for (uint32_t j = 0; j < p; j++) {
            row += x[j] * x[j];
        }
        add_compensated(&sum, &carry, row);
    }
    return 1.0f / (0.5f * sum / (float)n_samples + model->lambda_l2);
}

/* Backtracking: halve the step at most this often per iteration (2^-40
 * of the step that last worked) before giving up. */
#define EML_LOGREG_MAX_HALVINGS 40
/* Grow the step by this after every iteration, to find the largest
 * that works (the safe bound above may be far below it). */
#define EML_LOGREG_GROWTH 1.1f

eml_status eml_logreg_fit(eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples, float *work, size_t n_work, const eml_logreg_fit_options *options,
    uint32_t *n_iter, int *converged) {
    *n_iter = 0;
    *converged = 0;
    const eml_status status = check_data(model, targets, n_samples);
    if (status != EML_OK) {
        return status;
    }
    if (options->max_iter == 0 || !finite_nonneg(options->tol) || eml_iszero(options->tol)) {
        return EML_ERR_VALUE;
    }
    const uint32_t p = model->n_features, k = model->n_classes;
    if (n_work < EML_LOGREG_FIT_WORK(p, k)) {
        return EML_ERR_SIZE;
    }
    const size_t n_params = EML_LOGREG_PARAMS(p, k), n_weights = (size_t)k * p;
    float *x = model->params, *g = model->work;
    float *y = work, *next = work + n_params;
    if (!options->warm_start) {
        for (size_t i = 0; i < n_params; i++) {
            x[i] = 0.0f;
        }
    }
    for (size_t i = 0; i < n_params; i++) {
        y[i] = x[i];
    }
    const float l1 = model->lambda_l1;
    float step = safe_step(model, X, n_samples);
    float squares, magnitudes;
    weight_norms(x, n_weights, &squares, &magnitudes);
    float objective = smooth_part(model, x, X, targets, n_samples, NULL) + l1 * magnitudes;
    uint32_t since_restart = 0;
    for (uint32_t iter = 1; iter <= options->max_iter; iter++) {
        const float f_y = smooth_part(model, y, X, targets, n_samples, g);
        /* rounding slack in the sufficient-decrease test: near the optimum
         * the decrease is below the loss's last place */
        const float slack = absf(f_y) * (1.0f / 1048576.0f);
        float f_next, largest_move;
        for (uint32_t halvings = 0;; halvings++) {
            const float threshold = step * l1;
            float moved2 = 0.0f, along = 0.0f;
            largest_move = 0.0f;
            for (size_t i = 0; i < n_params; i++) {
                float v = eml_sub(y[i], step * g[i]);
                if (i < n_weights) {
                    v = soft_threshold(v, threshold);
                }
                next[i] = v;
                const float d = eml_sub(v, y[i]);
                moved2 += d * d;
                along += g[i] * d;
                if (eml_float_bits(absf(d)) > eml_float_bits(largest_move)) {
                    largest_move = absf(d);
                }
            }
            f_next = smooth_part(model, next, X, targets, n_samples, NULL);
            const float bound = f_y + along + moved2 / (2.0f * step) + slack;
            if (at_most(f_next, bound)) {
                break;
            }
            if (halvings == EML_LOGREG_MAX_HALVINGS) {
                /* no decrease at any step: rounding (or NaN) rules */
                *converged = at_most(largest_move / step, options->tol);
                return EML_OK;
            }
            step *= 0.5f;
        }
        const float mapping = largest_move / step;     /* largest gradient-mapping component */
        weight_norms(next, n_weights, &squares, &magnitudes);
        const float next_objective = f_next + l1 * magnitudes;
        /* momentum (k - 1) / (k + 2), restarted when the objective rises by
         * more than rounding (a restart on rounding noise near the optimum
         * would leave plain gradient steps for the last digits) */
        const float rise_slack = absf(objective) * (1.0f / 1048576.0f);
        since_restart = at_most(next_objective, objective + rise_slack) ? since_restart + 1 : 0;
        const float beta = (float)since_restart / (float)(since_restart + 3u);
        for (size_t i = 0; i < n_params; i++) {
            const float v = next[i];
            y[i] = v + beta * eml_sub(v, x[i]);
            x[i] = v;
        }
        objective = next_objective;
        *n_iter = iter;
        if (at_most(mapping, options->tol)) {
            *converged = 1;
            break;
        }
        step *= EML_LOGREG_GROWTH;
    }
    return EML_OK;
}

void eml_logreg_monitor_start(eml_logreg_monitor *monitor) {
    monitor->previous = 0.0f;
    monitor->checked = 0;
}

eml_logreg_outcome eml_logreg_monitor_check(eml_logreg_monitor *monitor, const eml_logreg_train_options *options,
    uint32_t iteration, float loss) {
    if (options->report) {
        options->report(options->context, iteration, loss);
    }
    /* emlearn: no change measured at the first check */
    const int settled = monitor->checked && less(absf(eml_sub(monitor->previous, loss)), options->tolerance)
        && iteration > 2u * options->check_interval;
    if (settled || (options->has_score_limit && at_most(loss, options->score_limit))) {
        return EML_LOGREG_CONVERGED;
    }
    if (is_nan(loss) || (monitor->checked && less(monitor->previous * options->divergence_factor, loss))) {
        return EML_LOGREG_DIVERGED;
    }
    monitor->previous = loss;
    monitor->checked = 1;
    return EML_LOGREG_RAN_OUT;
}

eml_status eml_logreg_train(eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples, const eml_logreg_train_options *options, eml_logreg_train_result *result) {
    const eml_status status = check_data(model, targets, n_samples);
    if (status != EML_OK) {
        return status;
    }
    if (options->max_iterations == 0 || options->check_interval == 0) {
        return EML_ERR_VALUE;
    }
    eml_logreg_monitor monitor;
    eml_logreg_monitor_start(&monitor);
    int has_loss = 0;
    eml_logreg_outcome outcome = EML_LOGREG_RAN_OUT;
    uint32_t iteration = 0;
    while (outcome == EML_LOGREG_RAN_OUT && iteration < options->max_iterations) {
        eml_logreg_step(model, X, targets, n_samples);
        iteration++;
        if (iteration % options->check_interval == 0) {
            eml_logreg_loss(model, X, targets, n_samples, &result->loss);
            has_loss = 1;
            outcome = eml_logreg_monitor_check(&monitor, options, iteration, result->loss);
        }
    }
    if (!has_loss) {
        eml_logreg_loss(model, X, targets, n_samples, &result->loss);
    }
    result->iterations = iteration;
    result->outcome = outcome;
    return EML_OK;
}
