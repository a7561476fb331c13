/* semihost_arm.c - the ARM semihosting trap for M-profile cores: BKPT 0xAB with the
 * operation in r0 and the parameter block in r1; the result comes back in r0. */
#include "tq_fw.h"

intptr_t tq_semihost_call(uintptr_t op, const void *arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* "memory": the host reads and writes the buffers the parameter block points to. */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (intptr_t)r0;
}
