/*
 * tq_rvv_dw_window.h - one window of the _rvv depthwise kernels (tq_dwconv2d_s8_rvv,
 * tq_dwconv2d_s8s4_rvv) as rectangles of taps: the taps inside the image read from the
 * input, the padded ones (up to four rectangles) from a buffer of in_zp, all summed into the
 * same lanes by the kernel's own rect_sums. A template, included once by each kernel after
 * it defines:
 *   rect, rect_sums                   its rectangle steps and their asm loop;
 *   TQ_DW_WB(n)                       the bytes of n channels' weights (n, or (n) / 2);
 *   tap_weights(p, ky, kx, c0)        the weights of channel c0 of tap (ky, kx);
 *   TQ_DW_INSIDE_W(w, p, ky, kx, c0)  the same, given w = tap_weights(p, 0, 0, c0) (the
 *                                     int8 kernel steps from w, as its own copy did).
 * Static functions over macros, not functions taking a flag, so that each kernel compiles
 * to exactly the instructions its own copy did (checked with objdump).
 */
#ifndef TQ_RVV_DW_WINDOW_H
#define TQ_RVV_DW_WINDOW_H

/* Rectangle of taps with `rows` x `cols` taps read from the input (inside) or from the
 * in_zp buffer (padded, every x step 0). */
static rect make_rect(const tq_dwconv2d_params *p, int32_t rows, int32_t cols, int inside)
{
    rect r;
    r.rows = cols > 0 ? rows : 0;
    r.cols = cols;
    r.x_col = inside ? p->dil_w * p->in_c : 0;
    r.w_col = TQ_DW_WB(p->out_c);
    r.x_row = inside ? p->dil_h * p->in_w * p->in_c - cols * r.x_col : 0;
    r.w_row = (p->k_w - cols) * TQ_DW_WB(p->out_c);
    return r;
}

/* Adds the padded rectangle of taps from (ky, kx) to acc: x is in_zp for all of them. */
static void add_padded(const tq_dwconv2d_params *p, const int8_t *zbuf, int32_t ky, int32_t kx,
                       int32_t rows, int32_t cols, int32_t c0, int32_t n, int32_t *acc)
{
    const rect r = make_rect(p, rows, cols, 0);
    if (r.rows > 0) {
        rect_sums(zbuf, tap_weights(p, ky, kx, c0), &r, acc, acc, n);
    }
}

/* acc[c] for the channels from c0 of one window whose taps [k[0], k[1]) x [k[2], k[3]) are
 * inside the image (an empty inside has k = {k_h, k_h, k_w, k_w}); n and the result count
 * lanes as rect_sums does (channels, or channel pairs with int4 weights). */
static int32_t window_sums(const tq_dwconv2d_params *p, const int8_t *in, const int8_t *zbuf,
                           int32_t iy0, int32_t ix0, const int32_t k[4], int32_t c0,
                           int32_t n, int32_t *acc)
{
    const int32_t ky_lo = k[0], ky_hi = k[1], kx_lo = k[2], kx_hi = k[3];
    const rect r = make_rect(p, ky_hi - ky_lo, kx_hi - kx_lo, 1);
    const int8_t *x = zbuf;
    const int8_t *w = tap_weights(p, 0, 0, c0);
    if (r.rows > 0) {
        x = in + ((size_t)(iy0 + ky_lo * p->dil_h) * p->in_w + ix0 + kx_lo * p->dil_w) *
                     p->in_c + c0;
        w = TQ_DW_INSIDE_W(w, p, ky_lo, kx_lo, c0);
    }
    const int32_t vl = rect_sums(x, w, &r, NULL, acc, n);
    if (p->in_zp != 0 && (r.rows != p->k_h || r.cols != p->k_w)) {
        /* Padded taps: rows above and below in full, then left and right of the inside. */
        add_padded(p, zbuf, 0, 0, ky_lo, p->k_w, c0, n, acc);
        add_padded(p, zbuf, ky_hi, 0, p->k_h - ky_hi, p->k_w, c0, n, acc);
        add_padded(p, zbuf, ky_lo, 0, ky_hi - ky_lo, kx_lo, c0, n, acc);
        add_padded(p, zbuf, ky_lo, kx_hi, ky_hi - ky_lo, p->k_w - kx_hi, c0, n, acc);
    }
    return vl;
}

#endif /* TQ_RVV_DW_WINDOW_H */
