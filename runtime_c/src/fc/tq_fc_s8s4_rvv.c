/* Fully connected with int4 weights on the RISC-V vector extension 1.0 (GNU inline
 * assembly; see tq_conv2d_s8_rvv.c for why no vector register is clobbered or live across
 * statements).
 *
 * Two output rows per pass share each activation load (tq_rvv_dot2_s4, tq_rvv_s4.h): the
 * packed bytes are read straight from flash and unpacked in vector registers. A pass needs
 * both rows to start on a whole byte at the same nibble: with an even in_features every row
 * does, so rows o and o + 1 pair up; with an odd one, rows of the same parity do (o and
 * o + 2), an odd row's first element (a high nibble) and an even row's last (a low nibble)
 * being taken in scalar code. OC_CHUNK sums wait on the stack for vector requantization.
 * Needs VLEN >= 128. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_requant.h"
#include "../tq_rvv.h"
#include "../tq_rvv_s4.h"

#define OC_CHUNK 32 /* outputs whose int32 sums wait on the stack for requant */

/* s[0], s[1] = x . row a, x . row b for rows whose elements start at the same parity. */
static void two_rows(const int8_t *x, const int8_t *w, int32_t n, int32_t a, int32_t b,
                     int32_t max_pairs, int32_t s[2])
{
    const size_t ea = (size_t)a * n;
    const int32_t step = (int32_t)((size_t)(b - a) * n / 2);
    int32_t lead = 0;
    s[0] = 0;
    s[1] = 0;
    if (ea & 1u) {
        /* Both rows start with a high nibble. */
        const int8_t *wa = w + ea / 2;
        s[0] = x[0] * tq_s4_hi((uint8_t)wa[0]);
        s[1] = x[0] * tq_s4_hi((uint8_t)wa[step]);
        lead = 1;
    }
    const int8_t *xp = x + lead;
    const int8_t *wp = w + (ea + lead) / 2;
    int32_t pairs = (n - lead) / 2;
    int32_t t[2];
    while (pairs > 0) {
        const int32_t k = pairs < max_pairs ? pairs : max_pairs;
        tq_rvv_dot2_s4(xp, 0, wp, 0, k, 1, step, t);
        s[0] += t[0];
        s[1] += t[1];
        xp += 2 * k;
        wp += k;
        pairs -= k;
    }
    if ((n - lead) & 1) {
        /* One element left: the low nibble of the next byte. */
        s[0] += xp[0] * tq_s4_lo((uint8_t)wp[0]);
        s[1] += xp[0] * tq_s4_lo((uint8_t)wp[step]);
    }
}

void tq_fc_s8s4_rvv(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features;
    const int32_t n_out = p->out_features;
    /* Rows paired for a pass are `gap` apart; blocks of 2 * gap rows. */
    const int32_t gap = n & 1 ? 2 : 1;
    const int32_t max_pairs = 15 * tq_rvv_vlmax_e8m4();
    int vector_ok = 1;
    for (int32_t o = 0; o < n_out; o++) {
        vector_ok &= p->shift[o] >= 32;
    }
    int32_t acc[OC_CHUNK];
    int32_t t[2];
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * n_out;
        for (int32_t o0 = 0; o0 < n_out; o0 += OC_CHUNK) {
            const int32_t nc = n_out - o0 < OC_CHUNK ? n_out - o0 : OC_CHUNK;
            int32_t j = 0;
            for (; j + 2 * gap <= nc; j += 2 * gap) {
                for (int32_t i = 0; i < gap; i++) {
                    two_rows(x, p->weights, n, o0 + j + i, o0 + j + i + gap, max_pairs, t);
                    acc[j + i] = t[0];
                    acc[j + i + gap] = t[1];
                }
            }
            for (; j < nc; j++) {
                two_rows(x, p->weights, n, o0 + j, o0 + j, max_pairs, t);
                acc[j] = t[0];
            }
            if (vector_ok) {
                tq_rvv_requant(acc, p->bias + o0, p->mult + o0, p->shift + o0, nc, y + o0,
                               p->out_zp, p->act_min, p->act_max);
            } else {
                for (int32_t i = 0; i < nc; i++) {
                    const int32_t o = o0 + i;
                    y[o] = tq_clamp_s8(p->out_zp + tq_requant(acc[i] + p->bias[o], p->mult[o],
                                                              p->shift[o]),
                                       p->act_min, p->act_max);
                }
            }
        }
    }
}
#endif /* TQ_HAS_RVV */
