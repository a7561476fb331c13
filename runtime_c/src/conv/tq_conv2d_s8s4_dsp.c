/* Convolution with int4 weights on the Cortex-M DSP extension (SXTB16 / SMLAD).
 *
 * The structure and the column of tq_conv2d_s8_dsp (tq_gather.h: two pixels' windows as
 * one interleaved int16 column, zero past the filter, groups of 4), with the weights
 * never unpacked to memory: the converter interleaves each pair of filters (o, o + 1) so
 * one word holds both filters' 4 nibbles of a group, placed so that (u << s) & 0xF000F000
 * for s = 0, 4, 8, 12 are the halfword pairs (o: e0, e2), (o: e1, e3), (o + 1: e0, e2),
 * (o + 1: e1, e3), each nibble at the top of its halfword (x4096, tq_dsp.h), the pairing
 * of the column's words. Per group: 1 LDR weights, 2 LDRD column, 4 AND, 8 SMLAD
 * (16 MACs), against 2 LDR + 4 SXTB16 for int8 weights. The x4096 sums are exact for up
 * to TQ_S4_QUADS groups (4 products per group and accumulator, each |p| <= 2^22), then
 * added >> 12 (exact) to the int32 accumulator: the reference's sum in another order.
 * An odd last filter has a halfword per group (tinyq.h) and takes a C loop.
 * Grouped convolutions use the reference kernel (and keep the reference layout).
 *
 * scratch: TQ_CONV2D_S8S4_DSP_SCRATCH(k_h * k_w * in_c, out_c) bytes (tinyq.h), the same
 * as the int8 kernel's. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_gather.h"
#include "../tq_requant.h"

/* Groups of 4 per exact x4096 chunk: 4 * 127 products of at most 2^22 stay below 2^31. */
#define TQ_S4_QUADS 127

/* One group: both pixels (a: slot 0, b: slot 1) times both filters of the word u; FIRST
 * starts the sums with SMUAD for a chunk's first group (no zeroing), else SMLAD. */
#define DOT_S4_HEAD(FIRST)                                                                 \
    "ldr %[u], [%[w]], #4\n\t"                                                             \
    "ldrd %[a0], %[a1], [%[c]], #8\n\t"                                                    \
    "ldrd %[b0], %[b1], [%[c]], #8\n\t"                                                    \
    "and %[t], %[m], %[u]\n\t"                                                             \
    FIRST("s00", "a0") FIRST("s10", "b0")                                                  \
    "and %[t], %[m], %[u], lsl #8\n\t"                                                     \
    FIRST("s01", "a0") FIRST("s11", "b0")
#define DOT_S4_TAIL                                                                        \
    "and %[t], %[m], %[u], lsl #4\n\t"                                                     \
    "smlad %[s00], %[a1], %[t], %[s00]\n\t"                                                \
    "smlad %[s10], %[b1], %[t], %[s10]\n\t"                                                \
    "and %[t], %[m], %[u], lsl #12\n\t"                                                    \
    "smlad %[s01], %[a1], %[t], %[s01]\n\t"                                                \
    "smlad %[s11], %[b1], %[t], %[s11]\n\t"
#define SMUAD(s, x) "smuad %[" s "], %[" x "], %[t]\n\t"
#define SMLAD(s, x) "smlad %[" s "], %[" x "], %[t], %[" s "]\n\t"
#define DOT_S4_FIRST DOT_S4_HEAD(SMUAD) DOT_S4_TAIL
#define DOT_S4_GROUP DOT_S4_HEAD(SMLAD) DOT_S4_TAIL

/* acc += {p0.o, p0.o+1, p1.o, p1.o+1} over `n` groups (1..TQ_S4_QUADS) of the pair at
 * *w, *w advanced past them. The first group is peeled (SMUAD starts the sums); LSRS
 * halves the rest into the loop's count, the odd one in the carry (as dot_s8). */
static inline __attribute__((always_inline)) void dot_chunk(const int8_t *col,
                                                            const int8_t **wp, int32_t n,
                                                            int32_t acc[4])
{
    int32_t s00, s01, s10, s11;
    uint32_t a0, a1, b0, b1, u, t;
    const int8_t *w = *wp;
    n -= 1;
    __asm__ volatile(
        DOT_S4_FIRST
        "lsrs %[n], %[n], #1\n\t"
        "bcc 2f\n\t"
        DOT_S4_GROUP
        "2:\n\t"
        "beq 3f\n"
        "1:\n\t"
        DOT_S4_GROUP
        DOT_S4_GROUP
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n"
        "3:\n\t"
        : [s00] "=&r"(s00), [s01] "=&r"(s01), [s10] "=&r"(s10), [s11] "=&r"(s11),
          [c] "+r"(col), [w] "+r"(w), [n] "+r"(n),
          [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [u] "=&r"(u),
          [t] "=&r"(t)
        : [m] "r"(TQ_S4_MASK)
        : "cc", "memory");
    *wp = w;
    /* Exact multiples of 4096; >> of a negative is arithmetic on gcc (as tq_requant). */
    acc[0] += s00 >> 12;
    acc[1] += s01 >> 12;
    acc[2] += s10 >> 12;
    acc[3] += s11 >> 12;
}

/* Inlined into each entry point, so `long_filter` is a constant there. */
#define SPECIALIZE static inline __attribute__((always_inline))

/* The pair at *w over `quads` groups into acc; more than one chunk only if long_filter. */
SPECIALIZE void dot_pair(const int8_t *col, const int8_t **w, int32_t quads, int long_filter,
                         int32_t acc[4])
{
    if (!long_filter) {
        dot_chunk(col, w, quads, acc);
        return;
    }
    for (int32_t q = 0; q < quads; q += TQ_S4_QUADS) {
        const int32_t n = quads - q < TQ_S4_QUADS ? quads - q : TQ_S4_QUADS;
        dot_chunk(col + 16 * q, w, n, acc);
    }
}

/* The odd last filter (one halfword h per group, nibbles e2 e3 e0 e1 from the lowest):
 * h | h << 24 puts (e0, e2) at the tops of (h | h << 24) << 4 and (e1, e3) of itself. */
static void last_filter(const int8_t *col, const int8_t *w, int32_t quads, int32_t acc[2])
{
    for (int32_t q0 = 0; q0 < quads; q0 += TQ_S4_QUADS) {
        const int32_t end = quads - q0 < TQ_S4_QUADS ? quads : q0 + TQ_S4_QUADS;
        int32_t s0 = 0, s1 = 0;
        for (int32_t q = q0; q < end; q++) {
            uint16_t h;
            memcpy(&h, w + 2 * q, sizeof h);
            const uint32_t u = h | (uint32_t)h << 24;
            const int16x2_t te = (int16x2_t)((u << 4) & TQ_S4_MASK);
            const int16x2_t to = (int16x2_t)(u & TQ_S4_MASK);
            const int8_t *c = col + 16 * q;
            s0 = __smlad((int16x2_t)tq_load4(c), te, s0);
            s0 = __smlad((int16x2_t)tq_load4(c + 4), to, s0);
            s1 = __smlad((int16x2_t)tq_load4(c + 8), te, s1);
            s1 = __smlad((int16x2_t)tq_load4(c + 12), to, s1);
        }
        acc[0] += s0 >> 12;
        acc[1] += s1 >> 12;
    }
}

static inline int8_t requant_one(const tq_conv2d_params *p, int32_t acc, int32_t oc)
{
    return tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[oc], p->shift[oc]), p->act_min,
                       p->act_max);
}

/* Output pixels o0 (and o1 when `two`; else slot 1 of the column is stale and its
 * results are written first, then overwritten): every channel, the pairs in the tight
 * loop when there is a table (every shift above 32). */
SPECIALIZE void pixels(const tq_conv2d_params *p, const int8_t *col, int32_t quads,
                       int long_filter, const int32_t *table, const tq_requant_pair_t *rq,
                       int8_t *o0, int two)
{
    const int32_t out_c = p->out_c;
    int8_t *o1 = two ? o0 + out_c : o0;
    const int8_t *w = p->weights;
    if (table != NULL) {
        const int32_t *t = table;
        int8_t *p0 = o0, *p1 = o1; /* p1 first: o1 == o0 when !two */
        for (int32_t q = 0; q < out_c >> 1; q++, t += TQ_TABLE_WORDS) {
            int32_t acc[4] = {t[0], t[1], t[0], t[1]};
            dot_pair(col, &w, quads, long_filter, acc);
            tq_requant_2x2(acc, t + 2, rq, &p0, &p1);
        }
    } else {
        for (int32_t oc = 0; oc + 1 < out_c; oc += 2) {
            int32_t acc[4] = {p->bias[oc], p->bias[oc + 1], p->bias[oc], p->bias[oc + 1]};
            dot_pair(col, &w, quads, long_filter, acc);
            o1[oc] = requant_one(p, acc[2], oc);
            o0[oc] = requant_one(p, acc[0], oc);
            o1[oc + 1] = requant_one(p, acc[3], oc + 1);
            o0[oc + 1] = requant_one(p, acc[1], oc + 1);
        }
    }
    if (out_c & 1) {
        const int32_t oc = out_c - 1;
        int32_t acc[2] = {p->bias[oc], p->bias[oc]};
        last_filter(col, w, quads, acc);
        o1[oc] = requant_one(p, acc[1], oc);
        o0[oc] = requant_one(p, acc[0], oc);
    }
}

/* Scratch: the column (16 quads bytes), two int8 windows (4 quads bytes each), the
 * requantization table (TQ_TABLE_WORDS words per pair). */
SPECIALIZE void conv(const tq_conv2d_params *p, const int8_t *in, int8_t *out,
                     int8_t *scratch, int32_t quads, int long_filter)
{
    const int32_t out_c = p->out_c;
    int8_t *col = scratch;
    int8_t *x0 = scratch + 16 * quads;
    int8_t *x1 = x0 + 4 * quads;
    const int32_t *table = tq_requant_table(p, out_c >> 1,
                                            (int32_t *)(void *)(x1 + 4 * quads));
    const tq_requant_pair_t rq = tq_requant_pair_init(p->out_zp, p->act_min, p->act_max);
    tq_column_init(p, col, x0, x1, quads);
    const int32_t n = p->out_h * p->out_w;
    const int direct = tq_column_direct(p);
    int32_t oy = 0, ox = 0;
    for (int32_t i = 0; i < n; i += 2) {
        const int two = i + 1 < n;
        tq_column_slot(p, in, &oy, &ox, col, x0, quads, direct);
        if (two) {
            tq_column_slot(p, in, &oy, &ox, col + 8, x1, quads, direct);
        }
        pixels(p, col, quads, long_filter, table, &rq, out + (size_t)i * out_c, two);
    }
}

void tq_conv2d_s8s4_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8s4(p, in, out);
        return;
    }
    const int32_t quads = (p->k_h * p->k_w * p->in_c + 3) >> 2;
    if (quads <= TQ_S4_QUADS) {
        conv(p, in, out, scratch, quads, 0);
    } else {
        conv(p, in, out, scratch, quads, 1);
    }
}
#endif /* TQ_HAS_DSP */
