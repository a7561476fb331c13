/*
 * tq_rvv.h - RISC-V vector 1.0 building blocks shared by the _rvv kernels (GNU inline
 * assembly: GCC 12 has no RVV intrinsics and emits no vector code, so no vector register is
 * live outside one asm statement and none needs a clobber). Needs VLEN >= 128.
 */
#ifndef TQ_RVV_H
#define TQ_RVV_H

#include "tq_isa.h"

#if TQ_HAS_RVV
#include <stdint.h>

/* out[j] = sum over `rows` runs of `len` bytes of x . (w + j * step), j < 4; run r reads
 * x + r * xs and w + r * ws. rows, len >= 1. */
static inline void tq_rvv_dot4(const int8_t *x, int32_t xs, const int8_t *w, int32_t ws,
                               int32_t len, int32_t rows, int32_t step, int32_t out[4])
{
    const int8_t *xp, *wp, *wq;
    int32_t n, vl;
    __asm__ volatile(
        "vsetivli zero, 1, e32, m1, ta, ma\n\t"
        "vmv.s.x v0, zero\n\t"
        "vmv.s.x v1, zero\n\t"
        "vmv.s.x v2, zero\n\t"
        "vmv.s.x v3, zero\n"
        "1:\n\t"
        "mv %[xp], %[x]\n\t"
        "mv %[wp], %[w]\n\t"
        "mv %[n], %[len]\n"
        "2:\n\t"
        "vsetvli %[vl], %[n], e8, m4, ta, ma\n\t"
        "vle8.v v4, (%[xp])\n\t"
        "vle8.v v8, (%[wp])\n\t"
        "add %[wq], %[wp], %[step]\n\t"
        "vle8.v v12, (%[wq])\n\t"
        "vwmul.vv v16, v4, v8\n\t"
        "vwmul.vv v24, v4, v12\n\t"
        "add %[wq], %[wq], %[step]\n\t"
        "vle8.v v8, (%[wq])\n\t"
        "add %[wq], %[wq], %[step]\n\t"
        "vle8.v v12, (%[wq])\n\t"
        "vsetvli zero, %[vl], e16, m8, ta, ma\n\t"
        "vwredsum.vs v0, v16, v0\n\t"
        "vwredsum.vs v1, v24, v1\n\t"
        "vsetvli zero, %[vl], e8, m4, ta, ma\n\t"
        "vwmul.vv v16, v4, v8\n\t"
        "vwmul.vv v24, v4, v12\n\t"
        "vsetvli zero, %[vl], e16, m8, ta, ma\n\t"
        "vwredsum.vs v2, v16, v2\n\t"
        "vwredsum.vs v3, v24, v3\n\t"
        "add %[xp], %[xp], %[vl]\n\t"
        "add %[wp], %[wp], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 2b\n\t"
        "add %[x], %[x], %[xs]\n\t"
        "add %[w], %[w], %[ws]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 1b\n\t"
        /* Element 0 of v0..v3 are the four sums: pack them and store once. */
        "vsetivli zero, 4, e32, m1, ta, ma\n\t"
        "vslideup.vi v0, v1, 1\n\t"
        "vslideup.vi v0, v2, 2\n\t"
        "vslideup.vi v0, v3, 3\n\t"
        "vse32.v v0, (%[out])"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [xp] "=&r"(xp), [wp] "=&r"(wp),
          [wq] "=&r"(wq), [n] "=&r"(n), [vl] "=&r"(vl)
        : [xs] "r"(xs), [ws] "r"(ws), [len] "r"(len), [step] "r"(step), [out] "r"(out)
        : "memory");
}

/* out[i] = clamp(zp + requant(acc[i] + bias[i], mult[i], shift[i])) for i < n, every
 * shift in [32, 62]. With P = acc * mult (|P| < 2^62), T = floor(P / 2^31) fits int32 and is
 * (hi << 1) | (lo >> 31) of the 64-bit product; VSSRA with vxrm = round-to-nearest-up gives
 * floor((T + 2^(d-1)) / 2^d) for d = shift - 31 in [1, 31], which is floor((P + 2^(shift-1))
 * / 2^shift): tq_requant's bits. The clamp makes the two narrowing shifts exact. */
static inline void tq_rvv_requant(const int32_t *acc, const int32_t *bias, const int32_t *mult,
                                  const int8_t *shift, int32_t n, int8_t *out, int32_t zp,
                                  int32_t lo, int32_t hi)
{
    int32_t vl, t;
    __asm__ volatile(
        "csrwi vxrm, 0\n"
        "1:\n\t"
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vle32.v v0, (%[acc])\n\t"
        "vle32.v v8, (%[bias])\n\t"
        "vadd.vv v0, v0, v8\n\t"
        "vle32.v v8, (%[mult])\n\t"
        "vmulh.vv v16, v0, v8\n\t"
        "vmul.vv v24, v0, v8\n\t"
        "vadd.vv v16, v16, v16\n\t"
        "vsrl.vi v24, v24, 31\n\t"
        "vor.vv v16, v16, v24\n\t"
        "vle8.v v8, (%[shift])\n\t"
        "vsext.vf4 v24, v8\n\t"
        "vsub.vx v24, v24, %[k31]\n\t"
        "vssra.vv v16, v16, v24\n\t"
        "vadd.vx v16, v16, %[zp]\n\t"
        "vmax.vx v16, v16, %[lo]\n\t"
        "vmin.vx v16, v16, %[hi]\n\t"
        "vsetvli zero, zero, e16, m4, ta, ma\n\t"
        "vnsrl.wi v0, v16, 0\n\t"
        "vsetvli zero, zero, e8, m2, ta, ma\n\t"
        "vnsrl.wi v8, v0, 0\n\t"
        "vse8.v v8, (%[out])\n\t"
        "add %[shift], %[shift], %[vl]\n\t"
        "add %[out], %[out], %[vl]\n\t"
        "slli %[t], %[vl], 2\n\t"
        "add %[acc], %[acc], %[t]\n\t"
        "add %[bias], %[bias], %[t]\n\t"
        "add %[mult], %[mult], %[t]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 1b"
        : [acc] "+r"(acc), [bias] "+r"(bias), [mult] "+r"(mult), [shift] "+r"(shift),
          [n] "+r"(n), [out] "+r"(out), [vl] "=&r"(vl), [t] "=&r"(t)
        : [zp] "r"(zp), [lo] "r"(lo), [hi] "r"(hi), [k31] "r"(31)
        : "memory");
}

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

static inline int32_t tq_rvv_vlmax_e8m4(void)
{
    int32_t vl;
    __asm__ volatile("vsetvli %0, zero, e8, m4, ta, ma" : "=r"(vl));
    return vl;
}

static inline void tq_rvv_copy_s8(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t vl;
    __asm__ volatile(
        "beqz %[n], 2f\n"
        "1:\n\t"
        "vsetvli %[vl], %[n], e8, m8, ta, ma\n\t"
        "vle8.v v8, (%[s])\n\t"
        "vse8.v v8, (%[d])\n\t"
        "add %[s], %[s], %[vl]\n\t"
        "add %[d], %[d], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 1b\n"
        "2:"
        : [d] "+r"(dst), [s] "+r"(src), [n] "+r"(n), [vl] "=&r"(vl)
        :
        : "memory");
}

static inline void tq_rvv_fill_s8(int8_t *dst, int32_t value, int32_t n)
{
    int32_t vl;
    __asm__ volatile(
        "beqz %[n], 2f\n"
        "1:\n\t"
        "vsetvli %[vl], %[n], e8, m8, ta, ma\n\t"
        "vmv.v.x v8, %[v]\n\t"
        "vse8.v v8, (%[d])\n\t"
        "add %[d], %[d], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 1b\n"
        "2:"
        : [d] "+r"(dst), [n] "+r"(n), [vl] "=&r"(vl)
        : [v] "r"(value)
        : "memory");
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

/* The smallest of n >= 1 int8 values (a layer's shifts: all >= 32 lets tq_rvv_requant
 * run). */
static inline int32_t tq_rvv_min_s8(const int8_t *v, int32_t n)
{
    int32_t vl, m;
    __asm__ volatile(
        "vsetivli zero, 1, e8, m1, ta, ma\n\t"
        "vmv.s.x v8, %[big]\n"
        "1:\n\t"
        "vsetvli %[vl], %[n], e8, m8, ta, ma\n\t"
        "vle8.v v0, (%[v])\n\t"
        "vredmin.vs v8, v0, v8\n\t"
        "add %[v], %[v], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 1b\n\t"
        "vmv.x.s %[m], v8"
        : [v] "+r"(v), [n] "+r"(n), [vl] "=&r"(vl), [m] "=&r"(m)
        : [big] "r"(127)
        : "memory");
    return m;
}

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

#endif /* TQ_HAS_RVV */
#endif /* TQ_RVV_H */
