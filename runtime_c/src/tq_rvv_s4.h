/*
 * tq_rvv_s4.h - RISC-V vector 1.0 dot products over packed int4 weights (tinyq.h: two per
 * byte, low nibble first), unpacked in vector registers only; the int4 _rvv kernels' long
 * windows. Same inline-assembly rules as tq_rvv.h.
 */
#ifndef TQ_RVV_S4_H
#define TQ_RVV_S4_H

#include "tq_rvv.h"

#if TQ_HAS_RVV
#include <stdint.h>

/* int4 weights (packed two per byte, low nibble first, tinyq.h): out[j] = sum over `rows`
 * runs of 2 * pairs activations of x . w_j for j < 2, where run r of filter j is the
 * pairs bytes at w + j * step + r * ws (its first element a low nibble) and reads x + r * xs.
 * VLSEG2E8 splits the activations into even and odd lanes; each byte gives its low nibble
 * (VSLL then VSRA by 4) to the even lane and its high nibble (VSRA by 4) to the odd one.
 * The products accumulate in int16 lanes (tail undisturbed, so lanes past a short vl keep
 * their sums) and are reduced once at the end: each pass adds at most 2 * 128 * 8 = 2048
 * to a lane, so rows * ceil(pairs / tq_rvv_vlmax_e8m4()) <= 15 passes cannot overflow.
 * rows, pairs >= 1. */
static inline void tq_rvv_dot2_s4(const int8_t *x, int32_t xs, const int8_t *w, int32_t ws,
                                  int32_t pairs, int32_t rows, int32_t step, int32_t out[2])
{
    const int8_t *xp, *wp, *wq;
    int32_t n, vl, t, s0, s1;
    __asm__ volatile(
        "vsetvli %[t], zero, e16, m8, ta, ma\n\t"
        "vmv.v.i v16, 0\n\t"
        "vmv.v.i v24, 0\n"
        "1:\n\t"
        "mv %[xp], %[x]\n\t"
        "mv %[wp], %[w]\n\t"
        "mv %[n], %[pairs]\n"
        "2:\n\t"
        "vsetvli %[vl], %[n], e8, m4, tu, ma\n\t"
        "vlseg2e8.v v0, (%[xp])\n\t"
        "vle8.v v12, (%[wp])\n\t"
        "add %[wq], %[wp], %[step]\n\t"
        "vsll.vi v8, v12, 4\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vv v16, v0, v8\n\t"
        "vsra.vi v12, v12, 4\n\t"
        "vwmacc.vv v16, v4, v12\n\t"
        "vle8.v v8, (%[wq])\n\t"
        "vsll.vi v12, v8, 4\n\t"
        "vsra.vi v12, v12, 4\n\t"
        "vwmacc.vv v24, v0, v12\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vv v24, v4, v8\n\t"
        "add %[wp], %[wp], %[vl]\n\t"
        "add %[xp], %[xp], %[vl]\n\t"
        "add %[xp], %[xp], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 2b\n\t"
        "add %[x], %[x], %[xs]\n\t"
        "add %[w], %[w], %[ws]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 1b\n\t"
        "vsetivli zero, 1, e32, m1, ta, ma\n\t"
        "vmv.s.x v0, zero\n\t"
        "vmv.s.x v1, zero\n\t"
        "vsetvli %[t], zero, e16, m8, ta, ma\n\t"
        "vwredsum.vs v0, v16, v0\n\t"
        "vwredsum.vs v1, v24, v1\n\t"
        "vsetivli zero, 1, e32, m1, ta, ma\n\t"
        "vmv.x.s %[s0], v0\n\t"
        "vmv.x.s %[s1], v1"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [xp] "=&r"(xp), [wp] "=&r"(wp),
          [wq] "=&r"(wq), [n] "=&r"(n), [vl] "=&r"(vl), [t] "=&r"(t), [s0] "=&r"(s0),
          [s1] "=&r"(s1)
        : [xs] "r"(xs), [ws] "r"(ws), [pairs] "r"(pairs), [step] "r"(step)
        : "memory");
    out[0] = s0;
    out[1] = s1;
}

/* Geometry of tq_rvv_dot_pairs_s4 (read by the assembly at these offsets). */
typedef struct {
    const int8_t *x; /* 0: first run's activations */
    int32_t xs;      /* 4: bytes from one run's activations to the next */
    int32_t ws;      /* 8: bytes from one run's weights to the next */
    int32_t pairs;   /* 12: activation pairs per run, >= 1 */
    int32_t rows;    /* 16: runs, >= 1 */
    int32_t wstep;   /* 20: bytes from a pair's first filter to its second */
    int32_t pstep;   /* 24: bytes from one pair's first filter to the next pair's */
    int32_t astep;   /* 28: bytes from one pair's first sum to the next pair's */
    int32_t agap;    /* 32: bytes from a pair's first sum to its second */
    int32_t add;     /* 36: nonzero: add to the sums already there */
} tq_rvv_s4_dots;

/* tq_rvv_dot2_s4 for npairs >= 1 filter pairs in one call: pair i's filters at
 * w + i * pstep and w + i * pstep + wstep, its sums (stored, or added) at
 * acc + i * astep and acc + i * astep + agap (bytes). A pair of one filter (wstep = agap
 * = 0) stores its one sum twice. Same pass limit as tq_rvv_dot2_s4. */
static inline void tq_rvv_dot_pairs_s4(const tq_rvv_s4_dots *a, const int8_t *w, int32_t *acc,
                                       int32_t npairs)
{
    const int8_t *x, *xp, *wr, *wp, *wq;
    int32_t r, n, vl, t, wstep;
    __asm__ volatile(
        "lw %[wstep], 20(%[a])\n\t"
        "vsetvli %[t], zero, e16, m8, ta, ma\n"
        "0:\n\t"
        "vmv.v.i v16, 0\n\t"
        "vmv.v.i v24, 0\n\t"
        "lw %[x], 0(%[a])\n\t"
        "lw %[r], 16(%[a])\n\t"
        "mv %[wr], %[w]\n"
        "1:\n\t"
        "mv %[xp], %[x]\n\t"
        "mv %[wp], %[wr]\n\t"
        "lw %[n], 12(%[a])\n"
        "2:\n\t"
        "vsetvli %[vl], %[n], e8, m4, tu, ma\n\t"
        "vlseg2e8.v v0, (%[xp])\n\t"
        "vle8.v v12, (%[wp])\n\t"
        "add %[wq], %[wp], %[wstep]\n\t"
        "vsll.vi v8, v12, 4\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vv v16, v0, v8\n\t"
        "vsra.vi v12, v12, 4\n\t"
        "vwmacc.vv v16, v4, v12\n\t"
        "vle8.v v8, (%[wq])\n\t"
        "vsll.vi v12, v8, 4\n\t"
        "vsra.vi v12, v12, 4\n\t"
        "vwmacc.vv v24, v0, v12\n\t"
        "vsra.vi v8, v8, 4\n\t"
        "vwmacc.vv v24, v4, v8\n\t"
        "add %[wp], %[wp], %[vl]\n\t"
        "add %[xp], %[xp], %[vl]\n\t"
        "add %[xp], %[xp], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 2b\n\t"
        "lw %[t], 4(%[a])\n\t"
        "add %[x], %[x], %[t]\n\t"
        "lw %[t], 8(%[a])\n\t"
        "add %[wr], %[wr], %[t]\n\t"
        "addi %[r], %[r], -1\n\t"
        "bnez %[r], 1b\n\t"
        "vsetivli zero, 1, e32, m1, ta, ma\n\t"
        "vmv.s.x v0, zero\n\t"
        "vmv.s.x v1, zero\n\t"
        "lw %[t], 36(%[a])\n\t"
        "beqz %[t], 3f\n\t"
        "lw %[t], 32(%[a])\n\t"
        "add %[t], %[t], %[acc]\n\t"
        "vle32.v v0, (%[acc])\n\t"
        "vle32.v v1, (%[t])\n"
        "3:\n\t"
        "vsetvli %[t], zero, e16, m8, ta, ma\n\t"
        "vwredsum.vs v0, v16, v0\n\t"
        "vwredsum.vs v1, v24, v1\n\t"
        "vsetivli zero, 1, e32, m1, ta, ma\n\t"
        "lw %[t], 32(%[a])\n\t"
        "add %[t], %[t], %[acc]\n\t"
        "vse32.v v0, (%[acc])\n\t"
        "vse32.v v1, (%[t])\n\t"
        "vsetvli %[t], zero, e16, m8, ta, ma\n\t"
        "lw %[t], 24(%[a])\n\t"
        "add %[w], %[w], %[t]\n\t"
        "lw %[t], 28(%[a])\n\t"
        "add %[acc], %[acc], %[t]\n\t"
        "addi %[np], %[np], -1\n\t"
        "bnez %[np], 0b"
        : [w] "+r"(w), [acc] "+r"(acc), [np] "+r"(npairs), [x] "=&r"(x), [xp] "=&r"(xp),
          [wr] "=&r"(wr), [wp] "=&r"(wp), [wq] "=&r"(wq), [r] "=&r"(r), [n] "=&r"(n),
          [vl] "=&r"(vl), [t] "=&r"(t), [wstep] "=&r"(wstep)
        : [a] "r"(a)
        : "memory");
}

#endif /* TQ_HAS_RVV */
#endif /* TQ_RVV_S4_H */
