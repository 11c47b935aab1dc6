/* eml_common.h is header-only (static inline helpers). This file exists so
 * that tests/core/test_common.c builds with the same rule as the other core
 * tests (test_X.c together with src/core/eml_X.c); the modules do not link it. */
#include "eml_common.h"
