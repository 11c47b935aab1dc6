/* Linear regression with elastic-net regularisation, trainable on the device.
 *
 * The model predicts y = bias + sum_j weights[j] * x[j] for float32 feature
 * vectors, and learns weights and bias from float32 rows X (n_samples rows
 * of n_features values, row after row) and targets y by minimising
 * scikit-learn's ElasticNet objective,
 *
 *     1/(2 n) |y - X w - b|^2 + alpha l1_ratio |w|_1 + alpha (1 - l1_ratio) / 2 |w|^2,
 *
 * (the bias is not penalised) in one of two ways:
 *
 *  - eml_linreg_step: one full-batch proximal gradient step with a fixed
 *    learning rate, the arithmetic of emlearn-micropython's emlearn_linreg,
 *    so a loop of steps gives the weights it gives;
 *  - eml_linreg_fit: cyclic coordinate descent on centred data, as
 *    scikit-learn's ElasticNet.fit does, stopping on the same duality-gap
 *    test: scikit-learn's solution, without a learning rate to tune, in a
 *    few dozen passes over the data where gradient steps take thousands.
 *
 * All arithmetic is single precision; on chips without an FPU the sums of
 * products go through a 64-bit integer accumulator (eml_wide_sum.h).
 */
#ifndef EML_LINREG_H
#define EML_LINREG_H

#include "eml_common.h"

/* Scratch a model needs, in 8-byte words: the step's gradient sums (16
 * bytes each where they are summed in eml_wide_sum.h's accumulator, 4
 * otherwise) and the fit's snapshot of the weights. */
#define EML_LINREG_SCRATCH_WORDS(n_features) (2u * (size_t)(n_features))

typedef struct {
    float *weights;         /* n_features */
    uint64_t *scratch;      /* EML_LINREG_SCRATCH_WORDS(n_features) */
    float bias;
    uint32_t n_features;
    float alpha;            /* overall penalty, >= 0 */
    float l1_ratio;         /* 0 (ridge) .. 1 (lasso) */
    float learning_rate;    /* of eml_linreg_step */
} eml_linreg;

/* Set up a model with zero weights and bias over the caller's arrays
 * (weights: n_features floats; scratch: EML_LINREG_SCRATCH_WORDS words).
 * EML_ERR_VALUE when n_features is 0, alpha or learning_rate is negative
 * or not finite, or l1_ratio is outside [0, 1]. */
eml_status eml_linreg_init(eml_linreg *model, float *weights, uint64_t *scratch, uint32_t n_features,
    float alpha, float l1_ratio, float learning_rate);

/* The prediction for one row of n_features values. */
float eml_linreg_predict(const eml_linreg *model, const float *x);

/* Predictions for n_samples rows into out (n_samples floats). */
void eml_linreg_predict_rows(const eml_linreg *model, const float *X, uint32_t n_samples, float *out);

/* Mean squared error of the predictions for n_samples rows against y;
 * n_samples > 0. */
float eml_linreg_mse(const eml_linreg *model, const float *X, const float *y, uint32_t n_samples);

/* One proximal gradient step over all n_samples rows (n_samples > 0):
 * gradient of the squared error and the L2 term, then soft thresholding
 * by learning_rate * alpha * l1_ratio for the L1 term. */
void eml_linreg_step(eml_linreg *model, const float *X, const float *y, uint32_t n_samples);

/* Floats of workspace eml_linreg_fit needs. */
#define EML_LINREG_FIT_WORK(n_samples, n_features) ((size_t)(n_samples) + 2u * (size_t)(n_features))

typedef struct {
    uint32_t max_sweeps;    /* passes over all features, at least 1 */
    float tol;              /* scikit-learn's tol, > 0 */
    int warm_start;         /* start from the model's weights, else from zero */
    int no_gram;            /* never the Gram form (see eml_linreg.c; for tests) */
} eml_linreg_fit_options;

/* Coordinate descent on n_samples rows (n_samples > 0), with work of
 * EML_LINREG_FIT_WORK floats (and the model's scratch).
 * Stops after a sweep where the largest weight change is below tol times
 * the largest weight and the duality gap is below tol * |y - mean(y)|^2,
 * as scikit-learn does (with l1_ratio or alpha 0 there is no usable gap,
 * and the weight test alone decides). Single precision has a floor: near
 * the optimum the weights end in a cycle a unit in their last place
 * apart, whose gap may stay above a small tol; the fit stops there too,
 * as converged, since no sweep can improve on them. *n_sweeps receives
 * the sweeps done and *converged whether a test passed; the weights and
 * bias are those of the last sweep either way. EML_ERR_SIZE when
 * n_samples is 0 or n_work is too small; EML_ERR_VALUE for a bad option. */
eml_status eml_linreg_fit(eml_linreg *model, const float *X, const float *y, uint32_t n_samples,
    float *work, size_t n_work, const eml_linreg_fit_options *options,
    uint32_t *n_sweeps, int *converged);

typedef enum {
    EML_LINREG_RAN_OUT,     /* max_iterations steps done */
    EML_LINREG_CONVERGED,
    EML_LINREG_DIVERGED,    /* the error grew by divergence_factor, or is NaN */
} eml_linreg_outcome;

typedef struct {
    uint32_t max_iterations;    /* at least 1 */
    uint32_t check_interval;    /* steps between error checks, at least 1 */
    float tolerance;            /* converged: the error changed less than this */
    float divergence_factor;
    int has_score_limit;        /* converged, too: the error is at most score_limit */
    float score_limit;
    /* called with the error at every check, when not NULL */
    void (*report)(void *context, uint32_t iteration, float mse);
    void *context;
} eml_linreg_train_options;

typedef struct {
    uint32_t iteration;     /* the last iteration run, from 0 */
    float mse;              /* the error at the check before the last (inf: none) */
    eml_linreg_outcome outcome;
} eml_linreg_train_result;

/* emlearn-micropython's train loop: steps, checking the mean squared error
 * on the training data every check_interval steps from the first; stops
 * when it changed by less than tolerance (and more than 2 check_intervals
 * have run) or reached score_limit, or when it grew past divergence_factor
 * times the last check's, or is NaN. EML_ERR_SIZE when n_samples is 0,
 * EML_ERR_VALUE for a zero max_iterations or check_interval. */
eml_status eml_linreg_train(eml_linreg *model, const float *X, const float *y, uint32_t n_samples,
    const eml_linreg_train_options *options, eml_linreg_train_result *result);

#endif /* EML_LINREG_H */
