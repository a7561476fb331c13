/*
 * startup_riscv.S - reset entry for the RISC-V targets (QEMU virt, ESP32-C3 direct boot).
 *
 * Runs in machine mode from the first address the linker script gives .text.tq_start.
 * Sets gp and sp, points mtvec at a trap handler that ends the run with TQ_FW_EXIT_FAULT
 * (99), turns on the vector / FP units when the build uses them, copies .data from
 * __data_load (an address the CPU can read data from) and zeroes .bss, then calls main()
 * and hands its result to tq_fw_exit().
 */
    .section .text.tq_start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax         /* gp is not set yet: no gp-relative relaxation here */
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, tq_fw_trap
    .option push
    .option arch, +zicsr    /* CSR access without widening the C code's -march */
    csrw mtvec, t0
#if defined(__riscv_vector) || defined(__riscv_flen)
    /* mstatus.VS (bits 10:9) and mstatus.FS (bits 14:13) to Initial: vector and FP
     * instructions trap as illegal while these are Off. */
    li t0, (1 << 9) | (1 << 13)
    csrs mstatus, t0
#endif
    .option pop

    la t0, __data_load
    la t1, __data_start
    la t2, __data_end
1:  bgeu t1, t2, 2f
    lw t3, 0(t0)
    sw t3, 0(t1)
    addi t0, t0, 4
    addi t1, t1, 4
    j 1b
2:  la t1, __bss_start
    la t2, __bss_end
3:  bgeu t1, t2, 4f
    sw zero, 0(t1)
    addi t1, t1, 4
    j 3b
4:  call main
    tail tq_fw_exit
    .size _start, . - _start

    .section .text.tq_fw_trap, "ax", @progbits
    .balign 4               /* mtvec direct mode: the low two bits select the mode */
    .type tq_fw_trap, @function
tq_fw_trap:
    li a0, 99               /* TQ_FW_EXIT_FAULT */
    tail tq_fw_exit
    .size tq_fw_trap, . - tq_fw_trap
