/* The bookkeeping of in-place execution by rows (tinyq.h): which input rows output rows
 * r .. r + per_call - 1 read, where they wait, and when they may overwrite their input. */
#include <string.h>

#include "tinyq.h"

static int32_t out_rows_at(const tq_rows_params *p, int32_t r)
{
    return p->height - r < p->per_call ? p->height - r : p->per_call;
}

tq_rows_band_t tq_rows_band(const tq_rows_params *p, int32_t r)
{
    const int32_t out_rows = out_rows_at(p, r);
    const int32_t top = r - p->pad_top;
    const int32_t bottom = top + out_rows - 1 + p->window; /* one past the last row read */
    const int32_t first = top < 0 ? 0 : top;
    const int32_t end = bottom < p->height ? bottom : p->height;
    const tq_rows_band_t band = {first, end - first, first - top, out_rows};
    return band;
}

static int8_t *ring_row(const tq_rows_params *p, const int8_t *ring, int32_t row)
{
    const int32_t block = (row / p->per_call) % p->blocks;
    const size_t index = (size_t)block * (size_t)p->per_call + (size_t)(row % p->per_call);
    return (int8_t *)ring + index * (size_t)p->row_bytes;
}

int8_t *tq_rows_slot(const tq_rows_params *p, int8_t *ring, int32_t r)
{
    return ring_row(p, ring, r);
}

/* Arm's newlib memcpy moves aligned rows a block of words at a time. picolibc's RISC-V
 * memcpy goes byte by byte, as does a word copy GCC cannot prove aligned (rows are when
 * their size is a multiple of 4: arena offsets are), which costs as much per output value
 * as a depthwise tap; GCC would also turn the word loop back into a memcpy call, hence
 * the attribute. */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__ARM_ARCH)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void copy_row(int8_t *restrict dst, const int8_t *restrict src, int32_t n)
{
#if defined(__ARM_ARCH)
    memcpy(dst, src, (size_t)n);
#else
    int32_t i = 0;
    if ((((uintptr_t)dst | (uintptr_t)src) & 3u) == 0) {
        const int8_t *s = __builtin_assume_aligned(src, 4);
        int8_t *d = __builtin_assume_aligned(dst, 4);
        for (; i + 4 <= n; i += 4) {
            uint32_t w;
            memcpy(&w, s + i, sizeof w);
            memcpy(d + i, &w, sizeof w);
        }
    }
    for (; i < n; i++) {
        dst[i] = src[i];
    }
#endif
}

void tq_rows_commit(const tq_rows_params *p, int8_t *restrict buf, const int8_t *restrict ring,
                    int32_t r)
{
    /* The next call's first output row reads input rows from next - pad_top on, so the
     * output rows before that are done waiting (all of them after the last call); the
     * ones before r - pad_top went home after the previous call. */
    const int32_t next = r + out_rows_at(p, r);
    const int32_t from = r - p->pad_top < 0 ? 0 : r - p->pad_top;
    const int32_t to = next == p->height ? next : next - p->pad_top;
    for (int32_t k = from; k < to; k++) {
        copy_row(buf + (size_t)k * (size_t)p->row_bytes, ring_row(p, ring, k), p->row_bytes);
    }
}
