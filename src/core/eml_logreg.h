/* Multinomial logistic regression, trainable on the device.
 *
 * For a float32 feature vector x of n_features values the model computes
 * one logit per class, z[c] = bias[c] + sum_j W[c][j] x[j], and the class
 * probabilities p = softmax(z), as scikit-learn's LogisticRegression does
 * for multinomial models (predict_proba). It learns W and the biases from
 * rows X (n_samples rows of n_features values, row after row) and targets
 * (per row: a class label, or a distribution over the classes such as a
 * one-hot row) by minimising
 *
 *     mean cross-entropy + lambda_l2 / 2 |W|^2 + lambda_l1 |W|_1
 *
 * (the biases are not penalised), which is scikit-learn's objective with
 * lambda_l2 = 1 / (C n_samples) for penalty="l2", and for "elasticnet"
 * lambda_l1 = l1_ratio / (C n_samples), lambda_l2 = (1 - l1_ratio) / (C n_samples).
 * Two ways:
 *
 *  - eml_logreg_step: one full-batch proximal gradient step with a fixed
 *    learning rate, the arithmetic of emlearn-micropython's emlearn_logreg
 *    (with an exact softmax where it approximates e^x);
 *  - eml_logreg_fit: accelerated proximal gradient (FISTA) with a step
 *    size found by backtracking and momentum restarts, to the optimum
 *    without a learning rate to tune.
 *
 * The parameters live in one caller array of EML_LOGREG_PARAMS floats: W
 * class after class (scikit-learn's coef_, row after row), then the biases
 * (intercept_). All arithmetic is single precision.
 */
#ifndef EML_LOGREG_H
#define EML_LOGREG_H

#include "eml_common.h"

/* Floats of the parameters: n_classes rows of n_features weights, then
 * n_classes biases. */
#define EML_LOGREG_PARAMS(n_features, n_classes) ((size_t)(n_classes) * ((size_t)(n_features) + 1u))

/* Floats of work a model needs: a gradient of EML_LOGREG_PARAMS floats,
 * then logits and probabilities for one row. */
#define EML_LOGREG_WORK(n_features, n_classes) \
    (EML_LOGREG_PARAMS(n_features, n_classes) + 2u * (size_t)(n_classes))

typedef struct {
    float *params;          /* EML_LOGREG_PARAMS: weights, then biases */
    float *work;            /* EML_LOGREG_WORK */
    uint32_t n_features;
    uint32_t n_classes;     /* at least 2 */
    float learning_rate;    /* of eml_logreg_step */
    float lambda_l2;
    float lambda_l1;
} eml_logreg;

/* Targets of n_samples rows: one class label per row (uint8, int16 or
 * uint16), or n_classes floats per row (a one-hot row, or any
 * distribution over the classes). */
typedef enum {
    EML_LOGREG_LABELS_U8,
    EML_LOGREG_LABELS_I16,
    EML_LOGREG_LABELS_U16,
    EML_LOGREG_DISTRIBUTIONS,
} eml_logreg_target_kind;

typedef struct {
    const void *data;
    eml_logreg_target_kind kind;
} eml_logreg_targets;

/* Set up a model with zero parameters over the caller's arrays.
 * EML_ERR_VALUE when n_features is 0, n_classes below 2, or a setting
 * negative or not finite. */
eml_status eml_logreg_init(eml_logreg *model, float *params, float *work, uint32_t n_features,
    uint32_t n_classes, float learning_rate, float lambda_l2, float lambda_l1);

/* The weights of class c (n_features floats) and the biases. */
static inline float *eml_logreg_weights(const eml_logreg *model, uint32_t c) {
    return model->params + (size_t)c * model->n_features;
}
static inline float *eml_logreg_biases(const eml_logreg *model) {
    return model->params + (size_t)model->n_classes * model->n_features;
}

/* Logits and probabilities of one row (n_classes floats each, which may
 * be the model's own work: eml_logreg_logits_buffer and _probs_buffer).
 * Returns the most probable class, the first of equals; NaN or infinite
 * inputs give NaN probabilities and class 0. */
uint32_t eml_logreg_predict(const eml_logreg *model, const float *x, float *probabilities, float *logits);

static inline float *eml_logreg_logits_buffer(const eml_logreg *model) {
    return model->work + EML_LOGREG_PARAMS(model->n_features, model->n_classes);
}
static inline float *eml_logreg_probs_buffer(const eml_logreg *model) {
    return eml_logreg_logits_buffer(model) + model->n_classes;
}

/* EML_ERR_VALUE when a label is not a class (negative, or n_classes or
 * more). Distributions are not checked: any floats give a gradient. */
eml_status eml_logreg_check_targets(const eml_logreg *model, const eml_logreg_targets *targets,
    uint32_t n_samples);

/* The objective for n_samples rows (mean cross-entropy and penalties).
 * EML_ERR_SIZE when n_samples is 0, EML_ERR_VALUE for a bad label. */
eml_status eml_logreg_loss(const eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples, float *loss);

/* One proximal gradient step over all n_samples rows: the mean gradient
 * of the cross-entropy plus lambda_l2 W, then soft thresholding of W by
 * learning_rate * lambda_l1. Errors as eml_logreg_loss, with the model
 * unchanged. */
eml_status eml_logreg_step(eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples);

/* Floats of workspace eml_logreg_fit needs beside the model's work. */
#define EML_LOGREG_FIT_WORK(n_features, n_classes) (2u * EML_LOGREG_PARAMS(n_features, n_classes))

typedef struct {
    uint32_t max_iter;      /* at least 1 */
    float tol;              /* > 0 */
    int warm_start;         /* start from the model's parameters, else from zero */
} eml_logreg_fit_options;

/* Accelerated proximal gradient from zero (or the current parameters)
 * until the largest component of the gradient mapping (the gradient, for
 * lambda_l1 0; scikit-learn's lbfgs stops on the same measure) is at most
 * tol. *n_iter receives the iterations run, *converged whether the test
 * passed; the parameters are the last iteration's either way. Errors as
 * eml_logreg_loss, and EML_ERR_SIZE when n_work is too small,
 * EML_ERR_VALUE for a bad option. */
eml_status eml_logreg_fit(eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples, float *work, size_t n_work, const eml_logreg_fit_options *options,
    uint32_t *n_iter, int *converged);

typedef enum {
    EML_LOGREG_RAN_OUT,     /* max_iterations steps done */
    EML_LOGREG_CONVERGED,
    EML_LOGREG_DIVERGED,    /* the loss grew by divergence_factor, or is NaN */
} eml_logreg_outcome;

typedef struct {
    uint32_t max_iterations;    /* at least 1 */
    uint32_t check_interval;    /* steps between loss checks, at least 1 */
    float tolerance;            /* converged: the loss changed less than this */
    float divergence_factor;
    int has_score_limit;        /* converged, too: the loss is at most score_limit */
    float score_limit;
    /* called with the loss at every check, when not NULL */
    void (*report)(void *context, uint32_t iteration, float loss);
    void *context;
} eml_logreg_train_options;

typedef struct {
    uint32_t iterations;    /* steps run */
    float loss;             /* at the last check (or after the last step, if none) */
    eml_logreg_outcome outcome;
} eml_logreg_train_result;

/* emlearn-micropython's train loop: steps, checking the loss on the
 * training data after every check_interval-th step; stops when it changed
 * by less than tolerance (after more than 2 check_intervals) or reached
 * score_limit, or when it grew past divergence_factor times the last
 * check's, or is NaN. Errors as eml_logreg_step; EML_ERR_VALUE for a zero
 * max_iterations or check_interval. */
eml_status eml_logreg_train(eml_logreg *model, const float *X, const eml_logreg_targets *targets,
    uint32_t n_samples, const eml_logreg_train_options *options, eml_logreg_train_result *result);

/* The stopping rules of eml_logreg_train on their own, for loops that
 * step through data of their own (batches): start with _monitor_start,
 * pass the loss at every check to _monitor_check, which returns
 * EML_LOGREG_RAN_OUT to go on or the outcome to stop with. */
typedef struct {
    float previous;     /* the loss at the check before, once checked */
    int checked;
} eml_logreg_monitor;

void eml_logreg_monitor_start(eml_logreg_monitor *monitor);
eml_logreg_outcome eml_logreg_monitor_check(eml_logreg_monitor *monitor, const eml_logreg_train_options *options,
    uint32_t iteration, float loss);

#endif /* EML_LOGREG_H */
