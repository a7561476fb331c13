/*
 * tq_rvv_lanes.h - "pixel lanes" of the _rvv convolutions: the output pixels of a row as
 * int32 lanes, three filters per pass, for few input channels and wide rows, where neither
 * channel lanes nor dot products fill a vector. Same inline-assembly rules as tq_rvv.h.
 */
#ifndef TQ_RVV_LANES_H
#define TQ_RVV_LANES_H

#include "tq_isa.h"

#if TQ_HAS_RVV
#include <stdint.h>

#include "tinyq.h"

/* Output pixels as lanes, three filters at once (tq_rvv_pix3_run). Offsets are read by
 * the assembly. */
typedef struct {
    const int8_t *x; /* pixel 0's first tap of the row */
    int32_t ls;      /* bytes between two pixels' taps (0: one padding byte for all) */
} tq_rvv_pix_row;

typedef struct {
    const int8_t *w[3];         /* 0: the filters' first taps (int8, taps contiguous) */
    const tq_rvv_pix_row *rows; /* 12: the window's rows */
    int32_t n_rows;        /* 16 */
    int32_t row_len;       /* 20: taps per row, >= 1 */
    int8_t *out;           /* 24: pixel 0's output channel 0 */
    int32_t ostride;       /* 28: bytes between two pixels' outputs */
    int32_t oc[3];         /* 32: the filters' output channels */
    int32_t bias[3];       /* 44 */
    int32_t mult[3];       /* 56 */
    int32_t d[3];          /* 68: shift - 31, in [1, 31] */
    int32_t zp, lo, hi;    /* 80 */
    int32_t phase;         /* 92: int4 (tq_rvv_pix3_s4_run): 1 if the filters start on a
                            * high nibble (all three alike), w[] then point at bytes */
} tq_rvv_pix3;

/* Requantizes lanes of the int32 group `acc` for filter i of tq_rvv_pix3_run and stores
 * them (registers as set up there). */
#define TQ_PIX3_REQUANT(acc, i)                                                            \
    "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"                                              \
    "lw %[t], 44 + 4 * " #i "(%[a])\n\t"                                                    \
    "vadd.vx " acc ", " acc ", %[t]\n\t"                                                    \
    "lw %[t], 56 + 4 * " #i "(%[a])\n\t"                                                    \
    "vmulh.vx v0, " acc ", %[t]\n\t"                                                        \
    "vmul.vx " acc ", " acc ", %[t]\n\t"                                                    \
    "vadd.vv v0, v0, v0\n\t"                                                                \
    "vsrl.vi " acc ", " acc ", 31\n\t"                                                      \
    "vor.vv v0, v0, " acc "\n\t"                                                            \
    "lw %[t], 68 + 4 * " #i "(%[a])\n\t"                                                    \
    "vssra.vx v0, v0, %[t]\n\t"                                                             \
    "vadd.vx v0, v0, %[w0]\n\t"                                                             \
    "vmax.vx v0, v0, %[w1]\n\t"                                                             \
    "vmin.vx v0, v0, %[w2]\n\t"                                                             \
    "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"                                              \
    "vnsrl.wi " acc ", v0, 0\n\t"                                                           \
    "vsetvli zero, %[vl], e8, m2, ta, ma\n\t"                                               \
    "vnsrl.wi v0, " acc ", 0\n\t"                                                           \
    "lw %[t], 32 + 4 * " #i "(%[a])\n\t"                                                    \
    "add %[t], %[t], %[rp]\n\t"                                                             \
    "vsse8.v v0, (%[t]), %[ls]\n\t"

/* For n <= 32 pixels (int32 lanes) and the three filters of a: acc = sum over rows r and
 * taps t < row_len of x * w[t'] (t' counting on across rows), x the byte at rows[r].x + t
 * + lane * rows[r].ls; then
 * requantized as tq_rvv_requant does and stored at out + lane * ostride + oc. Per tap one
 * strided load serves the three filters, whose weights are scalars (VWMACC.VX). */
static inline void tq_rvv_pix3_run(const tq_rvv_pix3 *a, int32_t n)
{
    const int8_t *w0, *w1, *w2, *rp, *x, *x2;
    int32_t vl, r, k, t, ls;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v8, 0\n\t"
        "vmv.v.i v16, 0\n\t"
        "vmv.v.i v24, 0\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
        "lw %[w0], 0(%[a])\n\t"
        "lw %[w1], 4(%[a])\n\t"
        "lw %[w2], 8(%[a])\n\t"
        "lw %[rp], 12(%[a])\n\t"
        "lw %[r], 16(%[a])\n"
        "1:\n\t"
        "lw %[x], 0(%[rp])\n\t"
        "lw %[ls], 4(%[rp])\n\t"
        "addi %[rp], %[rp], 8\n\t"
        "lw %[k], 20(%[a])\n\t"
        "andi %[t], %[k], 1\n\t"
        "beqz %[t], 2f\n\t"
        "vlse8.v v0, (%[x]), %[ls]\n\t"
        "vsext.vf2 v4, v0\n\t"
        "lb %[t], 0(%[w0])\n\t"
        "vwmacc.vx v8, %[t], v4\n\t"
        "lb %[t], 0(%[w1])\n\t"
        "vwmacc.vx v16, %[t], v4\n\t"
        "lb %[t], 0(%[w2])\n\t"
        "vwmacc.vx v24, %[t], v4\n\t"
        "addi %[x], %[x], 1\n\t"
        "addi %[w0], %[w0], 1\n\t"
        "addi %[w1], %[w1], 1\n\t"
        "addi %[w2], %[w2], 1\n\t"
        "addi %[k], %[k], -1\n\t"
        "beqz %[k], 3f\n"
        "2:\n\t"
        "vlse8.v v0, (%[x]), %[ls]\n\t"
        "addi %[x2], %[x], 1\n\t"
        "vlse8.v v2, (%[x2]), %[ls]\n\t"
        "vsext.vf2 v4, v0\n\t"
        "lb %[t], 0(%[w0])\n\t"
        "vwmacc.vx v8, %[t], v4\n\t"
        "lb %[t], 0(%[w1])\n\t"
        "vwmacc.vx v16, %[t], v4\n\t"
        "lb %[t], 0(%[w2])\n\t"
        "vwmacc.vx v24, %[t], v4\n\t"
        "vsext.vf2 v4, v2\n\t"
        "lb %[t], 1(%[w0])\n\t"
        "vwmacc.vx v8, %[t], v4\n\t"
        "lb %[t], 1(%[w1])\n\t"
        "vwmacc.vx v16, %[t], v4\n\t"
        "lb %[t], 1(%[w2])\n\t"
        "vwmacc.vx v24, %[t], v4\n\t"
        "addi %[x], %[x], 2\n\t"
        "addi %[w0], %[w0], 2\n\t"
        "addi %[w1], %[w1], 2\n\t"
        "addi %[w2], %[w2], 2\n\t"
        "addi %[k], %[k], -2\n\t"
        "bnez %[k], 2b\n"
        "3:\n\t"
        "addi %[r], %[r], -1\n\t"
        "bnez %[r], 1b\n\t"
        /* Requantize: w0, w1, w2, ls, rp now hold zp, lo, hi, ostride, out. */
        "csrwi vxrm, 0\n\t"
        "lw %[w0], 80(%[a])\n\t"
        "lw %[w1], 84(%[a])\n\t"
        "lw %[w2], 88(%[a])\n\t"
        "lw %[ls], 28(%[a])\n\t"
        "lw %[rp], 24(%[a])\n\t"
        TQ_PIX3_REQUANT("v8", 0)
        TQ_PIX3_REQUANT("v16", 1)
        TQ_PIX3_REQUANT("v24", 2)
        : [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [rp] "=&r"(rp), [x] "=&r"(x),
          [x2] "=&r"(x2), [vl] "=&r"(vl), [r] "=&r"(r), [k] "=&r"(k), [t] "=&r"(t),
          [ls] "=&r"(ls)
        : [a] "r"(a), [n] "r"(n)
        : "memory");
}
/* tq_rvv_pix3_run with int4 weights: the three filters' taps are nibbles from a->w[j]
 * on, starting at the nibble a->phase, all three alike (filters of one parity). A byte
 * gives two taps: low nibble (shifted up by 28 then arithmetically down) and high (>> 4). */
static inline void tq_rvv_pix3_s4_run(const tq_rvv_pix3 *a, int32_t n)
{
    const int8_t *w0, *w1, *w2, *rp, *x, *x2;
    int32_t vl, r, k, t, ls, ph, b1, b2;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v8, 0\n\t"
        "vmv.v.i v16, 0\n\t"
        "vmv.v.i v24, 0\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
        "lw %[w0], 0(%[a])\n\t"
        "lw %[w1], 4(%[a])\n\t"
        "lw %[w2], 8(%[a])\n\t"
        "lw %[rp], 12(%[a])\n\t"
        "lw %[r], 16(%[a])\n\t"
        "lw %[ph], 92(%[a])\n"
        "1:\n\t"
        "lw %[x], 0(%[rp])\n\t"
        "lw %[ls], 4(%[rp])\n\t"
        "addi %[rp], %[rp], 8\n\t"
        "lw %[k], 20(%[a])\n\t"
        "beqz %[ph], 2f\n\t"
        /* The row starts on a high nibble: one tap alone. */
        "vlse8.v v0, (%[x]), %[ls]\n\t"
        "vsext.vf2 v4, v0\n\t"
        "lb %[t], 0(%[w0])\n\t"
        "srai %[t], %[t], 4\n\t"
        "vwmacc.vx v8, %[t], v4\n\t"
        "lb %[t], 0(%[w1])\n\t"
        "srai %[t], %[t], 4\n\t"
        "vwmacc.vx v16, %[t], v4\n\t"
        "lb %[t], 0(%[w2])\n\t"
        "srai %[t], %[t], 4\n\t"
        "vwmacc.vx v24, %[t], v4\n\t"
        "addi %[x], %[x], 1\n\t"
        "addi %[w0], %[w0], 1\n\t"
        "addi %[w1], %[w1], 1\n\t"
        "addi %[w2], %[w2], 1\n\t"
        "li %[ph], 0\n\t"
        "addi %[k], %[k], -1\n"
        "2:\n\t"
        "addi %[t], %[k], -2\n\t"
        "bltz %[t], 4f\n"
        "3:\n\t"
        "vlse8.v v0, (%[x]), %[ls]\n\t"
        "addi %[x2], %[x], 1\n\t"
        "vlse8.v v2, (%[x2]), %[ls]\n\t"
        "vsext.vf2 v4, v0\n\t"
        "lb %[x2], 0(%[w0])\n\t"
        "slli %[t], %[x2], 28\n\t"
        "srai %[t], %[t], 28\n\t"
        "vwmacc.vx v8, %[t], v4\n\t"
        "srai %[x2], %[x2], 4\n\t"
        "lb %[b1], 0(%[w1])\n\t"
        "slli %[t], %[b1], 28\n\t"
        "srai %[t], %[t], 28\n\t"
        "vwmacc.vx v16, %[t], v4\n\t"
        "srai %[b1], %[b1], 4\n\t"
        "lb %[b2], 0(%[w2])\n\t"
        "slli %[t], %[b2], 28\n\t"
        "srai %[t], %[t], 28\n\t"
        "vwmacc.vx v24, %[t], v4\n\t"
        "srai %[b2], %[b2], 4\n\t"
        "vsext.vf2 v4, v2\n\t"
        "vwmacc.vx v8, %[x2], v4\n\t"
        "vwmacc.vx v16, %[b1], v4\n\t"
        "vwmacc.vx v24, %[b2], v4\n\t"
        "addi %[x], %[x], 2\n\t"
        "addi %[w0], %[w0], 1\n\t"
        "addi %[w1], %[w1], 1\n\t"
        "addi %[w2], %[w2], 1\n\t"
        "addi %[k], %[k], -2\n\t"
        "addi %[t], %[k], -2\n\t"
        "bgez %[t], 3b\n"
        "4:\n\t"
        "beqz %[k], 5f\n\t"
        /* One tap left: a low nibble; the next row starts on the high one. */
        "vlse8.v v0, (%[x]), %[ls]\n\t"
        "vsext.vf2 v4, v0\n\t"
        "lb %[t], 0(%[w0])\n\t"
        "slli %[t], %[t], 28\n\t"
        "srai %[t], %[t], 28\n\t"
        "vwmacc.vx v8, %[t], v4\n\t"
        "lb %[t], 0(%[w1])\n\t"
        "slli %[t], %[t], 28\n\t"
        "srai %[t], %[t], 28\n\t"
        "vwmacc.vx v16, %[t], v4\n\t"
        "lb %[t], 0(%[w2])\n\t"
        "slli %[t], %[t], 28\n\t"
        "srai %[t], %[t], 28\n\t"
        "vwmacc.vx v24, %[t], v4\n\t"
        "li %[ph], 1\n"
        "5:\n\t"
        "addi %[r], %[r], -1\n\t"
        "bnez %[r], 1b\n\t"
        "csrwi vxrm, 0\n\t"
        "lw %[w0], 80(%[a])\n\t"
        "lw %[w1], 84(%[a])\n\t"
        "lw %[w2], 88(%[a])\n\t"
        "lw %[ls], 28(%[a])\n\t"
        "lw %[rp], 24(%[a])\n\t"
        TQ_PIX3_REQUANT("v8", 0)
        TQ_PIX3_REQUANT("v16", 1)
        TQ_PIX3_REQUANT("v24", 2)
        : [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [rp] "=&r"(rp), [x] "=&r"(x),
          [x2] "=&r"(x2), [vl] "=&r"(vl), [r] "=&r"(r), [k] "=&r"(k), [t] "=&r"(t),
          [ls] "=&r"(ls), [ph] "=&r"(ph), [b1] "=&r"(b1), [b2] "=&r"(b2)
        : [a] "r"(a), [n] "r"(n)
        : "memory");
}
#undef TQ_PIX3_REQUANT

/* Sets up a for the rows of layer p; rows holds up to k_h window rows. */
static inline void tq_rvv_pix3_layer(tq_rvv_pix3 *a, tq_rvv_pix_row *rows,
                                     const tq_conv2d_params *p)
{
    a->rows = rows;
    a->n_rows = p->k_h;
    a->row_len = p->k_w * p->in_c;
    a->ostride = p->out_c;
    a->zp = p->out_zp;
    a->lo = p->act_min;
    a->hi = p->act_max;
}

/* Makes output channel oc of p the pass's filter j (its weights a->w[j] are the caller's:
 * their layout depends on the weight type). */
static inline void tq_rvv_pix3_filter(tq_rvv_pix3 *a, int32_t j, const tq_conv2d_params *p,
                                      int32_t oc)
{
    a->oc[j] = oc;
    a->bias[j] = p->bias[oc];
    a->mult[j] = p->mult[oc];
    a->d[j] = p->shift[oc] - 31;
}

#endif /* TQ_HAS_RVV */
#endif /* TQ_RVV_LANES_H */
