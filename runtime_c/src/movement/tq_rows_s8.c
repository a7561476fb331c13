/* The bookkeeping of in-place execution by rows (tinyq.h): which input rows output row r
 * reads, where it waits, and when it may overwrite its input row. */
#include <string.h>

#include "tinyq.h"

tq_rows_band_t tq_rows_band(const tq_rows_params *p, int32_t r)
{
    const int32_t top = r - p->pad_top;
    const int32_t first = top < 0 ? 0 : top;
    const int32_t end = top + p->window < p->height ? top + p->window : p->height;
    const tq_rows_band_t band = {first, end - first, first - top};
    return band;
}

int8_t *tq_rows_slot(const tq_rows_params *p, int8_t *ring, int32_t r)
{
    return ring + (size_t)(r % (p->pad_top + 1)) * (size_t)p->row_bytes;
}

/* A word at a time: newlib-nano's memcpy goes byte by byte, which would cost a few
 * instructions per output value, as much as a depthwise tap. */
static void copy_row(int8_t *restrict dst, const int8_t *restrict src, int32_t n)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t w;
        memcpy(&w, src + i, sizeof w);
        memcpy(dst + i, &w, sizeof w);
    }
    for (; i < n; i++) {
        dst[i] = src[i];
    }
}

void tq_rows_commit(const tq_rows_params *p, int8_t *restrict buf, const int8_t *restrict ring,
                    int32_t r)
{
    /* Output row r - pad_top is done waiting: rows after r read input rows > r - pad_top.
     * After the last row every row still in the ring goes home. */
    const int32_t last = r == p->height - 1 ? r : r - p->pad_top;
    for (int32_t k = r - p->pad_top < 0 ? 0 : r - p->pad_top; k <= last; k++) {
        copy_row(buf + (size_t)k * (size_t)p->row_bytes,
                 ring + (size_t)(k % (p->pad_top + 1)) * (size_t)p->row_bytes, p->row_bytes);
    }
}
