/*
 * tinyq.h - the public API of the tinyq runtime kernels.
 *
 * Every tensor is int8, batch 1, laid out NHWC (a 4-D PyTorch tensor N,C,H,W is stored
 * as [H][W][C]); 2-D tensors are [rows][features]. Real value = scale * (q - zero_point).
 *
 * Requantization (one rule everywhere, DESIGN.md section 3):
 *     y = clamp(out_zp + ((acc * mult + (1 << (shift - 1))) >> shift), act_min, act_max)
 * with acc an int32 accumulator, mult an int32 in [2^30, 2^31) (0 allowed: the layer's
 * output is then out_zp), shift in [1, 62], a 64-bit product and an arithmetic right shift
 * (round half up). No float, no division.
 *
 * Weights are symmetric (zero point 0): int8, or int4 for the _s8s4 kernels (int8
 * activations, int4 weights in [-8, 7] packed two per byte: element 2i of the flattened
 * weight array, in the layout the _s8 kernel documents, is the low nibble of byte i and
 * element 2i + 1 the high nibble; an odd count leaves the last high nibble 0. Their
 * `weights` pointer points at ceil(count / 2) packed bytes; every other field is as for
 * _s8). The input zero point is folded into the bias offline (bias' = bias - in_zp *
 * sum(w)), so a padded input position takes the value in_zp (real 0). Kernels are pure
 * functions of their arguments; none allocates, none keeps state.
 * Input and output buffers of one call must not overlap unless the kernel says so.
 */
#ifndef TINYQ_H
#define TINYQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of a generated tq_<name>_run(). */
#define TQ_OK 0
#define TQ_ERR_ARENA_TOO_SMALL 1
#define TQ_ERR_ARENA_MISALIGNED 2
#define TQ_ERR_NULL_POINTER 3

/* The arena handed to tq_<name>_run() must be aligned to this many bytes. */
#define TQ_ARENA_ALIGN 16

/* Per-layer hooks around each kernel call in generated code. They expand to nothing unless
 * the build defines them (profiling with a cycle counter, instruction-count markers). */
#ifndef TQ_LAYER_BEGIN
#define TQ_LAYER_BEGIN(index) ((void)0)
#endif
#ifndef TQ_LAYER_END
#define TQ_LAYER_END(index) ((void)0)
#endif

/* ---- Convolution -------------------------------------------------------------------- */

/* General 2-D convolution (PyTorch Conv2d semantics, any stride / padding / dilation /
 * groups). weights: OHWI [out_c][k_h][k_w][in_c / groups]; bias, mult, shift: [out_c].
 * Output channel o belongs to group o / (out_c / groups) and reads input channels
 * [g * in_c / groups, (g + 1) * in_c / groups). Output position (oy, ox) reads input row
 * oy * stride_h - pad_top + ky * dil_h (likewise for columns); positions outside the input
 * read in_zp. out_h / out_w are given (the converter computed them, so bottom / right
 * padding is implied). */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t dil_h, dil_w;
    int32_t groups;
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
} tq_conv2d_params;

void tq_conv2d_s8(const tq_conv2d_params *p, const int8_t *restrict in, int8_t *restrict out);

/* tq_conv2d_s8 with int4 weights: p->weights holds the OHWI array packed two per byte
 * (see the top of this file); filter o starts at element o * k_h * k_w * in_c / groups,
 * mid-byte when that is odd. Same results as tq_conv2d_s8 on the unpacked values. */
void tq_conv2d_s8s4(const tq_conv2d_params *p, const int8_t *restrict in,
                    int8_t *restrict out);

/* Depthwise 2-D convolution (groups == in_c) with channel multiplier ch_mult:
 * out_c = in_c * ch_mult and output channel o reads input channel o / ch_mult.
 * weights: [k_h][k_w][out_c] (the "1HWC" layout); bias, mult, shift: [out_c].
 * Geometry and padding as tq_conv2d_s8. */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t ch_mult;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t dil_h, dil_w;
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
} tq_dwconv2d_params;

void tq_dwconv2d_s8(const tq_dwconv2d_params *p, const int8_t *restrict in,
                    int8_t *restrict out);

/* tq_dwconv2d_s8 with int4 weights: p->weights holds the [k_h][k_w][out_c] array packed two
 * per byte. Same results as tq_dwconv2d_s8 on the unpacked values. */
void tq_dwconv2d_s8s4(const tq_dwconv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out);

/* ---- Fully connected ------------------------------------------------------------------ */

/* out[r][o] = requant(bias[o] + sum_i weights[o][i] * in[r][i]) for each of `rows` rows.
 * weights: [out_features][in_features]; bias, mult, shift: [out_features]. */
typedef struct {
    int32_t rows, in_features, out_features;
    int32_t out_zp;
    int32_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
} tq_fc_params;

void tq_fc_s8(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);

/* tq_fc_s8 with int4 weights: p->weights holds the [out_features][in_features] array packed
 * two per byte; row o starts at element o * in_features, mid-byte when that is odd. Same
 * results as tq_fc_s8 on the unpacked values. */
void tq_fc_s8s4(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);

/* ---- Elementwise ---------------------------------------------------------------------- */

/* Add of two same-shape tensors with their own scales, one rounding:
 *   acc = (int64)(a - in1_zp) * mult1 + (int64)(b - in2_zp) * mult2
 *   y = clamp(out_zp + ((acc + (1 << (shift - 1))) >> shift), act_min, act_max)
 * mult1, mult2 < 2^31 share the one shift in [1, 62]. out may alias a or b (in place). */
typedef struct {
    int32_t size;
    int32_t in1_zp, in2_zp;
    int32_t mult1, mult2;
    int32_t shift;
    int32_t out_zp;
    int32_t act_min, act_max;
} tq_add_params;

void tq_add_s8(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out);

/* Any function of one int8 tensor as a 256-entry table: out[i] = table[in[i] + 128].
 * out may alias in (in place). */
void tq_lut_s8(const int8_t *in, int8_t *out, int32_t size, const int8_t *table);

/* ---- Data movement -------------------------------------------------------------------- */

/* One input of a concatenation, rescaled into its slice of the output:
 * for o < outer, i < in_inner:
 *   out[o * out_inner + out_offset + i] = requant(in[o * in_inner + i] - in_zp)
 * i.e. clamp(out_zp + (((x - in_zp) * mult + (1 << (shift - 1))) >> shift), -128, 127).
 * mult == 0 means the input already has the output's scale and zero point: a plain copy. */
typedef struct {
    int32_t outer, in_inner, out_inner, out_offset;
    int32_t in_zp, out_zp;
    int32_t mult, shift;
} tq_concat_params;

void tq_concat_s8(const tq_concat_params *p, const int8_t *restrict in, int8_t *restrict out);

/* Constant padding of an [in_h][in_w][c] tensor into [out_h][out_w][c]: input pixel (y, x)
 * lands at (y + pad_top, x + pad_left); everything else is `value`. */
typedef struct {
    int32_t in_h, in_w, c;
    int32_t out_h, out_w;
    int32_t pad_top, pad_left;
    int32_t value;
} tq_pad_params;

void tq_pad_s8(const tq_pad_params *p, const int8_t *restrict in, int8_t *restrict out);

/* Reorder [h][w][c] to [c][h][w] (PyTorch's flatten order) where a flattened feature map
 * feeds something other than a fully connected layer. */
void tq_hwc_to_chw_s8(int32_t h, int32_t w, int32_t c, const int8_t *restrict in,
                      int8_t *restrict out);

/* Copy a rows x cols window of [.][src_w][c] starting at (src_top, src_left) into
 * [.][dst_w][c] at (dst_top, dst_left). Patch-based execution crops each patch's input
 * window with it and pastes each patch's output into the full tensor. */
typedef struct {
    int32_t rows, cols, c;
    int32_t src_w, src_top, src_left;
    int32_t dst_w, dst_top, dst_left;
} tq_window_copy_params;

void tq_window_copy_s8(const tq_window_copy_params *p, const int8_t *restrict src,
                       int8_t *restrict dst);

/* In-place execution by rows. A convolution whose output rows have the bytes of its input
 * rows and which steps one row down the input can overwrite its own input: output row r
 * reads input rows r - pad_top .. r - pad_top + window - 1 (those inside the tensor) and
 * belongs where input row r was. Output rows are computed per_call at a time into a ring
 * of `blocks` blocks of per_call scratch rows (blocks = ceil(pad_top / per_call) + 1) and
 * copied home once no later output row reads their input row. The generated code runs,
 * for r = 0, per_call, ... < height: b = tq_rows_band(p, r); the kernel on b.rows input
 * rows from row b.first with b.pad_top padding rows above them, b.out_rows output rows,
 * into tq_rows_slot(p, ring, r); then tq_rows_commit(p, buf, ring, r). */
typedef struct {
    int32_t height, window, pad_top, row_bytes;
    int32_t per_call, blocks;
} tq_rows_params;

typedef struct {
    int32_t first, rows, pad_top, out_rows;
} tq_rows_band_t;

tq_rows_band_t tq_rows_band(const tq_rows_params *p, int32_t r);
int8_t *tq_rows_slot(const tq_rows_params *p, int8_t *ring, int32_t r);
void tq_rows_commit(const tq_rows_params *p, int8_t *restrict buf, const int8_t *restrict ring,
                    int32_t r);

/* ---- Pooling -------------------------------------------------------------------------- */

/* Max pooling (PyTorch MaxPool2d: padded positions never win; dilation; ceil_mode through
 * out_h / out_w). Output keeps the input's scale and zero point, then is clamped to
 * [act_min, act_max] (a fused ReLU). Every window holds at least one input position.
 * Unpadded, out may equal in (in place): each output pixel is written after its window is
 * read, and every later window starts beyond it. */
typedef struct {
    int32_t in_h, in_w, c;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t dil_h, dil_w;
    int32_t act_min, act_max;
} tq_maxpool2d_params;

void tq_maxpool2d_s8(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out);

/* Average pooling with PyTorch AvgPool2d semantics. For output (oy, ox):
 *   h0 = oy * stride_h - pad_h, h1 = min(h0 + k_h, in_h + pad_h)  (likewise w0, w1)
 *   padded_count = (h1 - h0) * (w1 - w0)
 *   then h0 = max(h0, 0), h1 = min(h1, in_h) (likewise w), valid_count = (h1-h0)*(w1-w0)
 *   acc = sum over the valid window of (x - in_zp)
 *   d = count_include_pad ? padded_count : valid_count
 *   y = clamp(out_zp + ((acc * mult[d] + (1 << (shift[d] - 1))) >> shift[d]),
 *             act_min, act_max)
 * mult / shift have k_h * k_w + 1 entries indexed by the divisor d: the division by d is
 * folded offline into mult[d] / 2^shift[d] (= in_scale / (out_scale * d)). A global
 * average pool is k = in size, stride 1, no padding. Unpadded, out may equal in (as for
 * max pooling). */
typedef struct {
    int32_t in_h, in_w, c;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t count_include_pad;
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int32_t *mult;
    const int8_t *shift;
} tq_avgpool2d_params;

void tq_avgpool2d_s8(const tq_avgpool2d_params *p, const int8_t *in, int8_t *out);

/* ---- Softmax -------------------------------------------------------------------------- */

/* Softmax over the last axis of [rows][cols]. Output scale is 1/256, zero point -128.
 * For each row with maximum m:
 *   e_i = exp_table[m - x_i]           (exp_table[d] = round(2^15 * exp(-in_scale * d)),
 *                                       so exp_table[0] = 32768 and sum >= 32768)
 *   s = sum_i e_i                      (cols <= 65536, so s < 2^31)
 *   r = floor(2^46 / s)                (computed by shift-and-subtract, no divide)
 *   y_i = clamp(((e_i * r + 2^37) >> 38) - 128, -128, 127)   (64-bit product) */
typedef struct {
    int32_t rows, cols;
    const uint16_t *exp_table;
} tq_softmax_params;

void tq_softmax_s8(const tq_softmax_params *p, const int8_t *restrict in,
                   int8_t *restrict out);

/* ---- ISA variants --------------------------------------------------------------------
 * tq_<kernel>_<isa> has exactly the contract of tq_<kernel> above (same params, same
 * results bit for bit); it exists only when built for that ISA (tq_isa.h). Generated code
 * calls the variant the target has, through a macro that falls back to the reference on
 * other builds (tinyq/codegen/variants.py). */

/* A variant may take one extra, trailing argument: `scratch`, a 4-aligned arena region
 * the kernel uses during the call only (its size is the variant's TQ_<KERNEL>_<ISA>_SCRATCH
 * macro; the converter plans it like a tensor that lives for one layer). */

/* Cortex-M DSP extension (M4, M7, M33): SXTB16 / SMLAD. */
/* Two pixels' windows of k_h * k_w * in_c elements, as int8 and widened to int16, and
 * 16 bytes of requantization constants per output channel. Unlike tq_conv2d_s8,
 * p->weights (the converter lays them out so for the DSP build) holds each filter
 * zero-padded to a multiple of 4 elements; grouped convolutions keep OHWI and run the
 * reference kernel. */
#define TQ_CONV2D_DSP_SCRATCH(filter_size, out_c)                                        \
    (24 * (((filter_size) + 3) / 4) + 16 * (out_c))
void tq_conv2d_s8_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out, int8_t *restrict scratch);
/* tq_conv2d_s8_dsp with the weights pre-widened to int16 (`tinyq convert --optimize
 * speed`, twice the weight flash). p->weights, 4-aligned, holds for each pair of filters
 * (2q, 2q + 1; a zero filter after the last of an odd out_c), each zero-padded to
 * F = 8 ceil(filter_size / 8) elements, for each group of 4 elements (e0 e1 e2 e3):
 * filter 2q's halfword pairs (e0, e2), (e1, e3), then filter 2q + 1's: 16 bytes a group.
 * Grouped convolutions keep the OHWI int8 layout and run the reference kernel. */
#define TQ_CONV2D_S8S16_DSP_SCRATCH(filter_size, out_c)                                  \
    (48 * (((filter_size) + 7) / 8) + 16 * (out_c))
void tq_conv2d_s8s16_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                         int8_t *restrict out, int8_t *restrict scratch);
void tq_fc_s8_dsp(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
void tq_dwconv2d_s8_dsp(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out);
/* int4 weights: the scratch of tq_conv2d_s8_dsp. Unlike tq_conv2d_s8s4, p->weights
 * (4-aligned, the converter lays them out so for the DSP build) holds, with Q =
 * ceil(filter_size / 4) groups of 4 elements (zero-padded), for each pair of filters
 * (2q, 2q + 1) one word per group, nibbles from the lowest: b1 b0 a1 a0 b3 b2 a3 a2 (a:
 * filter 2q's elements, b: 2q + 1's); then for an odd out_c the last filter, one
 * halfword per group: a2 a3 a0 a1. 2 Q bytes per filter. Grouped convolutions keep the
 * packed OHWI layout and run the reference kernel. */
#define TQ_CONV2D_S8S4_DSP_SCRATCH(filter_size, out_c)                                   \
    (24 * (((filter_size) + 3) / 4) + 16 * (out_c))
void tq_conv2d_s8s4_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch);
/* int4 weights, laid out by the converter as tq_conv2d_s8s4_dsp's for a 1x1 convolution
 * (filter_size in_features, out_c out_features). */
void tq_fc_s8s4_dsp(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
/* int4 weights: unlike tq_dwconv2d_s8s4, p->weights (the converter lays them out so for
 * the DSP build; as many bytes as the packed array) holds, with T = k_h * k_w taps and
 * values w + 8 (excess-8) for each group of 4 output channels c0..c3 (out_c / 4 groups),
 * one word per pair of taps (t, u = t + 1), nibbles from the lowest:
 * t0 t1 u0 u1 t2 t3 u2 u3; then for an odd T one halfword per group, the last tap's
 * c0 c1 c2 c3; then the out_c % 4 last channels' [T][n] weights packed two per byte as
 * for tq_dwconv2d_s8s4 (two's complement). Kernels of more than 64 taps keep the packed
 * [k_h][k_w][out_c] array and run the reference kernel. */
void tq_dwconv2d_s8s4_dsp(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out);
/* out may equal in, as for tq_maxpool2d_s8 / tq_avgpool2d_s8. */
void tq_maxpool2d_s8_dsp(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out);
void tq_avgpool2d_s8_dsp(const tq_avgpool2d_params *p, const int8_t *in, int8_t *out);
/* out may equal a or b, as for tq_add_s8. */
void tq_add_s8_dsp(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out);
/* out may equal in, as for tq_lut_s8. */
void tq_lut_s8_dsp(const int8_t *in, int8_t *out, int32_t size, const int8_t *table);
/* end of DSP variants */

/* Cortex-M Helium / MVE (M55, M85). */
/* Scratch: three pixels' windows (filter_size rounded up to 4 bytes each) and their int32
 * sums (out_c rounded up to 4 each); none when grouped. */
#define TQ_CONV2D_MVE_SCRATCH(filter_size, out_c)                                        \
    (3 * (((filter_size) + 3) & ~3) + 12 * (((out_c) + 3) & ~3))
void tq_conv2d_s8_mve(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out, int8_t *restrict scratch);
/* Scratch: the int32 sums of three pixels and in_zp times each channel's weight sum (in_c
 * rounded up to 4 each). */
#define TQ_DWCONV2D_MVE_SCRATCH(in_c) (16 * (((in_c) + 3) & ~3))
void tq_dwconv2d_s8_mve(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch);
void tq_fc_s8_mve(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
/* int4 weights: the scratch of tq_conv2d_s8_mve. Unlike tq_conv2d_s8s4, p->weights (the
 * converter lays them out so for the MVE build) holds each filter from a byte boundary,
 * ceil(filter_size / 2) bytes: per whole block of 32 elements 16 bytes, byte j holding
 * element j in its low nibble and element 16 + j in its high one; the last m < 32
 * elements split likewise at h = ceil(m / 2) into h bytes (a zero high nibble past m).
 * Grouped convolutions keep the packed OHWI layout and run the reference kernel. */
#define TQ_CONV2D_S8S4_MVE_SCRATCH(filter_size, out_c) TQ_CONV2D_MVE_SCRATCH(filter_size, out_c)
void tq_conv2d_s8s4_mve(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch);
/* int4 weights, no scratch. Unlike tq_fc_s8s4, p->weights (the converter lays them out so
 * for the MVE build) holds tq_conv2d_s8s4_mve's layout of the 1x1 convolution with
 * filter_size in_features: each row from a byte boundary, ceil(in_features / 2) bytes, per
 * whole block of 32 elements byte j holding element j (low nibble) and 16 + j (high); the
 * last m < 32 split at h = ceil(m / 2) into h bytes, byte j holding elements j and h + j
 * (a zero high nibble past m). From 2^17 in_features the packed layout and the reference
 * kernel. */
void tq_fc_s8s4_mve(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
/* Scratch: TQ_DWCONV2D_MVE_SCRATCH (none for odd in_c: the reference runs). */
void tq_dwconv2d_s8s4_mve(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out, int8_t *restrict scratch);
/* out may equal in, as for tq_lut_s8. */
void tq_lut_s8_mve(const int8_t *in, int8_t *out, int32_t size, const int8_t *table);
/* end of MVE variants */

/* RISC-V vector extension 1.0 (inline assembly). */
void tq_conv2d_s8_rvv(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out);
void tq_dwconv2d_s8_rvv(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out);
void tq_fc_s8_rvv(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
void tq_add_s8_rvv(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out);
/* Windows of more than 255 taps take the reference kernel. */
void tq_avgpool2d_s8_rvv(const tq_avgpool2d_params *p, const int8_t *in, int8_t *out);
/* out may equal in, as for tq_maxpool2d_s8 / tq_lut_s8. */
void tq_maxpool2d_s8_rvv(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out);
void tq_lut_s8_rvv(const int8_t *in, int8_t *out, int32_t size, const int8_t *table);
/* int4 weights, unpacked in vector registers. Odd channel counts and channel multipliers
 * other than 1 (depthwise), grouped convolutions and convolutions whose windows exceed 256
 * activations with an odd k_w * in_c or k_w * in_c > 256 take the reference kernel. */
void tq_conv2d_s8s4_rvv(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out);
void tq_dwconv2d_s8s4_rvv(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out);
void tq_fc_s8s4_rvv(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
/* In place by rows: the row copies as vector loads and stores. */
void tq_rows_commit_rvv(const tq_rows_params *p, int8_t *restrict buf,
                        const int8_t *restrict ring, int32_t r);
/* end of RVV variants */

/* 32-bit cores without DSP / MVE / RVV (Cortex-M0+ / M3, rv32imc): plain C, register blocked
 * for the core's register file. The convolutions gather border windows (and short-run
 * first-layer windows) of up to TQ_SC_PATCH bytes into scratch, two windows each padded
 * to an even length: TQ_CONV2D_SCALAR_SCRATCH(k_h * k_w * in_c) bytes (0 for larger
 * windows and grouped convolutions, which never gather). */
#define TQ_SC_PATCH 576
#define TQ_CONV2D_SCALAR_SCRATCH(fsz)                                                    \
    ((fsz) <= TQ_SC_PATCH ? 2 * ((fsz) + ((fsz) & 1)) : 0)
void tq_conv2d_s8_scalar(const tq_conv2d_params *p, const int8_t *restrict in,
                         int8_t *restrict out, int8_t *restrict scratch);
void tq_dwconv2d_s8_scalar(const tq_dwconv2d_params *p, const int8_t *restrict in,
                           int8_t *restrict out);
void tq_fc_s8_scalar(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
/* int4 weights: nibbles split in registers; the convolution's scratch as int8's. Unlike
 * tq_conv2d_s8s4, p->weights of an ungrouped convolution of odd filter size (the
 * converter lays them out so for this build) hold a zero element after each filter, so
 * every filter starts on a byte. */
void tq_conv2d_s8s4_scalar(const tq_conv2d_params *p, const int8_t *restrict in,
                           int8_t *restrict out, int8_t *restrict scratch);
void tq_dwconv2d_s8s4_scalar(const tq_dwconv2d_params *p, const int8_t *restrict in,
                             int8_t *restrict out);
void tq_fc_s8s4_scalar(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out);
/* out may equal a or b, as for tq_add_s8. */
void tq_add_s8_scalar(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out);
/* out may equal in, as for tq_maxpool2d_s8. */
void tq_maxpool2d_s8_scalar(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out);
/* end of scalar variants */

#ifdef __cplusplus
}
#endif

#endif /* TINYQ_H */
