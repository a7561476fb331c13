/*
 * tq_fw.h - what the firmware's parts (startup, semihosting glue, fw_main.c) share.
 *
 * The exit status is what QEMU returns as its own exit code (semihosting SYS_EXIT_EXTENDED),
 * so it stays below 256. tinyq/emu/qemu.py reads the same numbers (EXIT_MESSAGES).
 */
#ifndef TQ_FW_H
#define TQ_FW_H

#include <stddef.h>
#include <stdint.h>

#define TQ_FW_EXIT_OK 0
/* 1..9: the TQ_ERR_* code returned by the model's run function (tinyq.h). */
#define TQ_FW_EXIT_NO_INPUT_FILE 10   /* tq_in.bin could not be opened on the host */
#define TQ_FW_EXIT_NO_OUTPUT_FILE 11  /* tq_out.bin could not be created on the host */
#define TQ_FW_EXIT_SHORT_INPUT 12     /* tq_in.bin ends inside an input */
#define TQ_FW_EXIT_WRITE_FAILED 13    /* a semihosting write to tq_out.bin failed */
#define TQ_FW_EXIT_FAULT 99           /* a CPU fault or trap ended the run */

/* Ends the program with `status`: through semihosting where the build has it, else by
 * recording the status (tq_fw_status, tq_fw_done) and idling. */
void tq_fw_exit(int status) __attribute__((noreturn));

/* Semihosting (ARM and RISC-V share the operation numbers and parameter blocks). */
#define TQ_SH_SYS_OPEN 0x01
#define TQ_SH_SYS_CLOSE 0x02
#define TQ_SH_SYS_WRITE 0x05
#define TQ_SH_SYS_READ 0x06
#define TQ_SH_SYS_EXIT_EXTENDED 0x20
#define TQ_SH_OPEN_RB 1  /* fopen mode "rb" */
#define TQ_SH_OPEN_WB 5  /* fopen mode "wb" */
#define TQ_SH_APPLICATION_EXIT 0x20026

/* One semihosting call: operation `op` with parameter block `arg`; returns the host's
 * result register. Defined once per architecture (semihost_arm.c, semihost_riscv.c). */
intptr_t tq_semihost_call(uintptr_t op, const void *arg);

#endif /* TQ_FW_H */
