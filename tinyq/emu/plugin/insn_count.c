/*
 * insn_count.c - QEMU TCG plugin: the exact number of guest instructions executed, split at
 * tinyq's marker instructions (targets/common/tq_markers.h).
 *
 * Arguments (-plugin insn_count.so,out=PATH[,mode=tb|insn]):
 *   out   file written at exit: one line "M <value> <count>" per marker executed, in
 *         execution order, then "T <total>"; <count> is the number of instructions executed
 *         before that marker. Marker instructions themselves are never counted, so a build
 *         with markers reports the work of the code around them and nothing else.
 *   mode  tb (default): one inline add of the block's instruction count when a translated
 *         block starts; a marker inside the block subtracts the instructions of the block
 *         that have not run yet. insn: one inline add per instruction, slower; kept to
 *         cross-check tb mode in the tests.
 * Relies on: one vCPU (the counter is a plain global), blocks that run to their end once
 * entered (no interrupts are enabled in tinyq firmware, and exception-raising instructions
 * such as semihosting traps end their block), and QEMU 7.2's plugin API (version 1).
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum isa { ISA_ARM, ISA_RISCV };

struct mark {
    uint32_t value;
    uint64_t count;
};

static uint64_t executed;  /* non-marker instructions executed so far */
static enum isa isa;
static int per_insn;
static char *out_path;
static struct mark *marks;
static size_t n_marks, cap_marks;

/* The marker value (0x40-0xc1) if `insn` is a tinyq marker, else -1. */
static int marker_value(const struct qemu_plugin_insn *insn)
{
    if (qemu_plugin_insn_size(insn) != 4) {
        return -1;
    }
    const uint8_t *d = qemu_plugin_insn_data(insn);
    uint32_t value;
    if (isa == ISA_ARM) {
        /* T32 stores two little-endian halfwords: 0xf3af, then 0x80vv (HINT #vv). */
        uint32_t hw0 = d[0] | (uint32_t)d[1] << 8;
        uint32_t hw1 = d[2] | (uint32_t)d[3] << 8;
        if (hw0 != 0xf3af || (hw1 & 0xff00) != 0x8000) {
            return -1;
        }
        value = hw1 & 0xff;
    } else {
        /* slti x0, x0, imm: opcode 0x13, rd 0, funct3 2, rs1 0 in the low 20 bits. */
        uint32_t word = d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                        (uint32_t)d[3] << 24;
        if ((word & 0xfffff) != 0x02013) {
            return -1;
        }
        value = word >> 20;
    }
    return value >= 0x40 && value <= 0xc1 ? (int)value : -1;
}

static void record(uint32_t value, uint64_t count)
{
    if (n_marks == cap_marks) {
        cap_marks = cap_marks ? 2 * cap_marks : 4096;
        marks = realloc(marks, cap_marks * sizeof *marks);
        if (marks == NULL) {
            fprintf(stderr, "insn_count: out of memory after %zu markers\n", n_marks);
            exit(1);
        }
    }
    marks[n_marks].value = value;
    marks[n_marks].count = count;
    n_marks++;
}

/* udata packs the marker value (low 8 bits) and how many of the block's counted
 * instructions come after the marker (the rest): those were added at block entry but
 * have not run yet. */
static void on_marker(unsigned int vcpu_index, void *udata)
{
    (void)vcpu_index;
    uintptr_t packed = (uintptr_t)udata;
    record((uint32_t)(packed & 0xff), executed - (uint64_t)(packed >> 8));
}

/* A 2-byte nop the assembler put before a marker to align it (tq_markers.h: .balign 4)
 * belongs to the marker, not to the code being measured. */
static int is_padding(const struct qemu_plugin_tb *tb, size_t i, size_t n)
{
    const struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    if (i + 1 >= n || qemu_plugin_insn_size(insn) != 2 ||
        marker_value(qemu_plugin_tb_get_insn(tb, i + 1)) < 0) {
        return 0;
    }
    const uint8_t *d = qemu_plugin_insn_data(insn);
    uint32_t half = d[0] | (uint32_t)d[1] << 8;
    return isa == ISA_ARM ? half == 0xbf00 : half == 0x0001;  /* T16 nop / c.nop */
}

static int counts(const struct qemu_plugin_tb *tb, size_t i, size_t n)
{
    return marker_value(qemu_plugin_tb_get_insn(tb, i)) < 0 && !is_padding(tb, i, n);
}

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    uint64_t counted = 0;
    for (size_t i = 0; i < n; i++) {
        counted += counts(tb, i, n);
    }
    if (!per_insn && counted > 0) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed,
                                                 counted);
    }
    uint64_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        int value = marker_value(insn);
        if (value < 0) {
            if (!counts(tb, i, n)) {
                continue;
            }
            seen++;
            if (per_insn) {
                qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                           &executed, 1);
            }
            continue;
        }
        uintptr_t after = per_insn ? 0 : (uintptr_t)(counted - seen);
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                               (void *)(after << 8 | (uintptr_t)value));
    }
}

static void write_results(qemu_plugin_id_t id, void *p)
{
    (void)id;
    (void)p;
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
        fprintf(stderr, "insn_count: cannot write %s\n", out_path);
        return;
    }
    for (size_t i = 0; i < n_marks; i++) {
        fprintf(f, "M %" PRIu32 " %" PRIu64 "\n", marks[i].value, marks[i].count);
    }
    fprintf(f, "T %" PRIu64 "\n", executed);
    fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    if (info->system_emulation && info->system.smp_vcpus != 1) {
        fprintf(stderr, "insn_count: needs exactly one vCPU\n");
        return -1;
    }
    if (strcmp(info->target_name, "arm") == 0) {
        isa = ISA_ARM;
    } else if (strncmp(info->target_name, "riscv", 5) == 0) {
        isa = ISA_RISCV;
    } else {
        fprintf(stderr, "insn_count: no marker encoding for target %s\n", info->target_name);
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out_path = strdup(argv[i] + 4);
        } else if (strcmp(argv[i], "mode=tb") == 0) {
            per_insn = 0;
        } else if (strcmp(argv[i], "mode=insn") == 0) {
            per_insn = 1;
        } else {
            fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    if (out_path == NULL) {
        fprintf(stderr, "insn_count: missing out=PATH\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_translate);
    qemu_plugin_register_atexit_cb(id, write_results, NULL);
    return 0;
}
