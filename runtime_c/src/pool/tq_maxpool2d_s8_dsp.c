/* Max pooling on the Cortex-M DSP extension: four channels per word, the bytewise max of
 * two words by SSUB8 (GE set per byte where a >= b) and SEL, two instructions per four
 * channels per window position. Pixel by pixel as the reference, each group of four
 * channels written after its window was read, so out == in (in place, tinyq.h) stays
 * safe: a later group or window never reads the bytes written. No restrict, and loads by
 * memcpy, for the same reason. Channels past the last multiple of 4 one by one. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_requant.h"

/* Bytewise signed max(a, b); one asm so nothing comes between SSUB8 and its SEL. */
static inline uint32_t max8x4(uint32_t a, uint32_t b)
{
    uint32_t t;
    __asm__("ssub8 %1, %0, %2\n\t"
            "sel %0, %0, %2"
            : "+r"(a), "=&r"(t)
            : "r"(b)
            : "cc");
    return a;
}

/* Bytewise signed min(a, b). */
static inline uint32_t min8x4(uint32_t a, uint32_t b)
{
    uint32_t t;
    __asm__("ssub8 %1, %0, %2\n\t"
            "sel %0, %2, %0"
            : "+r"(a), "=&r"(t)
            : "r"(b)
            : "cc");
    return a;
}

/* Taps [k0, k1) of a window starting at `start` with k taps `dil` apart lie in [0, size). */
static void clip(int32_t start, int32_t k, int32_t dil, int32_t size, int32_t *k0, int32_t *k1)
{
    int32_t a = 0, b = k;
    while (a < b && start + a * dil < 0) {
        a++;
    }
    while (b > a && start + (b - 1) * dil >= size) {
        b--;
    }
    *k0 = a;
    *k1 = b;
}

void tq_maxpool2d_s8_dsp(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out)
{
    const int32_t ch = p->c, c4 = ch & ~3;
    const uint32_t lo4 = 0x01010101u * (uint8_t)p->act_min;
    const uint32_t hi4 = 0x01010101u * (uint8_t)p->act_max;
    const int32_t ts = p->dil_w * ch, rs = p->dil_h * p->in_w * ch;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int32_t ky0, ky1;
        clip(iy0, p->k_h, p->dil_h, p->in_h, &ky0, &ky1);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int32_t kx0, kx1;
            clip(ix0, p->k_w, p->dil_w, p->in_w, &kx0, &kx1);
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * ch;
            /* The window's first valid pixel (every window holds one, tinyq.h). */
            const int8_t *x0 = in + ((size_t)(iy0 + ky0 * p->dil_h) * p->in_w + ix0 +
                                     kx0 * p->dil_w) * ch;
            for (int32_t c = 0; c < c4; c += 4) {
                uint32_t m = 0x80808080u;
                const int8_t *r = x0 + c;
                for (int32_t ky = ky0; ky < ky1; ky++, r += rs) {
                    const int8_t *x = r;
                    for (int32_t kx = kx0; kx < kx1; kx++, x += ts) {
                        m = max8x4(tq_load4(x), m);
                    }
                }
                tq_store4(o + c, min8x4(max8x4(m, lo4), hi4));
            }
            for (int32_t c = c4; c < ch; c++) {
                int32_t best = -128;
                const int8_t *r = x0 + c;
                for (int32_t ky = ky0; ky < ky1; ky++, r += rs) {
                    const int8_t *x = r;
                    for (int32_t kx = kx0; kx < kx1; kx++, x += ts) {
                        best = *x > best ? *x : best;
                    }
                }
                o[c] = tq_clamp_s8(best, p->act_min, p->act_max);
            }
        }
    }
}
#endif /* TQ_HAS_DSP */
