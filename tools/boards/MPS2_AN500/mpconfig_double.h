// The qemu port's configuration with double-precision floats. The port sets
// MICROPY_FLOAT_IMPL to single precision without a way to change it from a
// board, so this file, which MicroPython includes in its place
// (MP_CONFIGFILE, see py/mpconfig.h), takes the port's and replaces that.
#include <mpconfigport.h>

#undef MICROPY_FLOAT_IMPL
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_DOUBLE)
