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

#endif /* TQ_HAS_RVV */
#endif /* TQ_RVV_H */
