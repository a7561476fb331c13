/*
 * tq_isa.h - reads the compiler's feature macros once, so kernels test one name each.
 * An ISA variant file (_dsp.c, _mve.c, _rvv.c, _scalar.c) is wrapped whole in
 * #if TQ_HAS_<ISA>, and a generated model binds its kernels and lays out its weights for
 * the variants under the same names, so each build is consistent on its own.
 */
#ifndef TQ_ISA_H
#define TQ_ISA_H

/* The variants' inline assembly takes nearly every core register; unoptimized builds keep
 * r7 as the frame pointer (so does ARMv6-M at -Os), and cannot compile it. Those builds
 * (debugging) run the reference kernels over the reference weight layouts: the same bits,
 * slower. */
#if defined(__OPTIMIZE__) &&                                                               \
    !(defined(__OPTIMIZE_SIZE__) && defined(__thumb__) && !defined(__thumb2__))
#define TQ_ISA_ASM 1
#else
#define TQ_ISA_ASM 0
#endif

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && TQ_ISA_ASM
#define TQ_HAS_DSP 1
#else
#define TQ_HAS_DSP 0
#endif

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && TQ_ISA_ASM
#define TQ_HAS_MVE 1
#else
#define TQ_HAS_MVE 0
#endif

#if defined(__riscv_vector) && TQ_ISA_ASM
#define TQ_HAS_RVV 1
#else
#define TQ_HAS_RVV 0
#endif

/* A 32-bit MCU core with none of the above (Cortex-M0+ / M3, rv32imc): the _scalar variants
 * are plain C tuned for its registers and loads. Not on the host (x86-64, aarch64), so a
 * host build of the same project calls the reference. */
#if TQ_ISA_ASM && ((defined(__arm__) && !TQ_HAS_DSP && !TQ_HAS_MVE) ||                     \
                   (defined(__riscv) && __riscv_xlen == 32 && !TQ_HAS_RVV))
#define TQ_HAS_SCALAR 1
#else
#define TQ_HAS_SCALAR 0
#endif

#endif /* TQ_ISA_H */
