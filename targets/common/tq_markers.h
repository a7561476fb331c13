/*
 * tq_markers.h - region markers for exact instruction counts under QEMU.
 *
 * Force-included (gcc -include) into every source of a firmware built for an emulated
 * target, so it comes before tinyq.h and TQ_LAYER_BEGIN / TQ_LAYER_END (tinyq.h leaves them
 * empty unless defined) become one marker instruction each. The counting plugin
 * (tinyq/emu/plugin/insn_count.c) records the running instruction count at every marker
 * and does not count the markers themselves.
 *
 * A marker carries an 8-bit value:
 *   0x40 | (layer & 0x3f)   layer begin       0xc0   run begin (before tq_<name>_run)
 *   0x80 | (layer & 0x3f)   layer end         0xc1   run end   (after it returns)
 * Layers are told apart by their order in a run; the low 6 bits are a consistency check.
 *
 * Encodings, chosen so that no compiler emits them and every core runs them as a no-op:
 *   ARM T32 (ARMv7-M, ARMv8-M, ARMv8.1-M): HINT #value, 0xf3af 0x80vv. Hint numbers
 *     0x40-0xc1 are unallocated: "reserved hint, behaves as NOP" (the architecture and QEMU).
 *   ARMv6-M (qemu-m0plus only): the same two halfwords, written as data because the
 *     assembler has no 32-bit hint for ARMv6-M. An M0+ would fault on them; this is valid
 *     only because the qemu-m0plus twin runs ARMv6-M code on a Cortex-M3, which decodes
 *     them as the hint. The rp2040 board build never includes markers (not emulated).
 *   RISC-V: slti x0, x0, value. A write to x0 from SLTI is a HINT in the space the
 *     specification designates for custom use.
 * The "memory" clobber pins loads and stores to their side of the marker, so a layer's
 * count is that layer's work and nothing the compiler moved across the boundary.
 */
/* Why .balign 4: QEMU 7.2 loses a plugin's instruction callbacks in a translation block
 * that is retranslated because a 4-byte instruction in it straddles a guest page (1 KiB on
 * M-profile); an aligned marker never straddles one. Any padding is one 2-byte nop, which
 * the plugin counts as part of the marker (not at all). */
#ifndef TQ_MARKERS_H
#define TQ_MARKERS_H

#if defined(__thumb2__)
#define TQ_MARK(value) \
    __asm__ volatile(".balign 4\n\t.inst.w 0xf3af8000 | %c0" : : "i"(value) : "memory")
#elif defined(__thumb__) && defined(__ARM_ARCH_6M__)
/* .balignw pads with the T16 NOP the plugin knows as padding; .balign would pad ARMv6-M
 * code with MOV r8, r8, which it would count. */
#define TQ_MARK(value)                                                                     \
    __asm__ volatile(".balignw 4, 0xbf00\n\t.short 0xf3af, 0x8000 | %c0" : : "i"(value)    \
                     : "memory")
#elif defined(__riscv)
#define TQ_MARK(value) __asm__ volatile(".balign 4\n\tslti x0, x0, %0" : : "i"(value) : "memory")
#else
#error "tq_markers.h: count markers need Thumb-2, ARMv6-M (run on an M3 only) or RISC-V"
#endif

#define TQ_MARK_LAYER_BEGIN 0x40
#define TQ_MARK_LAYER_END 0x80
#define TQ_MARK_RUN_BEGIN 0xc0
#define TQ_MARK_RUN_END 0xc1

#define TQ_LAYER_BEGIN(index) TQ_MARK(TQ_MARK_LAYER_BEGIN | ((index) & 0x3f))
#define TQ_LAYER_END(index) TQ_MARK(TQ_MARK_LAYER_END | ((index) & 0x3f))

#endif /* TQ_MARKERS_H */
