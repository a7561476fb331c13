/* tq_rows_commit on the RISC-V vector extension 1.0: the rows go home by vector loads and
 * stores (tq_rvv_copy_s8, 128 bytes an instruction pair at VLEN 128 and e8 m8) instead of
 * the reference's word loop, which costs about five instructions per four bytes: on a
 * depthwise layer of 25 x 5 x 64 that copy alone costs a third of the layer. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_rvv.h"

void tq_rows_commit_rvv(const tq_rows_params *p, int8_t *restrict buf,
                        const int8_t *restrict ring, int32_t r)
{
    /* Which rows go home: as tq_rows_commit (tq_rows_s8.c explains the bounds). */
    const int32_t left = p->height - r;
    const int32_t next = r + (left < p->per_call ? left : p->per_call);
    const int32_t from = r - p->pad_top < 0 ? 0 : r - p->pad_top;
    const int32_t to = next == p->height ? next : next - p->pad_top;
    for (int32_t k = from; k < to; k++) {
        tq_rvv_copy_s8(buf + (size_t)k * (size_t)p->row_bytes,
                       tq_rows_slot(p, (int8_t *)ring, k), p->row_bytes);
    }
}
#endif /* TQ_HAS_RVV */
