/*
 * tq_isa.h - reads the compiler's feature macros once, so kernels test one name each.
 * An ISA variant file (_dsp.c, _mve.c, _rvv.c, _scalar.c) is wrapped whole in
 * #if TQ_HAS_<ISA>.
 */
#ifndef TQ_ISA_H
#define TQ_ISA_H

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define TQ_HAS_DSP 1
#else
#define TQ_HAS_DSP 0
#endif

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define TQ_HAS_MVE 1
#else
#define TQ_HAS_MVE 0
#endif

#if defined(__riscv_vector)
#define TQ_HAS_RVV 1
#else
#define TQ_HAS_RVV 0
#endif

/* A 32-bit MCU core with none of the above (Cortex-M0+ / M3, rv32imc): the _scalar variants
 * are plain C tuned for its registers and loads. Not on the host (x86-64, aarch64), so a
 * host build of the same project calls the reference. */
#if ((defined(__arm__) && !TQ_HAS_DSP && !TQ_HAS_MVE) ||                                   \
     (defined(__riscv) && __riscv_xlen == 32 && !TQ_HAS_RVV))
#define TQ_HAS_SCALAR 1
#else
#define TQ_HAS_SCALAR 0
#endif

#endif /* TQ_ISA_H */
