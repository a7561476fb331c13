/*
 * tq_rvv_oclanes.h - "channel lanes" of the _rvv convolutions: each output channel an
 * int32 lane, per tap a scalar activation times a strided load of that tap's weight in
 * every filter (short windows, first layers, narrow pointwise), int8 and packed int4
 * weights. Same inline-assembly rules as tq_rvv.h.
 */
#ifndef TQ_RVV_OCLANES_H
#define TQ_RVV_OCLANES_H

#include "tq_isa.h"

#if TQ_HAS_RVV
#include <stdint.h>

/* Output channels as lanes: acc[j] = sum over `rows` runs of `len` activations of
 * x[t] * w[j * fsz + t] for the first vl of n channels (n <= 32: e32 m8); returns vl. Run r
 * starts at x + r * xs; the filter's taps are contiguous, so w advances by one per tap
 * across runs too. */
static inline int32_t tq_rvv_oc_sums(const int8_t *x, int32_t xs, int32_t len, int32_t rows,
                                     const int8_t *w, int32_t fsz, int32_t n, int32_t *acc)
{
    int32_t vl, k, t, u;
    const int8_t *w1;
    const int32_t x_adv = xs - len;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v24, 0\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n"
        "1:\n\t"
        "mv %[k], %[len]\n\t"
        "andi %[t], %[k], 1\n\t"
        "beqz %[t], 2f\n\t"
        /* An odd run starts with one tap, then goes two at a time. */
        "lb %[t], 0(%[x])\n\t"
        "vlse8.v v0, (%[w]), %[fsz]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "addi %[x], %[x], 1\n\t"
        "addi %[w], %[w], 1\n\t"
        "addi %[k], %[k], -1\n\t"
        "beqz %[k], 3f\n"
        "2:\n\t"
        "lb %[t], 0(%[x])\n\t"
        "lb %[u], 1(%[x])\n\t"
        "addi %[w1], %[w], 1\n\t"
        "vlse8.v v0, (%[w]), %[fsz]\n\t"
        "vlse8.v v2, (%[w1]), %[fsz]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsext.vf2 v12, v2\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "vwmacc.vx v24, %[u], v12\n\t"
        "addi %[x], %[x], 2\n\t"
        "addi %[w], %[w], 2\n\t"
        "addi %[k], %[k], -2\n\t"
        "bnez %[k], 2b\n"
        "3:\n\t"
        "add %[x], %[x], %[xa]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 1b\n\t"
        "vse32.v v24, (%[acc])"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [vl] "=&r"(vl), [k] "=&r"(k),
          [t] "=&r"(t), [u] "=&r"(u), [w1] "=&r"(w1)
        : [n] "r"(n), [len] "r"(len), [fsz] "r"(fsz), [xa] "r"(x_adv), [acc] "r"(acc)
        : "memory");
    return vl;
}

/* tq_rvv_oc_sums for two pixels whose windows have the same geometry, the second's activations
 * dx bytes after the first's: each strided weight load serves both (acc and acc2). */
static inline int32_t tq_rvv_oc_sums2(const int8_t *x, int32_t dx, int32_t xs, int32_t len,
                                      int32_t rows, const int8_t *w, int32_t fsz, int32_t n,
                                      int32_t *acc, int32_t *acc2)
{
    int32_t vl, k, t;
    const int8_t *w1, *u;
    const int32_t x_adv = xs - len;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v16, 0\n\t"
        "vmv.v.i v24, 0\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n"
        "1:\n\t"
        "mv %[k], %[len]\n\t"
        "andi %[t], %[k], 1\n\t"
        "beqz %[t], 2f\n\t"
        "vlse8.v v0, (%[w]), %[fsz]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "add %[u], %[x], %[dx]\n\t"
        "lb %[t], 0(%[x])\n\t"
        "vwmacc.vx v16, %[t], v8\n\t"
        "lb %[t], 0(%[u])\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "addi %[x], %[x], 1\n\t"
        "addi %[w], %[w], 1\n\t"
        "addi %[k], %[k], -1\n\t"
        "beqz %[k], 3f\n"
        "2:\n\t"
        "addi %[w1], %[w], 1\n\t"
        "vlse8.v v0, (%[w]), %[fsz]\n\t"
        "vlse8.v v2, (%[w1]), %[fsz]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsext.vf2 v12, v2\n\t"
        "add %[u], %[x], %[dx]\n\t"
        "lb %[t], 0(%[x])\n\t"
        "vwmacc.vx v16, %[t], v8\n\t"
        "lb %[t], 1(%[x])\n\t"
        "vwmacc.vx v16, %[t], v12\n\t"
        "lb %[t], 0(%[u])\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "lb %[t], 1(%[u])\n\t"
        "vwmacc.vx v24, %[t], v12\n\t"
        "addi %[x], %[x], 2\n\t"
        "addi %[w], %[w], 2\n\t"
        "addi %[k], %[k], -2\n\t"
        "bnez %[k], 2b\n"
        "3:\n\t"
        "add %[x], %[x], %[xa]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 1b\n\t"
        "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
        "vse32.v v16, (%[acc])\n\t"
        "vse32.v v24, (%[acc2])"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [vl] "=&r"(vl), [k] "=&r"(k),
          [t] "=&r"(t), [u] "=&r"(u), [w1] "=&r"(w1)
        : [n] "r"(n), [len] "r"(len), [fsz] "r"(fsz), [xa] "r"(x_adv), [dx] "r"(dx),
          [acc] "r"(acc), [acc2] "r"(acc2)
        : "memory");
    return vl;
}

/* int4 weights. */
/* acc[j * astride / 4] = sum over `rows` runs of `len` activations of x[t] * (tap t of lane
 * j's filter) for the first vl of n lanes; returns vl. Lane j's taps are the nibbles from
 * byte w + j * ws, the first at nibble `phase` (1: high), continuing across runs. */
static inline int32_t tq_rvv_oc_sums_s4(const int8_t *x, int32_t xs, int32_t len,
                                        int32_t rows, const int8_t *w, int32_t phase,
                                        int32_t ws, int32_t n, int32_t *acc, int32_t astride)
{
    int32_t vl, k, t, u;
    const int32_t x_adv = xs - len;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v24, 0\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n"
        "1:\n\t"
        "mv %[k], %[len]\n\t"
        "beqz %[ph], 2f\n\t"
        /* The run starts on a high nibble: one tap alone. */
        "lb %[t], 0(%[x])\n\t"
        "vlse8.v v0, (%[w]), %[ws]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "addi %[x], %[x], 1\n\t"
        "addi %[w], %[w], 1\n\t"
        "li %[ph], 0\n\t"
        "addi %[k], %[k], -1\n"
        "2:\n\t"
        "srli %[u], %[k], 1\n\t"
        "beqz %[u], 4f\n"
        "3:\n\t"
        "lb %[t], 0(%[x])\n\t"
        "vlse8.v v0, (%[w]), %[ws]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsll.vi v12, v8, 12\n\t"
        "vsra.vi v12, v12, 12\n\t"
        "vwmacc.vx v24, %[t], v12\n\t"
        "lb %[t], 1(%[x])\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "addi %[x], %[x], 2\n\t"
        "addi %[w], %[w], 1\n\t"
        "addi %[u], %[u], -1\n\t"
        "bnez %[u], 3b\n"
        "4:\n\t"
        "andi %[k], %[k], 1\n\t"
        "beqz %[k], 5f\n\t"
        /* One tap left: a low nibble, the next run starts on the high one. */
        "lb %[t], 0(%[x])\n\t"
        "vlse8.v v0, (%[w]), %[ws]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsll.vi v8, v8, 12\n\t"
        "vsra.vi v8, v8, 12\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "addi %[x], %[x], 1\n\t"
        "li %[ph], 1\n"
        "5:\n\t"
        "add %[x], %[x], %[xa]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 1b\n\t"
        "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
        "vsse32.v v24, (%[acc]), %[as]"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [ph] "+r"(phase), [vl] "=&r"(vl),
          [k] "=&r"(k), [t] "=&r"(t), [u] "=&r"(u)
        : [n] "r"(n), [len] "r"(len), [ws] "r"(ws), [xa] "r"(x_adv), [acc] "r"(acc),
          [as] "r"(astride)
        : "memory");
    return vl;
}

/* tq_rvv_oc_sums_s4 for two pixels whose windows have the same geometry, the second's activations
 * dx bytes after the first's: each strided weight load serves both (acc and acc2). */
static inline int32_t tq_rvv_oc_sums2_s4(const int8_t *x, int32_t dx, int32_t xs,
                                         int32_t len, int32_t rows, const int8_t *w,
                                         int32_t phase, int32_t ws, int32_t n, int32_t *acc,
                                         int32_t *acc2, int32_t astride)
{
    int32_t vl, k, t, u;
    const int8_t *q;
    const int32_t x_adv = xs - len;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v24, 0\n\t"
        "vmv.v.i v16, 0\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n"
        "1:\n\t"
        "mv %[k], %[len]\n\t"
        "beqz %[ph], 2f\n\t"
        /* The run starts on a high nibble: one tap alone. */
        "lb %[t], 0(%[x])\n\t"
        "vlse8.v v0, (%[w]), %[ws]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "add %[q], %[x], %[dx]\n\t"
        "lb %[t], 0(%[q])\n\t"
        "vwmacc.vx v16, %[t], v8\n\t"
        "addi %[x], %[x], 1\n\t"
        "addi %[w], %[w], 1\n\t"
        "li %[ph], 0\n\t"
        "addi %[k], %[k], -1\n"
        "2:\n\t"
        "srli %[u], %[k], 1\n\t"
        "beqz %[u], 4f\n"
        "3:\n\t"
        "lb %[t], 0(%[x])\n\t"
        "vlse8.v v0, (%[w]), %[ws]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsll.vi v12, v8, 12\n\t"
        "vsra.vi v12, v12, 12\n\t"
        "vwmacc.vx v24, %[t], v12\n\t"
        "add %[q], %[x], %[dx]\n\t"
        "lb %[t], 0(%[q])\n\t"
        "vwmacc.vx v16, %[t], v12\n\t"
        "lb %[t], 1(%[x])\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "lb %[t], 1(%[q])\n\t"
        "vwmacc.vx v16, %[t], v8\n\t"
        "addi %[x], %[x], 2\n\t"
        "addi %[w], %[w], 1\n\t"
        "addi %[u], %[u], -1\n\t"
        "bnez %[u], 3b\n"
        "4:\n\t"
        "andi %[k], %[k], 1\n\t"
        "beqz %[k], 5f\n\t"
        /* One tap left: a low nibble, the next run starts on the high one. */
        "lb %[t], 0(%[x])\n\t"
        "vlse8.v v0, (%[w]), %[ws]\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsll.vi v8, v8, 12\n\t"
        "vsra.vi v8, v8, 12\n\t"
        "vwmacc.vx v24, %[t], v8\n\t"
        "add %[q], %[x], %[dx]\n\t"
        "lb %[t], 0(%[q])\n\t"
        "vwmacc.vx v16, %[t], v8\n\t"
        "addi %[x], %[x], 1\n\t"
        "li %[ph], 1\n"
        "5:\n\t"
        "add %[x], %[x], %[xa]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 1b\n\t"
        "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
        "vsse32.v v24, (%[acc]), %[as]\n\t"
        "vsse32.v v16, (%[acc2]), %[as]"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [ph] "+r"(phase), [vl] "=&r"(vl),
          [k] "=&r"(k), [t] "=&r"(t), [u] "=&r"(u), [q] "=&r"(q)
        : [n] "r"(n), [len] "r"(len), [ws] "r"(ws), [xa] "r"(x_adv), [acc] "r"(acc),
          [acc2] "r"(acc2), [as] "r"(astride), [dx] "r"(dx)
        : "memory");
    return vl;
}

#endif /* TQ_HAS_RVV */
#endif /* TQ_RVV_OCLANES_H */
