/* Add on the RISC-V vector extension 1.0 (GNU inline assembly; see tq_conv2d_s8_rvv.c for
 * why no vector register is clobbered or live across statements).
 *
 * The 64-bit sum P = (a - z1) * m1 + (b - z2) * m2 is built in 32-bit lanes: VMULH / VMUL
 * give each product's high and low words, VMADC / VADC add them with the carry. Because
 * |P| < 2^40, T = floor(P / 2^k) fits int32 for any k >= 9, so with k = max(9, shift - 31)
 * and d = shift - k in [1, 31], VSSRA (vxrm = round-to-nearest-up) gives
 * floor((T + 2^(d-1)) / 2^d) = floor((P + 2^(shift-1)) / 2^shift), the reference's bits.
 * Shifts below 10 (multipliers >= 2^21, never produced for int8) take the scalar loop. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_requant.h"

void tq_add_s8_rvv(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    if (p->shift < 10) {
        tq_add_s8(p, a, b, out);
        return;
    }
    const int32_t k = p->shift - 31 > 9 ? p->shift - 31 : 9;
    const int32_t d = p->shift - k;
    const int32_t k_up = 32 - k;
    int32_t n = p->size;
    int32_t vl;
    if (n == 0) {
        return;
    }
    __asm__ volatile(
        "csrwi vxrm, 0\n"
        "1:\n\t"
        "vsetvli %[vl], %[n], e32, m4, ta, ma\n\t"
        "vle8.v v1, (%[a])\n\t"
        "vle8.v v2, (%[b])\n\t"
        "vsext.vf4 v4, v1\n\t"
        "vsext.vf4 v8, v2\n\t"
        "vsub.vx v4, v4, %[z1]\n\t"
        "vsub.vx v8, v8, %[z2]\n\t"
        "vmulh.vx v12, v4, %[m1]\n\t"
        "vmul.vx v16, v4, %[m1]\n\t"
        "vmulh.vx v20, v8, %[m2]\n\t"
        "vmul.vx v24, v8, %[m2]\n\t"
        "vmadc.vv v0, v16, v24\n\t"
        "vadd.vv v16, v16, v24\n\t"
        "vadc.vvm v12, v12, v20, v0\n\t"
        "vsll.vx v12, v12, %[kup]\n\t"
        "vsrl.vx v16, v16, %[k]\n\t"
        "vor.vv v12, v12, v16\n\t"
        "vssra.vx v12, v12, %[d]\n\t"
        "vadd.vx v12, v12, %[zo]\n\t"
        "vmax.vx v12, v12, %[lo]\n\t"
        "vmin.vx v12, v12, %[hi]\n\t"
        "vsetvli zero, zero, e16, m2, ta, ma\n\t"
        "vnsrl.wi v4, v12, 0\n\t"
        "vsetvli zero, zero, e8, m1, ta, ma\n\t"
        "vnsrl.wi v8, v4, 0\n\t"
        "vse8.v v8, (%[out])\n\t"
        "add %[a], %[a], %[vl]\n\t"
        "add %[b], %[b], %[vl]\n\t"
        "add %[out], %[out], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 1b"
        : [a] "+r"(a), [b] "+r"(b), [out] "+r"(out), [n] "+r"(n), [vl] "=&r"(vl)
        : [z1] "r"(p->in1_zp), [z2] "r"(p->in2_zp), [m1] "r"(p->mult1), [m2] "r"(p->mult2),
          [k] "r"(k), [kup] "r"(k_up), [d] "r"(d), [zo] "r"(p->out_zp), [lo] "r"(p->act_min),
          [hi] "r"(p->act_max)
        : "memory");
}
#endif /* TQ_HAS_RVV */
