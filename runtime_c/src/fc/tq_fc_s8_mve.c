/* Fully connected on Helium (MVE): four outputs per pass share each activation vector,
 * VMLADAVA sums 16 int8 products into a scalar accumulator, tails predicated by vctp8q. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include <arm_mve.h>
#include "tinyq.h"
#include "../tq_requant.h"

/* Exact vector form of tq_requant for shift >= 33: VMULH gives floor(acc * mult / 2^32),
 * and floor((p + 2^(s-1)) / 2^s) = floor((floor(p / 2^32) + 2^(s-33)) / 2^(s-32)), which
 * is VRSHL by -(s - 32) (round half up, exact in 32 bits: |acc * mult| < 2^62). */
static inline int32x4_t requant4(int32x4_t acc, const int32_t *mult, const int8_t *shift)
{
    const int32x4_t s = vsubq_s32(vdupq_n_s32(32), vldrbq_s32(shift));
    return vrshlq_s32(vmulhq_s32(acc, vldrwq_s32(mult)), s);
}

static int shifts_above_32(const int8_t *shift, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (shift[i] <= 32) {
            return 0;
        }
    }
    return 1;
}

void tq_fc_s8_mve(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features;
    const int32_t nout = p->out_features;
    const int vec = nout >= 4 && shifts_above_32(p->shift, nout);
    const int32_t out_zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    const int32_t last = nout - 1;
    /* Tails are predicated with vctp8q: GCC 12.2 miscompiles constant predicate masks. */
    const mve_pred16_t pr = vctp8q((uint32_t)(n & 15));
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * nout;
        for (int32_t o0 = 0; o0 < nout; o0 += 4) {
            /* The last block overlaps the one before; with fewer than four outputs the
             * missing ones repeat the last. */
            const int32_t o = o0 + 4 <= nout || nout < 4 ? o0 : nout - 4;
            const int8_t *w0 = p->weights + (size_t)o * n;
            const int8_t *w1 = p->weights + (size_t)(o + 1 < last ? o + 1 : last) * n;
            const int8_t *w2 = p->weights + (size_t)(o + 2 < last ? o + 2 : last) * n;
            const int8_t *w3 = p->weights + (size_t)(o + 3 < last ? o + 3 : last) * n;
            const int8_t *xi = x;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t i = n >> 4; i > 0; i--) {
                const int8x16_t xv = vldrbq_s8(xi);
                a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0));
                a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1));
                a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2));
                a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3));
                xi += 16;
                w0 += 16;
                w1 += 16;
                w2 += 16;
                w3 += 16;
            }
            if ((n & 15) != 0) {
                const int8x16_t xv = vldrbq_z_s8(xi, pr);
                a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0, pr));
                a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1, pr));
                a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2, pr));
                a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3, pr));
            }
            if (vec) {
                int32x4_t acc = vdupq_n_s32(a0);
                acc = vsetq_lane_s32(a1, acc, 1);
                acc = vsetq_lane_s32(a2, acc, 2);
                acc = vsetq_lane_s32(a3, acc, 3);
                acc = vaddq_s32(acc, vldrwq_s32(p->bias + o));
                int32x4_t v = vaddq_s32(requant4(acc, p->mult + o, p->shift + o),
                                        vdupq_n_s32(out_zp));
                v = vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
                vstrbq_s32(y + o, v);
                continue;
            }
            const int32_t acc[4] = {a0, a1, a2, a3};
            for (int32_t j = 0; j < 4 && o + j < nout; j++) {
                const int32_t v = tq_requant(acc[j] + p->bias[o + j], p->mult[o + j],
                                             p->shift[o + j]);
                y[o + j] = tq_clamp_s8(out_zp + v, lo, hi);
            }
        }
    }
}
#endif /* TQ_HAS_MVE */
