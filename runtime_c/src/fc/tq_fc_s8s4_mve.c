/* Fully connected with int4 weights on Helium (MVE): four outputs per pass. VLD20/VLD21
 * split 32 activations into the even and the odd elements, which meet 16 weight bytes
 * as 16 w_even (VSHL #4) and 16 w_odd (VAND 0xF0): exact int8 values, so VMLADAVA sums
 * 16 times the dot product and one arithmetic shift by 4 recovers it (exact: every term
 * is a multiple of 16; no overflow below 2^17 inputs, else the reference path runs). A row
 * starting mid-byte (odd in_features, odd row) takes its first element alone; the four
 * rows of a pass share that parity. Fewer than 32 elements left: tq_dot_s8s4. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include <stddef.h>
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_requant.h"

typedef struct {
    int32_t a[4];
} tq_acc4;

/* chunks * 32 elements of x against four rows of packed bytes; sums times 16. */
static inline __attribute__((always_inline)) tq_acc4
dot4_s4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
        const int8_t *w3, int32_t chunks)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    register int32_t cnt __asm__("lr") = chunks;
    __asm__ volatile("vmov.i8 q7, #0xf0\n"
                     "dls lr, lr\n"
                     "1:\n"
                     "vld20.8 {q0, q1}, [%[x]]\n"
                     "vld21.8 {q0, q1}, [%[x]]!\n"
                     "vldrb.8 q2, [%[w0]], #16\n"
                     "vldrb.8 q4, [%[w1]], #16\n"
                     "vand q3, q2, q7\n"
                     "vshl.i8 q2, q2, #4\n"
                     "vmladava.s8 %[a0], q0, q2\n"
                     "vmladava.s8 %[a0], q1, q3\n"
                     "vand q5, q4, q7\n"
                     "vshl.i8 q4, q4, #4\n"
                     "vmladava.s8 %[a1], q0, q4\n"
                     "vmladava.s8 %[a1], q1, q5\n"
                     "vldrb.8 q2, [%[w2]], #16\n"
                     "vldrb.8 q4, [%[w3]], #16\n"
                     "vand q3, q2, q7\n"
                     "vshl.i8 q2, q2, #4\n"
                     "vmladava.s8 %[a2], q0, q2\n"
                     "vmladava.s8 %[a2], q1, q3\n"
                     "vand q5, q4, q7\n"
                     "vshl.i8 q4, q4, #4\n"
                     "vmladava.s8 %[a3], q0, q4\n"
                     "vmladava.s8 %[a3], q1, q5\n"
                     "le lr, 1b\n"
                     : [a0] "+Te"(a0), [a1] "+Te"(a1), [a2] "+Te"(a2), [a3] "+Te"(a3),
                       [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2),
                       [w3] "+r"(w3), "+r"(cnt)
                     :
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q7", "memory");
    const tq_acc4 r = {{a0, a1, a2, a3}};
    return r;
}

void tq_fc_s8s4_mve(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features, nout = p->out_features;
    if (n >= (1 << 17)) {
        tq_fc_s8s4(p, in, out);
        return;
    }
    const int d = (n & 1) + 1; /* rows of one pass are d apart: one parity */
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * nout;
        for (int q = 0; q < d; q++) {
            for (int32_t base = q; base < nout; base += 4 * d) {
                int32_t o[4];
                for (int k = 0; k < 4; k++) {
                    o[k] = base + k * d < nout ? base + k * d : base;
                }
                const size_t e0 = (size_t)base * n;
                const int skip = (int)(e0 & 1); /* first element alone, mid-byte */
                const int32_t m = n - skip, chunks = m / 32, done = skip + chunks * 32;
                const int8_t *w[4];
                for (int k = 0; k < 4; k++) {
                    w[k] = p->weights + ((size_t)o[k] * n + (size_t)skip) / 2;
                }
                tq_acc4 a = {{0, 0, 0, 0}};
                if (chunks > 0) {
                    a = dot4_s4(x + skip, w[0], w[1], w[2], w[3], chunks);
                }
                for (int k = 0; k < 4; k++) {
                    const size_t ek = (size_t)o[k] * n;
                    int32_t acc = (a.a[k] >> 4) + p->bias[o[k]];
                    if (skip) {
                        acc += (int32_t)x[0] * tq_s4_at(p->weights, ek);
                    }
                    acc += tq_dot_s8s4(x + done, p->weights, ek + (size_t)done, n - done);
                    const int32_t v = tq_requant(acc, p->mult[o[k]], p->shift[o[k]]);
                    y[o[k]] = tq_clamp_s8(p->out_zp + v, p->act_min, p->act_max);
                }
            }
        }
    }
}
#endif /* TQ_HAS_MVE */
