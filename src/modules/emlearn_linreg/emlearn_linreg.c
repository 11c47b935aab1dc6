/* emlearn_linreg: elastic-net linear regression, trained on the device, with
 * the API of emlearn-micropython's module.
 *
 *     model = emlearn_linreg.new(n_features, alpha, l1_ratio, learning_rate)
 *     emlearn_linreg.train(model, X, y, max_iterations=100, tolerance=1e-6,
 *         check_interval=10, divergence_factor=10.0, score_limit=None, verbose=0)
 *     model.step(X, y)                      # one gradient step
 *     n_iter, converged = model.fit(X, y, max_iter=1000, tol=1e-4, warm_start=False)
 *     y_hat = model.predict(x)              # one row: a float
 *     model.predict(X, out)                 # many rows into out
 *     mse = model.score_mse(X, y)
 *     model.get_weights(out), model.set_weights(w), model.get_bias(), model.set_bias(b),
 *     model.get_n_features()
 *
 * X holds rows of n_features values one after the other, y one target per
 * row; every array is array('f'). train and step follow emlearn's gradient
 * descent; fit is scikit-learn's coordinate descent (eml_linreg.h).
 */
#include "eml_binding.h"
#include "eml_linreg.h"

typedef struct {
    mp_obj_base_t base;
    eml_linreg model;
    uint64_t storage[];     /* scratch (EML_LINREG_SCRATCH_WORDS), then the weights */
} linreg_obj_t;

EML_DECLARE_TYPE(linreg_type);

/* new(n_features, alpha, l1_ratio, learning_rate): a model with zero weights. */
static mp_obj_t linreg_new(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    const mp_int_t n_features = eml_get_int_in(args[0], 1, 65535, MP_ERROR_TEXT("n_features must be 1 to 65535"));
    const float alpha = eml_get_float(args[1]);
    const float l1_ratio = eml_get_float(args[2]);
    const float learning_rate = eml_get_float(args[3]);
    /* the settings checked on a one-feature model first: a bad one is a
     * ValueError, not a MemoryError for a large model on a small board */
    eml_linreg check;
    float check_weight;
    uint64_t check_scratch[EML_LINREG_SCRATCH_WORDS(1)];
    if (eml_linreg_init(&check, &check_weight, check_scratch, 1, alpha, l1_ratio, learning_rate) != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("alpha and learning_rate must be finite and >= 0, l1_ratio 0 to 1"));
    }
    const size_t scratch_words = EML_LINREG_SCRATCH_WORDS(n_features);
    linreg_obj_t *self = mp_obj_malloc_var(linreg_obj_t, storage, uint64_t,
        scratch_words + ((size_t)n_features + 1) / 2, EML_TYPE_PTR(linreg_type));
    eml_linreg_init(&self->model, (float *)(self->storage + scratch_words), self->storage,
        (uint32_t)n_features, alpha, l1_ratio, learning_rate);
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(linreg_new_obj, 4, 4, linreg_new);

/* The floats of array('f') obj, and their number. */
static float *get_floats(mp_obj_t obj, mp_uint_t flags, size_t *n, mp_rom_error_text_t message) {
    return eml_get_items(obj, flags, "f", sizeof(float), n, message);
}

static linreg_obj_t *get_model(mp_obj_t obj) {
    if (!mp_obj_is_type(obj, EML_TYPE_PTR(linreg_type))) {
        mp_raise_TypeError(MP_ERROR_TEXT("model must be made by emlearn_linreg.new"));
    }
    return MP_OBJ_TO_PTR(obj);
}

/* Training data: X of n_features values per target in y, at least one row.
 * Returns the number of rows. */
static uint32_t get_data(const linreg_obj_t *self, mp_obj_t X_obj, mp_obj_t y_obj, const float **X,
    const float **y) {
    size_t n_values, n_targets;
    *X = get_floats(X_obj, MP_BUFFER_READ, &n_values, MP_ERROR_TEXT("X and y must be array('f')"));
    *y = get_floats(y_obj, MP_BUFFER_READ, &n_targets, MP_ERROR_TEXT("X and y must be array('f')"));
    const size_t p = self->model.n_features;
    if (n_targets == 0 || n_values / p != n_targets || n_values % p != 0 || n_targets > UINT32_MAX) {
        mp_raise_ValueError(MP_ERROR_TEXT("X must hold n_features values for each of the targets in y, at least one"));
    }
    return (uint32_t)n_targets;
}

/* step(X, y): one gradient step on all rows. */
static mp_obj_t linreg_step(mp_obj_t self_obj, mp_obj_t X_obj, mp_obj_t y_obj) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const float *X, *y;
    const uint32_t n = get_data(self, X_obj, y_obj, &X, &y);
    eml_linreg_step(&self->model, X, y, n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(linreg_step_obj, linreg_step);

/* score_mse(X, y): the mean squared error of the predictions. */
static mp_obj_t linreg_score_mse(mp_obj_t self_obj, mp_obj_t X_obj, mp_obj_t y_obj) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const float *X, *y;
    const uint32_t n = get_data(self, X_obj, y_obj, &X, &y);
    return mp_obj_new_float_from_f(eml_linreg_mse(&self->model, X, y, n));
}
static MP_DEFINE_CONST_FUN_OBJ_3(linreg_score_mse_obj, linreg_score_mse);

/* predict(x): the prediction for one row, a float. predict(X, out): the
 * predictions for every row of X into out, one per row. */
static mp_obj_t linreg_predict(size_t n_args, const mp_obj_t *args) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    const size_t p = self->model.n_features;
    size_t n_values;
    const float *X = get_floats(args[1], MP_BUFFER_READ, &n_values, MP_ERROR_TEXT("inputs must be array('f')"));
    if (n_args == 2) {
        if (n_values != p) {
            mp_raise_ValueError(MP_ERROR_TEXT("inputs must hold n_features values"));
        }
        return mp_obj_new_float_from_f(eml_linreg_predict(&self->model, X));
    }
    size_t n_out;
    float *out = get_floats(args[2], MP_BUFFER_WRITE, &n_out, MP_ERROR_TEXT("outputs must be array('f')"));
    if (n_values / p != n_out || n_values % p != 0 || n_out > UINT32_MAX) {
        mp_raise_ValueError(MP_ERROR_TEXT("inputs must hold n_features values for each output"));
    }
    eml_linreg_predict_rows(&self->model, X, (uint32_t)n_out, out);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(linreg_predict_obj, 2, 3, linreg_predict);

/* fit(X, y, max_iter=1000, tol=1e-4, warm_start=False): coordinate descent
 * to scikit-learn's ElasticNet solution. Returns (sweeps, converged). */
static mp_obj_t linreg_fit(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_self, ARG_X, ARG_y, ARG_max_iter, ARG_tol, ARG_warm_start };
    /* Built at call time: in a native module qstrs are not compile-time constants. */
    const mp_arg_t allowed[] = {
        { MP_QSTR_self, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_X, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_y, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_max_iter, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_tol, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_warm_start, MP_ARG_BOOL, {.u_bool = false} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    linreg_obj_t *self = get_model(args[ARG_self].u_obj);
    const float *X, *y;
    const uint32_t n = get_data(self, args[ARG_X].u_obj, args[ARG_y].u_obj, &X, &y);
    eml_linreg_fit_options options = { .max_sweeps = 1000, .tol = 1e-4f, .warm_start = args[ARG_warm_start].u_bool };
    if (args[ARG_max_iter].u_obj != MP_OBJ_NULL) {
        options.max_sweeps = (uint32_t)eml_get_int_in(args[ARG_max_iter].u_obj, 1, 0x3fffffff,
            MP_ERROR_TEXT("max_iter must be at least 1"));
    }
    if (args[ARG_tol].u_obj != MP_OBJ_NULL) {
        options.tol = eml_get_float(args[ARG_tol].u_obj);
    }
    const size_t n_work = EML_LINREG_FIT_WORK(n, self->model.n_features);
    if (n_work > SIZE_MAX / sizeof(float)) {
        mp_raise_ValueError(MP_ERROR_TEXT("too many rows for this port's memory"));
    }
    float *work = m_new(float, n_work);
    uint32_t sweeps;
    int converged;
    eml_status status = eml_linreg_fit(&self->model, X, y, n, work, n_work, &options, &sweeps, &converged);
    m_del(float, work, n_work);
    if (status != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("tol must be finite and > 0"));
    }
    mp_obj_t result[2] = { mp_obj_new_int_from_uint(sweeps), mp_obj_new_bool(converged) };
    return mp_obj_new_tuple(2, result);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(linreg_fit_obj, 3, linreg_fit);

/* The weights array('f') of exactly n_features values. */
static float *get_weights_array(const linreg_obj_t *self, mp_obj_t obj, mp_uint_t flags) {
    size_t n;
    float *w = get_floats(obj, flags, &n, MP_ERROR_TEXT("weights must be array('f')"));
    if (n != self->model.n_features) {
        mp_raise_ValueError(MP_ERROR_TEXT("weights must hold n_features values"));
    }
    return w;
}

static mp_obj_t linreg_get_weights(mp_obj_t self_obj, mp_obj_t out_obj) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    float *out = get_weights_array(self, out_obj, MP_BUFFER_WRITE);
    for (uint32_t j = 0; j < self->model.n_features; j++) {
        out[j] = self->model.weights[j];
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(linreg_get_weights_obj, linreg_get_weights);

static mp_obj_t linreg_set_weights(mp_obj_t self_obj, mp_obj_t weights_obj) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const float *w = get_weights_array(self, weights_obj, MP_BUFFER_READ);
    for (uint32_t j = 0; j < self->model.n_features; j++) {
        self->model.weights[j] = w[j];
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(linreg_set_weights_obj, linreg_set_weights);

static mp_obj_t linreg_get_bias(mp_obj_t self_obj) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    return mp_obj_new_float_from_f(self->model.bias);
}
static MP_DEFINE_CONST_FUN_OBJ_1(linreg_get_bias_obj, linreg_get_bias);

static mp_obj_t linreg_set_bias(mp_obj_t self_obj, mp_obj_t bias_obj) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    self->model.bias = eml_get_float(bias_obj);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(linreg_set_bias_obj, linreg_set_bias);

static mp_obj_t linreg_get_n_features(mp_obj_t self_obj) {
    linreg_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    return MP_OBJ_NEW_SMALL_INT(self->model.n_features);
}
static MP_DEFINE_CONST_FUN_OBJ_1(linreg_get_n_features_obj, linreg_get_n_features);

/* train()'s verbose=2 lines, as emlearn prints them. */
static void print_check(void *context, uint32_t iteration, float mse) {
    (void)context;
    mp_printf(&mp_plat_print, "emlearn_linreg: Iteration %u mse=%g\n", (unsigned)iteration, (double)mse);
}

/* train(model, X, y, max_iterations=100, tolerance=1e-6, check_interval=10,
 * divergence_factor=10.0, score_limit=None, verbose=0): gradient steps until
 * the error settles or grows; emlearn's loop (eml_linreg_train). Returns
 * (last iteration, error at the check before the last). */
static mp_obj_t linreg_train(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_model, ARG_X, ARG_y, ARG_max_iterations, ARG_tolerance, ARG_check_interval,
           ARG_divergence_factor, ARG_score_limit, ARG_verbose };
    const mp_arg_t allowed[] = {
        { MP_QSTR_model, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_X_train, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_y_train, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_max_iterations, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_tolerance, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_check_interval, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_divergence_factor, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_score_limit, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_verbose, MP_ARG_INT, {.u_int = 0} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    linreg_obj_t *self = get_model(args[ARG_model].u_obj);
    const float *X, *y;
    const uint32_t n = get_data(self, args[ARG_X].u_obj, args[ARG_y].u_obj, &X, &y);
    eml_linreg_train_options options = {
        .max_iterations = 100, .check_interval = 10, .tolerance = 1e-6f, .divergence_factor = 10.0f,
    };
    if (args[ARG_max_iterations].u_obj != MP_OBJ_NULL) {
        options.max_iterations = (uint32_t)eml_get_int_in(args[ARG_max_iterations].u_obj, 1, 0x3fffffff,
            MP_ERROR_TEXT("max_iterations and check_interval must be at least 1"));
    }
    if (args[ARG_check_interval].u_obj != MP_OBJ_NULL) {
        options.check_interval = (uint32_t)eml_get_int_in(args[ARG_check_interval].u_obj, 1, 0x3fffffff,
            MP_ERROR_TEXT("max_iterations and check_interval must be at least 1"));
    }
    if (args[ARG_tolerance].u_obj != MP_OBJ_NULL) {
        options.tolerance = eml_get_float(args[ARG_tolerance].u_obj);
    }
    if (args[ARG_divergence_factor].u_obj != MP_OBJ_NULL) {
        options.divergence_factor = eml_get_float(args[ARG_divergence_factor].u_obj);
    }
    if (args[ARG_score_limit].u_obj != mp_const_none) {
        options.has_score_limit = 1;
        options.score_limit = eml_get_float(args[ARG_score_limit].u_obj);
    }
    const mp_int_t verbose = args[ARG_verbose].u_int;
    if (verbose >= 2) {
        options.report = print_check;
    }
    eml_linreg_train_result result;
    eml_linreg_train(&self->model, X, y, n, &options, &result);
    if (verbose >= 1 && result.outcome != EML_LINREG_RAN_OUT) {
        mp_printf(&mp_plat_print, result.outcome == EML_LINREG_CONVERGED
            ? "emlearn_linreg: Converged at iteration %u\n" : "emlearn_linreg: Diverged at iteration %u\n",
            (unsigned)result.iteration);
    }
    mp_obj_t items[2] = { mp_obj_new_int_from_uint(result.iteration), mp_obj_new_float_from_f(result.mse) };
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(linreg_train_obj, 3, linreg_train);

#define LINREG_LOCALS(X) \
    X(MP_QSTR_predict, linreg_predict_obj) X(MP_QSTR_step, linreg_step_obj) \
    X(MP_QSTR_fit, linreg_fit_obj) X(MP_QSTR_score_mse, linreg_score_mse_obj) \
    X(MP_QSTR_get_weights, linreg_get_weights_obj) X(MP_QSTR_set_weights, linreg_set_weights_obj) \
    X(MP_QSTR_get_bias, linreg_get_bias_obj) X(MP_QSTR_set_bias, linreg_set_bias_obj) \
    X(MP_QSTR_get_n_features, linreg_get_n_features_obj)
EML_DEFINE_TYPE(linreg_type, MP_QSTR_Model, LINREG_LOCALS)

#define LINREG_GLOBALS(X) X(MP_QSTR_new, linreg_new_obj) X(MP_QSTR_train, linreg_train_obj)
#define LINREG_TYPES(X) X(linreg_type)
EML_DEFINE_MODULE(emlearn_linreg, LINREG_GLOBALS, LINREG_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_linreg, emlearn_linreg_user_cmodule);
#endif
