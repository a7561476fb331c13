"""Firmware for the targets in targets/: cross-compiled builds (build.py), their sizes
(sizes.py), and runs under QEMU with exact instruction counts (qemu.py, counts.py,
plugin.py and the TCG plugin in plugin/insn_count.c)."""
