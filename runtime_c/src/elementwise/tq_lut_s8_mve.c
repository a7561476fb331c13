/* Table lookup on Helium (MVE): 16 elements per gather load. Each input byte XOR 0x80 is
 * its unsigned offset into the table (in + 128); VLDRB.U8 with a vector of byte offsets
 * looks all 16 up at once. Tail-predicated over the size (WLSTP / LETP); safe in place
 * (each vector is read before it is written). */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include "tinyq.h"

void tq_lut_s8_mve(const int8_t *in, int8_t *out, int32_t size, const int8_t *table)
{
    register int32_t cnt __asm__("lr") = size;
    __asm__ volatile("vmov.i8 q2, #0x80\n"
                     "wlstp.8 lr, lr, 2f\n"
                     "1:\n"
                     "vldrb.u8 q0, [%[in]], #16\n"
                     "veor q0, q0, q2\n"
                     "vldrb.u8 q1, [%[t], q0]\n"
                     "vstrb.8 q1, [%[out]], #16\n"
                     "letp lr, 1b\n"
                     "2:\n"
                     : [in] "+r"(in), [out] "+r"(out), "+r"(cnt)
                     : [t] "r"(table)
                     : "q0", "q1", "q2", "memory");
}
#endif /* TQ_HAS_MVE */
