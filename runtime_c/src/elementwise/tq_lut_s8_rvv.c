/* Table lookup on the RISC-V vector extension 1.0 (GNU inline assembly; see
 * tq_conv2d_s8_rvv.c for why no vector register is clobbered or live across statements).
 *
 * A strip of up to 8 * VLEN / 8 bytes per pass: flipping each byte's sign bit turns the
 * int8 x into the unsigned index x + 128, which VLUXEI8 (an indexed load with unsigned
 * 8-bit offsets) reads from the table. Every pass loads its strip before it stores it, so
 * out == in stays safe. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"

void tq_lut_s8_rvv(const int8_t *in, int8_t *out, int32_t size, const int8_t *table)
{
    int32_t vl;
    if (size <= 0) {
        return;
    }
    __asm__ volatile(
        "1:\n\t"
        "vsetvli %[vl], %[n], e8, m8, ta, ma\n\t"
        "vle8.v v8, (%[in])\n\t"
        "vxor.vx v8, v8, %[sign]\n\t"
        "vluxei8.v v16, (%[t]), v8\n\t"
        "vse8.v v16, (%[out])\n\t"
        "add %[in], %[in], %[vl]\n\t"
        "add %[out], %[out], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 1b"
        : [in] "+r"(in), [out] "+r"(out), [n] "+r"(size), [vl] "=&r"(vl)
        : [t] "r"(table), [sign] "r"(0x80)
        : "memory");
}
#endif /* TQ_HAS_RVV */
