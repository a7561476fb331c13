/* Add of two tensors with different scales on the Cortex-M DSP extension (M4, M7, M33),
 * bit-exact with tq_add_s8 and, like it, safe in place (out == a or b).
 *
 * The zero points, the rounding term and z_out fold into one 64-bit constant
 *   K = 2^(c-1) + z_out 2^c - z_a m_a - z_b m_b,
 * so an element is (K + a m_a + b m_b) >> c: two SMLAL from K, then the low word's top
 * 32 - c bits joined to the high word's low c bits (LSR / LSL by register: c = 32 gives
 * the high word alone). Those are the low 32 bits of the reference's
 * (acc + 2^(c-1)) >> c, plus z_out (modulo 2^32 both, as the reference's int32 conversion
 * and addition). SSAT clamps each to int8, four results share a word, and
 * [act_min, act_max] is two SSUB8 + SEL over the word. Four elements per pass from one
 * word of each input (read before the word is written). The last size % 4 run the
 * reference, and so do shifts above 32: the common shift of the two ratios s_i / s_out
 * exceeds 32 only when the output's scale is more than twice both inputs' (the output of
 * a sum spans at most both ranges together), which calibration does not give. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_requant.h"

/* Four int8 in a word clamped bytewise to [lo, hi] (lo4, hi4: the bounds in every byte). */
static inline uint32_t clamp4(uint32_t w, uint32_t lo4, uint32_t hi4)
{
    uint32_t ge;
    __asm__("ssub8 %[g], %[w], %[lo]\n\t"
            "sel %[w], %[w], %[lo]\n\t"
            "ssub8 %[g], %[hi], %[w]\n\t"
            "sel %[w], %[w], %[hi]\n\t"
            : [w] "+&r"(w), [g] "=&r"(ge)
            : [lo] "r"(lo4), [hi] "r"(hi4)
            : "cc");
    return w;
}

/* One element, from byte j of words wa, wb into byte j of w: SMLAL twice from K = (klo,
 * khi), the shift (s = c, s2 = 32 - c), SSAT to int8, BFI. */
#define TQ_ADD_ELEM(ROR, BYTE)                                                             \
    "sxtb %[x], %[wa]" ROR "\n\t"                                                          \
    "mov %[lo], %[klo]\n\t"                                                                \
    "mov %[hi], %[khi]\n\t"                                                                \
    "smlal %[lo], %[hi], %[x], %[m1]\n\t"                                                  \
    "sxtb %[x], %[wb]" ROR "\n\t"                                                          \
    "smlal %[lo], %[hi], %[x], %[m2]\n\t"                                                  \
    "lsr %[lo], %[lo], %[s]\n\t"                                                           \
    "lsl %[hi], %[hi], %[s2]\n\t"                                                          \
    "orr %[hi], %[hi], %[lo]\n\t"                                                          \
    "ssat %[hi], #8, %[hi]\n\t"                                                            \
    "bfi %[w], %[hi], #" BYTE ", #8\n\t"

void tq_add_s8_dsp(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t c = p->shift;
    if (c > 32) {
        tq_add_s8(p, a, b, out);
        return;
    }
    const int32_t n4 = p->size & ~3;
    /* K as in the header (tq_add_offset); |K| < 2^41 for shift <= 32. */
    const int64_t k = tq_add_offset(p->in1_zp, p->mult1, p->in2_zp, p->mult2, p->out_zp, c);
    const uint32_t klo = (uint32_t)k, khi = (uint32_t)((uint64_t)k >> 32);
    const int32_t m1 = p->mult1, m2 = p->mult2, sh = c, sh2 = 32 - c;
    const uint32_t lo4 = 0x01010101u * (uint8_t)p->act_min;
    const uint32_t hi4 = 0x01010101u * (uint8_t)p->act_max;
    for (int32_t i = 0; i < n4; i += 4) {
        const uint32_t wa = tq_load4(a + i), wb = tq_load4(b + i);
        uint32_t w, x, lo, hi;
        __asm__(TQ_ADD_ELEM("", "0") TQ_ADD_ELEM(", ror #8", "8")
                TQ_ADD_ELEM(", ror #16", "16") TQ_ADD_ELEM(", ror #24", "24")
                : [w] "=&r"(w), [x] "=&r"(x), [lo] "=&r"(lo), [hi] "=&r"(hi)
                : [wa] "r"(wa), [wb] "r"(wb), [klo] "r"(klo), [khi] "r"(khi), [m1] "r"(m1),
                  [m2] "r"(m2), [s] "r"(sh), [s2] "r"(sh2));
        tq_store4(out + i, clamp4(w, lo4, hi4));
    }
    if (n4 < p->size) {
        tq_add_params rest = *p;
        rest.size = p->size - n4;
        tq_add_s8(&rest, a + n4, b + n4, out + n4);
    }
}
#endif /* TQ_HAS_DSP */
