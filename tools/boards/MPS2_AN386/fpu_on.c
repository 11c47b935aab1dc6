// Turns the FPU on before MicroPython starts (the Cortex-M4F here, and the
// Cortex-M7 of MPS2_AN500, which builds this file too): the qemu port's
// start-up code calls uart_init() first, and the board links that call here
// (--wrap=uart_init).
#include <stdint.h>

void __real_uart_init(void);

void __wrap_uart_init(void) {
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;       // CP10 and CP11: full access
    __asm volatile ("dsb\n isb");
    __real_uart_init();
}
