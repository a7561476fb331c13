/*
 * boot2_rp2040.S - RP2040 second-stage boot. The bootrom copies the first 256 bytes of flash
 * to SRAM, checks their CRC-32 (bytes 252..255, appended by tinyq/emu/build.py) and runs
 * them. This code asks the bootrom for its generic execute-in-place set-up
 * (flash_enter_cmd_xip: serial 03h reads, which every flash chip answers; slower than a
 * quad set-up for one chip, and independent of the board), then enters the firmware
 * through the vector table at 0x10000100. Position independent: it runs from SRAM.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb
    .section .text.tq_boot2, "ax", %progbits
    .global tq_boot2
    .thumb_func
tq_boot2:
    movs r0, #0x14
    ldrh r0, [r0]           @ the bootrom's function table (16-bit pointer at 0x14)
    movs r2, #0x18
    ldrh r2, [r2]           @ its lookup routine (16-bit pointer at 0x18): r0 = f(table, code)
    ldr r1, =0x5843         @ code 'C' | 'X' << 8: flash_enter_cmd_xip
    blx r2
    blx r0
    ldr r0, =0x10000100     @ the firmware's vector table
    ldr r1, =0xe000ed08     @ VTOR
    str r0, [r1]
    ldmia r0!, {r1, r2}     @ initial stack pointer, reset handler
    msr msp, r1
    bx r2
    .ltorg
