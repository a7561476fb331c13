/* Fully connected with int4 weights on Helium (MVE): four rows per pass share each
 * activation vector; the sums of up to TQ_FC4_CHUNK outputs gather on the stack and are
 * requantized four per vector (tq_mve_requant1). The converter lays the weights out as
 * tq_conv2d_s8s4_mve's for a 1x1 convolution (tinyq.h, codegen/weight_layouts.py
 * fc_s4_mve_layout): each row from a byte, per block of 32 elements byte j holding element
 * j (low nibble) and element 16 + j (high nibble), so one 16-byte load per row meets two
 * contiguous activation loads. The nibbles unpack as 16 times their value (VSHL #4, VAND
 * 0xF0: one instruction each), so VMLADAVA sums 16 times the dot product and VSHR #4
 * recovers it exactly (every term is a multiple of 16; below 2^17 inputs no overflow,
 * else the converter keeps the packed layout and the reference runs). The last m < 32
 * elements split at h = ceil(m / 2), read by loads predicated to h and m - h lanes. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include <stddef.h>
#include "tinyq.h"
#include "../tq_mve.h"

#define TQ_FC4_CHUNK 64

/* What the pass loop reloads (offsets fixed in the asm). */
typedef struct {
    const int8_t *x;
    int32_t blocks; /* whole blocks of 32 elements */
    int32_t h, mh;  /* the part block's bytes and high nibbles (0, 0: none) */
    int32_t step;   /* from where a pass's loads end to the next pass's rows */
    int32_t *acc;
    int32_t passes;
} tq_fc4;

/* acc[4 k + j] = x . row j of pass k, rows w[j] + k (step + 16 blocks) (t->passes > 0):
 * one asm loop over the passes, so the four accumulators and five pointers stay in registers (23
 * instructions per block of four rows: 128 MACs). */
static __attribute__((noinline)) void passes_s4(tq_fc4 *t, const int8_t *const *w,
                                                uint8x16_t mask)
{
    const int8_t *x, *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
    int32_t a0, a1, a2, a3, tmp;
    __asm__ volatile("0:\n"
                     "ldr %[x], [%[t]]\n"
                     "movs %[a0], #0\n"
                     "movs %[a1], #0\n"
                     "movs %[a2], #0\n"
                     "movs %[a3], #0\n"
                     "ldr lr, [%[t], #4]\n"
                     "wls lr, lr, 2f\n"
                     "1:\n"
                     "vldrb.8 q0, [%[x]], #16\n"
                     "vldrb.8 q1, [%[x]], #16\n"
                     "vldrb.8 q2, [%[w0]], #16\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a0], q0, q3\n"
                     "vmladava.s8 %[a0], q1, q2\n"
                     "vldrb.8 q2, [%[w1]], #16\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a1], q0, q3\n"
                     "vmladava.s8 %[a1], q1, q2\n"
                     "vldrb.8 q2, [%[w2]], #16\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a2], q0, q3\n"
                     "vmladava.s8 %[a2], q1, q2\n"
                     "vldrb.8 q2, [%[w3]], #16\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a3], q0, q3\n"
                     "vmladava.s8 %[a3], q1, q2\n"
                     "le lr, 1b\n"
                     "2:\n"
                     /* The part block: low nibbles against x[0, h), high ones against the
                      * m - h after them (inactive lanes load 0). */
                     "ldr lr, [%[t], #8]\n"
                     "cmp lr, #0\n"
                     "beq 3f\n"
                     "ldr %[tmp], [%[t], #12]\n"
                     "vctp.8 lr\n"
                     "vpst\n"
                     "vldrbt.8 q0, [%[x]]\n"
                     "add %[x], %[x], lr\n"
                     "vctp.8 %[tmp]\n"
                     "vpst\n"
                     "vldrbt.8 q1, [%[x]]\n"
                     "vctp.8 lr\n"
                     "vpst\n"
                     "vldrbt.8 q2, [%[w0]]\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a0], q0, q3\n"
                     "vmladava.s8 %[a0], q1, q2\n"
                     "vpst\n"
                     "vldrbt.8 q2, [%[w1]]\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a1], q0, q3\n"
                     "vmladava.s8 %[a1], q1, q2\n"
                     "vpst\n"
                     "vldrbt.8 q2, [%[w2]]\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a2], q0, q3\n"
                     "vmladava.s8 %[a2], q1, q2\n"
                     "vpst\n"
                     "vldrbt.8 q2, [%[w3]]\n"
                     "vshl.i8 q3, q2, #4\n"
                     "vand q2, q2, %q[k]\n"
                     "vmladava.s8 %[a3], q0, q3\n"
                     "vmladava.s8 %[a3], q1, q2\n"
                     "3:\n"
                     "vmov q0[2], q0[0], %[a0], %[a2]\n"
                     "vmov q0[3], q0[1], %[a1], %[a3]\n"
                     "vshr.s32 q0, q0, #4\n"
                     "ldr lr, [%[t], #20]\n"
                     "vstrw.32 q0, [lr], #16\n"
                     "str lr, [%[t], #20]\n"
                     "ldr lr, [%[t], #16]\n"
                     "add %[w0], %[w0], lr\n"
                     "add %[w1], %[w1], lr\n"
                     "add %[w2], %[w2], lr\n"
                     "add %[w3], %[w3], lr\n"
                     "ldr lr, [%[t], #24]\n"
                     "subs lr, lr, #1\n"
                     "str lr, [%[t], #24]\n"
                     "bne 0b\n"
                     : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3),
                       [x] "=&r"(x), [tmp] "=&r"(tmp), [w0] "+r"(w0), [w1] "+r"(w1),
                       [w2] "+r"(w2), [w3] "+r"(w3)
                     : [t] "r"(t), [k] "w"(mask)
                     : "q0", "q1", "q2", "q3", "lr", "cc", "memory");
}

void tq_fc_s8s4_mve(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features, nout = p->out_features, nb = (n + 1) / 2;
    if (n >= (1 << 17)) {
        tq_fc_s8s4(p, in, out);
        return;
    }
    const int32_t blocks = n / 32, m = n % 32, h = (m + 1) / 2;
    const uint8x16_t mask = vdupq_n_u8(0xF0);
    const int low = !tq_mve_shifts_above_32_v(p->shift, nout);
    int32_t acc[TQ_FC4_CHUNK];
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * nout;
        for (int32_t o = 0, cnt; o < nout; o += cnt) {
            /* A chunk short of TQ_FC4_CHUNK leaves at least four outputs to the next. */
            const int32_t left = nout - o;
            cnt = left <= TQ_FC4_CHUNK ? left
                  : left < TQ_FC4_CHUNK + 4 ? TQ_FC4_CHUNK - 4 : TQ_FC4_CHUNK;
            tq_fc4 t = {x, blocks, h, m - h, 4 * nb - 16 * blocks, acc, cnt / 4};
            const int8_t *w = p->weights + (size_t)o * nb;
            if (cnt >= 4) {
                const int8_t *const rows[4] = {w, w + nb, w + 2 * nb, w + 3 * nb};
                passes_s4(&t, rows, mask);
            }
            if (cnt % 4 != 0) {
                /* The last four rows, overlapping the passes; fewer than four outputs in
                 * all repeat the last row. */
                const int32_t k = cnt >= 4 ? cnt - 4 : 0, last = cnt - 1;
                const int8_t *const rows[4] = {w + (size_t)k * nb,
                                               w + (size_t)(k + 1 < last ? k + 1 : last) * nb,
                                               w + (size_t)(k + 2 < last ? k + 2 : last) * nb,
                                               w + (size_t)last * nb};
                t.acc = acc + k;
                t.passes = 1;
                passes_s4(&t, rows, mask);
            }
            const tq_mve_rq rq = {p->bias + o, p->mult + o, p->shift + o, cnt, p->out_zp,
                                  p->act_min, p->act_max, low};
            tq_mve_requant1(&rq, acc, y + o);
        }
    }
}
#endif /* TQ_HAS_MVE */
