/* emlearn_logreg: multinomial logistic regression, trained on the device,
 * with the API of emlearn-micropython's module.
 *
 *     model = emlearn_logreg.new(n_features, n_classes, learning_rate, lambda_l2, lambda_l1)
 *     emlearn_logreg.train(model, X, y, max_iterations=200, tolerance=1e-4,
 *         check_interval=5, divergence_factor=2.0, score_limit=None, verbose=0)
 *     emlearn_logreg.train_batches(model, batch_iter_factory, ..., score_batches=None)
 *     model.step(X, y[, logits, probabilities, bias_gradients])    # one gradient step
 *     n_iter, converged = model.fit(X, y, max_iter=1000, tol=1e-4, warm_start=False)
 *     c = model.predict(x[, probabilities[, logits]])                # the class, an int
 *     loss = model.score_logloss(X, y[, logits, probabilities])
 *     model.get_weights(out), model.set_weights(w), model.get_bias([out]),
 *     model.set_bias(b), model.get_n_features(), model.get_n_classes()
 *
 * X holds rows of n_features floats one after the other, array('f'); y
 * holds a class label per row (array('B'), bytes, bytearray, array('h'),
 * array('H')) or n_classes floats per row (array('f'), one-hot rows as
 * emlearn-micropython takes them). The optional buffers of step, predict
 * and score_logloss are array('f') of n_classes, filled as emlearn's are
 * (the last row's logits and probabilities, the step's bias gradient).
 */
#include "eml_binding.h"
#include "eml_logreg.h"

typedef struct {
    mp_obj_base_t base;
    eml_logreg model;
    float storage[];        /* parameters (EML_LOGREG_PARAMS), then work (EML_LOGREG_WORK) */
} logreg_obj_t;

EML_DECLARE_TYPE(logreg_type);

/* new(n_features, n_classes, learning_rate, lambda_l2, lambda_l1): a model
 * with zero parameters. */
static mp_obj_t logreg_new(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    const mp_int_t p = eml_get_int_in(args[0], 1, 65535, MP_ERROR_TEXT("n_features must be 1 to 65535"));
    /* at most 1024 classes: the storage below stays under 2^29 bytes, so
     * its size cannot overflow a 32-bit size_t (a large model that does
     * not fit is the allocator's MemoryError) */
    const mp_int_t k = eml_get_int_in(args[1], 2, 1024, MP_ERROR_TEXT("n_classes must be 2 to 1024"));
    const float rate = eml_get_float(args[2]);
    const float l2 = eml_get_float(args[3]);
    const float l1 = eml_get_float(args[4]);
    /* the settings checked on the smallest model first: a bad one is a
     * ValueError, not a MemoryError for a large model on a small board */
    eml_logreg check;
    float check_params[EML_LOGREG_PARAMS(1, 2)], check_work[EML_LOGREG_WORK(1, 2)];
    if (eml_logreg_init(&check, check_params, check_work, 1, 2, rate, l2, l1) != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("learning_rate, lambda_l2 and lambda_l1 must be finite and >= 0"));
    }
    const size_t n_floats = EML_LOGREG_PARAMS(p, k) + EML_LOGREG_WORK(p, k);
    logreg_obj_t *self = mp_obj_malloc_var(logreg_obj_t, storage, float, n_floats,
        EML_TYPE_PTR(logreg_type));
    eml_logreg_init(&self->model, self->storage, self->storage + EML_LOGREG_PARAMS(p, k), (uint32_t)p,
        (uint32_t)k, rate, l2, l1);
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(logreg_new_obj, 5, 5, logreg_new);

static logreg_obj_t *get_model(mp_obj_t obj) {
    if (!mp_obj_is_type(obj, EML_TYPE_PTR(logreg_type))) {
        mp_raise_TypeError(MP_ERROR_TEXT("model must be made by emlearn_logreg.new"));
    }
    return MP_OBJ_TO_PTR(obj);
}

/* The floats of array('f') obj, and their number. */
static float *get_floats(mp_obj_t obj, mp_uint_t flags, size_t *n, mp_rom_error_text_t message) {
    return eml_get_items(obj, flags, "f", sizeof(float), n, message);
}

/* An optional buffer: array('f') of exactly n_classes floats, or NULL when
 * obj is MP_OBJ_NULL. */
static float *get_class_floats(const logreg_obj_t *self, mp_obj_t obj) {
    if (obj == MP_OBJ_NULL) {
        return NULL;
    }
    size_t n;
    float *v = get_floats(obj, MP_BUFFER_WRITE, &n,
        MP_ERROR_TEXT("logits, probabilities and bias_gradients must be array('f')"));
    if (n != self->model.n_classes) {
        mp_raise_ValueError(MP_ERROR_TEXT("logits, probabilities and bias_gradients must hold n_classes values"));
    }
    return v;
}

static void copy_floats(float *to, const float *from, uint32_t n) {
    if (to) {
        for (uint32_t i = 0; i < n; i++) {
            to[i] = from[i];
        }
    }
}

/* Training data: X of n_features values per row, at least one row, and y
 * with a label or n_classes floats per row. Returns the number of rows. */
static uint32_t get_data(const logreg_obj_t *self, mp_obj_t X_obj, mp_obj_t y_obj, const float **X,
    eml_logreg_targets *targets) {
    size_t n_values;
    *X = get_floats(X_obj, MP_BUFFER_READ, &n_values, MP_ERROR_TEXT("X must be array('f')"));
    const size_t p = self->model.n_features, k = self->model.n_classes;
    const size_t n = n_values / p;
    if (n == 0 || n_values % p != 0 || n > UINT32_MAX) {
        mp_raise_ValueError(MP_ERROR_TEXT("X must hold n_features values per row, at least one row"));
    }
    mp_buffer_info_t buf;
    /* bytearray's typecode is 1 */
    static const char LABEL_TYPES[] = { 'B', 1, 'h', 'H', 'f', 0 };
    const char kind = eml_get_array(y_obj, &buf, MP_BUFFER_READ, LABEL_TYPES,
        MP_ERROR_TEXT("y must be labels (array('B'), bytes, array('h'), array('H')) or array('f')"));
    size_t n_targets = buf.len;
    targets->data = buf.buf;
    if (kind == 'B' || kind == 1) {
        targets->kind = EML_LOGREG_LABELS_U8;
    } else if (kind == 'f') {
        targets->kind = EML_LOGREG_DISTRIBUTIONS;
        /* rows of y from its length (n * k * 4 could overflow a 32-bit size_t) */
        n_targets = buf.len / sizeof(float) / k;
        if (buf.len % (k * sizeof(float)) != 0 || n_targets != n) {
            mp_raise_ValueError(MP_ERROR_TEXT("y as array('f') must hold n_classes values per row of X"));
        }
    } else {
        targets->kind = kind == 'h' ? EML_LOGREG_LABELS_I16 : EML_LOGREG_LABELS_U16;
        n_targets = buf.len / 2;
    }
    if (n_targets != n) {
        mp_raise_ValueError(MP_ERROR_TEXT("y must hold a label per row of X"));
    }
    if (eml_logreg_check_targets(&self->model, targets, (uint32_t)n) != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("labels must be 0 to n_classes - 1"));
    }
    return (uint32_t)n;
}

/* step(X, y[, logits, probabilities, bias_gradients]): one gradient step. */
static mp_obj_t logreg_step(size_t n_args, const mp_obj_t *args) {
    logreg_obj_t *self = get_model(args[0]);
    if (n_args != 3 && n_args != 6) {
        mp_raise_TypeError(MP_ERROR_TEXT("step takes X, y and optionally logits, probabilities, bias_gradients"));
    }
    const float *X;
    eml_logreg_targets targets;
    const uint32_t n = get_data(self, args[1], args[2], &X, &targets);
    float *logits = NULL, *probs = NULL, *bias_gradients = NULL;
    if (n_args == 6) {
        logits = get_class_floats(self, args[3]);
        probs = get_class_floats(self, args[4]);
        bias_gradients = get_class_floats(self, args[5]);
    }
    eml_logreg *m = &self->model;
    eml_logreg_step(m, X, &targets, n);
    copy_floats(logits, eml_logreg_logits_buffer(m), m->n_classes);
    copy_floats(probs, eml_logreg_probs_buffer(m), m->n_classes);
    copy_floats(bias_gradients, m->work + (size_t)m->n_classes * m->n_features, m->n_classes);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(logreg_step_obj, 3, 6, logreg_step);

/* score_logloss(X, y[, logits, probabilities]): the objective. */
static mp_obj_t logreg_score_logloss(size_t n_args, const mp_obj_t *args) {
    logreg_obj_t *self = get_model(args[0]);
    if (n_args == 4) {
        mp_raise_TypeError(MP_ERROR_TEXT("score_logloss takes X, y and optionally logits, probabilities"));
    }
    const float *X;
    eml_logreg_targets targets;
    const uint32_t n = get_data(self, args[1], args[2], &X, &targets);
    float *logits = n_args == 5 ? get_class_floats(self, args[3]) : NULL;
    float *probs = n_args == 5 ? get_class_floats(self, args[4]) : NULL;
    eml_logreg *m = &self->model;
    float loss;
    eml_logreg_loss(m, X, &targets, n, &loss);
    copy_floats(logits, eml_logreg_logits_buffer(m), m->n_classes);
    copy_floats(probs, eml_logreg_probs_buffer(m), m->n_classes);
    return mp_obj_new_float_from_f(loss);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(logreg_score_logloss_obj, 3, 5, logreg_score_logloss);

/* predict(x[, probabilities[, logits]]): the most probable class. */
static mp_obj_t logreg_predict(size_t n_args, const mp_obj_t *args) {
    logreg_obj_t *self = get_model(args[0]);
    eml_logreg *m = &self->model;
    size_t n;
    const float *x = get_floats(args[1], MP_BUFFER_READ, &n, MP_ERROR_TEXT("features must be array('f')"));
    if (n != m->n_features) {
        mp_raise_ValueError(MP_ERROR_TEXT("features must hold n_features values"));
    }
    float *probs = n_args > 2 ? get_class_floats(self, args[2]) : NULL;
    float *logits = n_args > 3 ? get_class_floats(self, args[3]) : NULL;
    const uint32_t c = eml_logreg_predict(m, x, probs ? probs : eml_logreg_probs_buffer(m),
        logits ? logits : eml_logreg_logits_buffer(m));
    return MP_OBJ_NEW_SMALL_INT(c);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(logreg_predict_obj, 2, 4, logreg_predict);

/* fit(X, y, max_iter=1000, tol=1e-4, warm_start=False): to the objective's
 * optimum (eml_logreg_fit). Returns (iterations, converged). */
static mp_obj_t logreg_fit(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
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
    logreg_obj_t *self = get_model(args[ARG_self].u_obj);
    const float *X;
    eml_logreg_targets targets;
    const uint32_t n = get_data(self, args[ARG_X].u_obj, args[ARG_y].u_obj, &X, &targets);
    eml_logreg_fit_options options = { .max_iter = 1000, .tol = 1e-4f, .warm_start = args[ARG_warm_start].u_bool };
    if (args[ARG_max_iter].u_obj != MP_OBJ_NULL) {
        options.max_iter = (uint32_t)eml_get_int_in(args[ARG_max_iter].u_obj, 1, 0x3fffffff,
            MP_ERROR_TEXT("max_iter must be at least 1"));
    }
    if (args[ARG_tol].u_obj != MP_OBJ_NULL) {
        options.tol = eml_get_float(args[ARG_tol].u_obj);
    }
    const size_t n_work = EML_LOGREG_FIT_WORK(self->model.n_features, self->model.n_classes);
    float *work = m_new(float, n_work);
    uint32_t n_iter;
    int converged;
    eml_status status = eml_logreg_fit(&self->model, X, &targets, n, work, n_work, &options, &n_iter, &converged);
    m_del(float, work, n_work);
    if (status != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("tol must be finite and > 0"));
    }
    mp_obj_t result[2] = { mp_obj_new_int_from_uint(n_iter), mp_obj_new_bool(converged) };
    return mp_obj_new_tuple(2, result);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(logreg_fit_obj, 3, logreg_fit);

/* array('f') obj of exactly n floats. */
static float *get_exact_floats(mp_obj_t obj, mp_uint_t flags, size_t n, mp_rom_error_text_t type_message,
    mp_rom_error_text_t size_message) {
    size_t got;
    float *v = get_floats(obj, flags, &got, type_message);
    if (got != n) {
        mp_raise_ValueError(size_message);
    }
    return v;
}

static size_t n_weights(const logreg_obj_t *self) {
    return (size_t)self->model.n_classes * self->model.n_features;
}

static mp_obj_t logreg_get_weights(mp_obj_t self_obj, mp_obj_t out_obj) {
    logreg_obj_t *self = get_model(self_obj);
    float *out = get_exact_floats(out_obj, MP_BUFFER_WRITE, n_weights(self),
        MP_ERROR_TEXT("weights must be array('f')"), MP_ERROR_TEXT("weights must hold n_classes * n_features values"));
    copy_floats(out, self->model.params, n_weights(self));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(logreg_get_weights_obj, logreg_get_weights);

static mp_obj_t logreg_set_weights(mp_obj_t self_obj, mp_obj_t weights_obj) {
    logreg_obj_t *self = get_model(self_obj);
    const float *w = get_exact_floats(weights_obj, MP_BUFFER_READ, n_weights(self),
        MP_ERROR_TEXT("weights must be array('f')"), MP_ERROR_TEXT("weights must hold n_classes * n_features values"));
    copy_floats(self->model.params, w, n_weights(self));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(logreg_set_weights_obj, logreg_set_weights);

/* get_bias(): a new array('f') of the biases; get_bias(out): into out. */
static mp_obj_t logreg_get_bias(size_t n_args, const mp_obj_t *args) {
    logreg_obj_t *self = get_model(args[0]);
    const uint32_t k = self->model.n_classes;
    float *biases = eml_logreg_biases(&self->model);
    if (n_args == 1) {
        return eml_new_array(MP_QSTR_array, "f", biases, k * sizeof(float));
    }
    float *out = get_exact_floats(args[1], MP_BUFFER_WRITE, k, MP_ERROR_TEXT("biases must be array('f')"),
        MP_ERROR_TEXT("biases must hold n_classes values"));
    copy_floats(out, biases, k);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(logreg_get_bias_obj, 1, 2, logreg_get_bias);

static mp_obj_t logreg_set_bias(mp_obj_t self_obj, mp_obj_t bias_obj) {
    logreg_obj_t *self = get_model(self_obj);
    const float *b = get_exact_floats(bias_obj, MP_BUFFER_READ, self->model.n_classes,
        MP_ERROR_TEXT("biases must be array('f')"), MP_ERROR_TEXT("biases must hold n_classes values"));
    copy_floats(eml_logreg_biases(&self->model), b, self->model.n_classes);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(logreg_set_bias_obj, logreg_set_bias);

static mp_obj_t logreg_get_n_features(mp_obj_t self_obj) {
    return MP_OBJ_NEW_SMALL_INT(get_model(self_obj)->model.n_features);
}
static MP_DEFINE_CONST_FUN_OBJ_1(logreg_get_n_features_obj, logreg_get_n_features);

static mp_obj_t logreg_get_n_classes(mp_obj_t self_obj) {
    return MP_OBJ_NEW_SMALL_INT(get_model(self_obj)->model.n_classes);
}
static MP_DEFINE_CONST_FUN_OBJ_1(logreg_get_n_classes_obj, logreg_get_n_classes);

/* verbose=2 lines, as emlearn prints them. */
static void print_check(void *context, uint32_t iteration, float loss) {
    (void)context;
    mp_printf(&mp_plat_print, "emlearn_logreg: Iteration %u loss=%g\n", (unsigned)iteration, (double)loss);
}

static void print_outcome(mp_int_t verbose, eml_logreg_outcome outcome, uint32_t iteration) {
    if (verbose >= 1 && outcome != EML_LOGREG_RAN_OUT) {
        mp_printf(&mp_plat_print, outcome == EML_LOGREG_CONVERGED
            ? "emlearn_logreg: Converged at iteration %u\n" : "emlearn_logreg: Diverged at iteration %u\n",
            (unsigned)iteration);
    }
}

/* The keyword arguments train and train_batches share, after their data,
 * in this order. */
enum { OPT_max_iterations, OPT_tolerance, OPT_check_interval, OPT_divergence_factor, OPT_score_limit,
       OPT_verbose };
#define TRAIN_OPTIONS \
    { MP_QSTR_max_iterations, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} }, \
    { MP_QSTR_tolerance, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} }, \
    { MP_QSTR_check_interval, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} }, \
    { MP_QSTR_divergence_factor, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} }, \
    { MP_QSTR_score_limit, MP_ARG_OBJ, {.u_obj = mp_const_none} }, \
    { MP_QSTR_verbose, MP_ARG_INT, {.u_int = 0} },

/* Those arguments (opt: the first) as options, emlearn's defaults where absent. */
static void get_train_options(const mp_arg_val_t *opt, eml_logreg_train_options *options) {
    *options = (eml_logreg_train_options) {
        .max_iterations = 200, .check_interval = 5, .tolerance = 1e-4f, .divergence_factor = 2.0f,
    };
    if (opt[OPT_max_iterations].u_obj != MP_OBJ_NULL) {
        options->max_iterations = (uint32_t)eml_get_int_in(opt[OPT_max_iterations].u_obj, 1, 0x3fffffff,
            MP_ERROR_TEXT("max_iterations must be positive"));
    }
    if (opt[OPT_check_interval].u_obj != MP_OBJ_NULL) {
        options->check_interval = (uint32_t)eml_get_int_in(opt[OPT_check_interval].u_obj, 1, 0x3fffffff,
            MP_ERROR_TEXT("check_interval must be positive"));
    }
    if (opt[OPT_tolerance].u_obj != MP_OBJ_NULL) {
        options->tolerance = eml_get_float(opt[OPT_tolerance].u_obj);
    }
    if (opt[OPT_divergence_factor].u_obj != MP_OBJ_NULL) {
        options->divergence_factor = eml_get_float(opt[OPT_divergence_factor].u_obj);
    }
    if (opt[OPT_score_limit].u_obj != mp_const_none) {
        options->has_score_limit = 1;
        options->score_limit = eml_get_float(opt[OPT_score_limit].u_obj);
    }
    if (opt[OPT_verbose].u_int >= 2) {
        options->report = print_check;
    }
}

static mp_obj_t loss_result(uint32_t iterations, float loss) {
    mp_obj_t items[2] = { mp_obj_new_int_from_uint(iterations), mp_obj_new_float_from_f(loss) };
    return mp_obj_new_tuple(2, items);
}

/* train(model, X_train, y_train, max_iterations=200, tolerance=1e-4,
 * check_interval=5, divergence_factor=2.0, score_limit=None, verbose=0):
 * gradient steps until the loss settles or grows (eml_logreg_train).
 * Returns (iterations, loss at the last check). */
static mp_obj_t logreg_train(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    const mp_arg_t allowed[] = {
        { MP_QSTR_model, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_X_train, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_y_train, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        TRAIN_OPTIONS
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    logreg_obj_t *self = get_model(args[0].u_obj);
    const float *X;
    eml_logreg_targets targets;
    const uint32_t n = get_data(self, args[1].u_obj, args[2].u_obj, &X, &targets);
    eml_logreg_train_options options;
    get_train_options(args + 3, &options);
    eml_logreg_train_result result;
    eml_logreg_train(&self->model, X, &targets, n, &options, &result);
    print_outcome(args[3 + OPT_verbose].u_int, result.outcome, result.iterations);
    return loss_result(result.iterations, result.loss);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(logreg_train_obj, 3, logreg_train);

/* Iteration in both builds: a native module iterates through the
 * caller's buffer (the native-code ABI of mp_fun_table). */
typedef struct {
    mp_obj_iter_buf_t buf;
    mp_obj_t iter;
} iteration_t;

static void iteration_start(iteration_t *it, mp_obj_t iterable) {
#if defined(MICROPY_ENABLE_DYNRUNTIME)
    mp_fun_table.getiter(iterable, &it->buf);
#else
    it->iter = mp_getiter(iterable, &it->buf);
#endif
}

static mp_obj_t iteration_next(iteration_t *it) {
#if defined(MICROPY_ENABLE_DYNRUNTIME)
    return mp_fun_table.iternext(&it->buf);
#else
    return mp_iternext(it->iter);
#endif
}

/* One pass over the batches batch_iter_factory() yields: a step on each
 * (X_batch, y_batch), empty ones skipped. */
static void step_batches(logreg_obj_t *self, mp_obj_t factory) {
    iteration_t it;
    iteration_start(&it, mp_call_function_n_kw(factory, 0, 0, NULL));
    size_t batches = 0;
    for (mp_obj_t batch; (batch = iteration_next(&it)) != MP_OBJ_STOP_ITERATION; batches++) {
        size_t n_items;
        mp_obj_t *pair;
        mp_obj_get_array(batch, &n_items, &pair);
        if (n_items != 2) {
            mp_raise_ValueError(MP_ERROR_TEXT("each batch must unpack into (X_batch, y_batch)"));
        }
        if (mp_obj_get_int(mp_obj_len(pair[0])) == 0) {
            continue;
        }
        const float *X;
        eml_logreg_targets targets;
        const uint32_t n = get_data(self, pair[0], pair[1], &X, &targets);
        eml_logreg_step(&self->model, X, &targets, n);
    }
    if (batches == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("batch iterator produced no batches"));
    }
}

/* score_batches(model), a float. */
static float call_score(mp_obj_t score, mp_obj_t model) {
    return eml_get_float(mp_call_function_n_kw(score, 1, 0, &model));
}

/* train_batches(model, batch_iter_factory, max_iterations=200, ...,
 * verbose=0, score_batches=None): emlearn's loop over batches, an epoch
 * per iteration; the loss checks call score_batches(model), and without it
 * every epoch runs. Returns (iterations, loss at the last check, or inf). */
static mp_obj_t logreg_train_batches(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    const mp_arg_t allowed[] = {
        { MP_QSTR_model, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_batch_iter_factory, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        TRAIN_OPTIONS
        { MP_QSTR_score_batches, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    const mp_obj_t model = args[0].u_obj, factory = args[1].u_obj, score = args[2 + OPT_verbose + 1].u_obj;
    logreg_obj_t *self = get_model(model);
    eml_logreg_train_options options;
    get_train_options(args + 2, &options);
    eml_logreg_monitor monitor;
    eml_logreg_monitor_start(&monitor);
    eml_logreg_outcome outcome = EML_LOGREG_RAN_OUT;
    const float infinity = eml_bits_float(EML_EXP_MASK);
    float loss = infinity;
    uint32_t iteration = 0;
    while (outcome == EML_LOGREG_RAN_OUT && iteration < options.max_iterations) {
        step_batches(self, factory);
        iteration++;
        if (iteration % options.check_interval == 0 && score != mp_const_none) {
            loss = call_score(score, model);
            outcome = eml_logreg_monitor_check(&monitor, &options, iteration, loss);
        }
    }
    if (score != mp_const_none && eml_float_bits(loss) == EML_EXP_MASK) {
        loss = call_score(score, model);
    }
    print_outcome(args[2 + OPT_verbose].u_int, outcome, iteration);
    return loss_result(iteration, loss);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(logreg_train_batches_obj, 2, logreg_train_batches);

#define LOGREG_LOCALS(X) \
    X(MP_QSTR_predict, logreg_predict_obj) X(MP_QSTR_step, logreg_step_obj) \
    X(MP_QSTR_fit, logreg_fit_obj) X(MP_QSTR_score_logloss, logreg_score_logloss_obj) \
    X(MP_QSTR_get_weights, logreg_get_weights_obj) X(MP_QSTR_set_weights, logreg_set_weights_obj) \
    X(MP_QSTR_get_bias, logreg_get_bias_obj) X(MP_QSTR_set_bias, logreg_set_bias_obj) \
    X(MP_QSTR_get_n_features, logreg_get_n_features_obj) X(MP_QSTR_get_n_classes, logreg_get_n_classes_obj)
EML_DEFINE_TYPE(logreg_type, MP_QSTR_Model, LOGREG_LOCALS)

#define LOGREG_GLOBALS(X) \
    X(MP_QSTR_new, logreg_new_obj) X(MP_QSTR_train, logreg_train_obj) \
    X(MP_QSTR_train_batches, logreg_train_batches_obj)
#define LOGREG_TYPES(X) X(logreg_type)
EML_DEFINE_MODULE(emlearn_logreg, LOGREG_GLOBALS, LOGREG_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_logreg, emlearn_logreg_user_cmodule);
#endif
