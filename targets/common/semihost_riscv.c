/* semihost_riscv.c - the RISC-V semihosting trap: EBREAK between the marker instructions
 * slli x0, x0, 0x1f and srai x0, x0, 7 (operation in a0, parameter block in a1, result in
 * a0). The three must be uncompressed and in one page, hence norvc and the 16-byte
 * alignment (12 bytes never straddle a 4 KiB boundary from there). */
#include "tq_fw.h"

intptr_t tq_semihost_call(uintptr_t op, const void *arg)
{
    register uintptr_t a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = arg;
    __asm__ volatile(".option push\n\t"
                     ".option norvc\n\t"
                     ".balign 16\n\t"
                     "slli x0, x0, 0x1f\n\t"
                     "ebreak\n\t"
                     "srai x0, x0, 7\n\t"
                     ".option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return (intptr_t)a0;
}
