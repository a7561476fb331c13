/*
 * startup_cortexm.c - vector table and reset handler for every Cortex-M target (M0+ to M55).
 *
 * Relies on the linker script (targets/ld/cortexm_sections.ld) for: .vectors placed where
 * the core looks for it at reset (VTOR's reset value: the flash origin, or 0x10000100 after
 * the RP2040's boot2); __stack_top; __data_load / __data_start / __data_end and
 * __bss_start / __bss_end, all word aligned. Takes no interrupts: every exception but reset
 * ends the run with TQ_FW_EXIT_FAULT, so a crash under QEMU exits instead of hanging.
 */
#include "tq_fw.h"

extern uint32_t __stack_top[];
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);
void tq_fw_reset(void) __attribute__((noreturn));
void tq_fw_fault(void) __attribute__((noreturn));

#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
/* The FPU / MVE register file is off at reset; code built with -mfloat-abi=hard (and any
 * MVE kernel) faults until CPACR grants CP10 and CP11 full access. */
static void enable_fpu(void)
{
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" : : : "memory");
}
#else
static void enable_fpu(void)
{
}
#endif

void tq_fw_reset(void)
{
    const uint32_t *src = __data_load;
    for (uint32_t *dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0;
    }
    enable_fpu();
    tq_fw_exit(main());
}

void tq_fw_fault(void)
{
    tq_fw_exit(TQ_FW_EXIT_FAULT);
}

typedef void (*tq_vector)(void);

/* The 16 system entries: initial SP, Reset, NMI, HardFault, MemManage, BusFault,
 * UsageFault, SecureFault (ARMv8-M), 3 reserved, SVCall, DebugMonitor, reserved, PendSV,
 * SysTick. No external interrupt is enabled, so none has an entry. */
__attribute__((used, section(".vectors"))) static const tq_vector tq_fw_vectors[16] = {
    (tq_vector)(uintptr_t)__stack_top,
    tq_fw_reset,
    tq_fw_fault, tq_fw_fault, tq_fw_fault, tq_fw_fault, tq_fw_fault, tq_fw_fault,
    0, 0, 0,
    tq_fw_fault, tq_fw_fault,
    0,
    tq_fw_fault, tq_fw_fault,
};
