/* Fully connected on the RISC-V vector extension 1.0 (GNU inline assembly; see
 * tq_conv2d_s8_rvv.c for why no vector register is clobbered or live across statements).
 *
 * Four outputs per pass share each activation load: VWMUL.VV widens int8 x int8 into int16
 * lanes, VWREDSUM.VS adds them into each output's 32-bit sum. OC_CHUNK sums wait on the
 * stack and are requantized together in vector lanes. Needs VLEN >= 128. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_requant.h"
#include "../tq_rvv.h"

#define OC_CHUNK 32 /* outputs whose int32 sums wait on the stack for requant */

void tq_fc_s8_rvv(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features;
    const int32_t n_out = p->out_features;
    int vector_ok = 1;
    for (int32_t o = 0; o < n_out; o++) {
        vector_ok &= p->shift[o] >= 32;
    }
    int32_t acc[OC_CHUNK];
    int32_t t[4];
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * n_out;
        for (int32_t o0 = 0; o0 < n_out; o0 += OC_CHUNK) {
            const int32_t nc = n_out - o0 < OC_CHUNK ? n_out - o0 : OC_CHUNK;
            if (n_out < 4) {
                /* Step 0 repeats one row rather than read past the weights. */
                for (int32_t j = 0; j < nc; j++) {
                    tq_rvv_dot4(x, 0, p->weights + (size_t)j * n, 0, n, 1, 0, t);
                    acc[j] = t[0];
                }
            }
            for (int32_t b = 0; b < nc && n_out >= 4; b += 4) {
                if (b + 4 <= nc) {
                    tq_rvv_dot4(x, 0, p->weights + (size_t)(o0 + b) * n, 0, n, 1, n, acc + b);
                } else {
                    /* The last partial block ends at o0 + nc, overlapping earlier rows. */
                    tq_rvv_dot4(x, 0, p->weights + (size_t)(o0 + nc - 4) * n, 0, n, 1, n, t);
                    for (int32_t j = b; j < nc; j++) {
                        acc[j] = t[j - nc + 4];
                    }
                }
            }
            if (vector_ok) {
                tq_rvv_requant(acc, p->bias + o0, p->mult + o0, p->shift + o0, nc, y + o0,
                            p->out_zp, p->act_min, p->act_max);
            } else {
                for (int32_t j = 0; j < nc; j++) {
                    const int32_t o = o0 + j;
                    y[o] = tq_clamp_s8(p->out_zp + tq_requant(acc[j] + p->bias[o], p->mult[o],
                                                              p->shift[o]),
                                       p->act_min, p->act_max);
                }
            }
        }
    }
}
#endif /* TQ_HAS_RVV */
