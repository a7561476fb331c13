/* Add of two tensors with different scales on 32-bit cores without DSP / MVE / RVV
 * (Cortex-M0+ / M3, rv32imc), bit-exact with tq_add_s8 and, like it, safe in place.
 *
 * No 64-bit arithmetic (ARMv6-M has no 32x32->64 multiply: GCC calls __aeabi_lmul). With
 * each multiplier split into 16-bit halves, m = mh 2^16 + ml, and the zero points, the
 * rounding term and z_out folded into one constant K = 2^(c-1) + z_out 2^c - z_a m_a -
 * z_b m_b = Kh 2^16 + Kl (0 <= Kl < 2^16), the reference's sum plus K is
 *   hi 2^16 + lo,  hi = a mh_a + b mh_b + Kh,  lo = a ml_a + b ml_b + Kl,
 * both exact in int32 (|a mh| <= 2^22, |a ml| <= 2^23, |Kh| < 2^30 for c <= 38), and
 * floor((hi 2^16 + lo) / 2^c) = (hi + (lo >> 16)) >> (c - 16) for c >= 16: the
 * reference's result plus z_out. Shifts outside [16, 38] (no add of int8 tensors makes
 * them) use the reference. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include "tinyq.h"
#include "../tq_requant.h"

void tq_add_s8_scalar(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t c = p->shift;
    if (c < 16 || c > 38) {
        tq_add_s8(p, a, b, out);
        return;
    }
    const int64_t k = tq_add_offset(p->in1_zp, p->mult1, p->in2_zp, p->mult2, p->out_zp, c);
    const int32_t kh = (int32_t)(k >> 16), kl = (int32_t)(k & 0xffff);
    const int32_t mh1 = p->mult1 >> 16, ml1 = p->mult1 & 0xffff;
    const int32_t mh2 = p->mult2 >> 16, ml2 = p->mult2 & 0xffff;
    const int32_t s = c - 16, lo_min = p->act_min, hi_max = p->act_max, n = p->size;
    for (int32_t i = 0; i < n; i++) {
        const int32_t x = a[i], y = b[i];
        const int32_t hi = x * mh1 + y * mh2 + kh;
        const int32_t lo = x * ml1 + y * ml2 + kl;
        const int32_t v = (hi + (lo >> 16)) >> s;
        out[i] = (int8_t)(v < lo_min ? lo_min : v > hi_max ? hi_max : v);
    }
}
#endif /* TQ_HAS_SCALAR */
