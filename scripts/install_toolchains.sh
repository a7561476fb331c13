#!/usr/bin/env bash
# Installs what tinyq needs to cross-compile firmware and run it under QEMU, on Debian 12
# as root, and only what is missing (running it twice changes nothing the second time):
#   - arm-none-eabi-gcc + newlib, riscv64-unknown-elf-gcc + picolibc, a host C compiler;
#   - qemu-system-arm and qemu-system-riscv32 (Debian's QEMU 7.2);
#   - /usr/local/include/qemu-plugin.h, the TCG plugin API header our instruction counter
#     (tinyq/emu/plugin/insn_count.c) is built against. Debian ships QEMU without it, so it
#     comes from Debian's qemu source package, matching the installed QEMU's version.
#     QEMU 7.2's header needs only the C library's headers (no glib).
set -euo pipefail

PACKAGES=(
    gcc-arm-none-eabi libnewlib-arm-none-eabi
    gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
    qemu-system-arm qemu-system-misc
    gcc libc6-dev
)
HEADER=/usr/local/include/qemu-plugin.h
STAMP=/usr/local/include/qemu-plugin.h.version   # the qemu source version it came from
SRC_LIST=/etc/apt/sources.list.d/tinyq-deb-src.sources
SRC_LIST_LEGACY=/etc/apt/sources.list.d/tinyq-deb-src.list

say() { printf 'install_toolchains: %s\n' "$*"; }

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        say "must run as root to $1"
        exit 1
    fi
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        installed "$p" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "toolchains and QEMU present"
        return
    fi
    need_root "apt-get install ${missing[*]}"
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
}

# deb-src entries mirroring the machine's own binary ones (same mirrors and suites), so the
# source package comes from where the installed QEMU came from.
add_deb_src() {
    if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ \
        || grep -qs '^deb-src ' /etc/apt/sources.list; then
        return
    fi
    need_root "add deb-src entries"
    : > "$SRC_LIST"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && [ "$f" != "$SRC_LIST" ] || continue
        sed 's/^Types: *deb *$/Types: deb-src/' "$f" >> "$SRC_LIST"
        printf '\n' >> "$SRC_LIST"
    done
    if [ -f /etc/apt/sources.list ]; then
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > "$SRC_LIST_LEGACY" || true
    fi
    say "added deb-src entries ($SRC_LIST)"
    apt-get update -qq
}

install_plugin_header() {
    local version
    version=$(dpkg-query -W -f='${source:Version}' qemu-system-arm)
    if [ -f "$HEADER" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$version" ]; then
        say "qemu-plugin.h present (qemu $version)"
        return
    fi
    need_root "install $HEADER"
    add_deb_src
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    chown _apt "$tmp" 2>/dev/null || true   # apt downloads as its _apt user when it can
    say "downloading the qemu $version source package for qemu-plugin.h"
    # The exact version first; if the archive has moved on, the same upstream release.
    (cd "$tmp" && { apt-get source -qq --download-only "qemu=$version" \
                    || apt-get source -qq --download-only qemu; })
    local orig
    orig=$(ls "$tmp"/qemu_*.orig.tar.* | head -n 1)
    tar -xf "$orig" -C "$tmp" --wildcards --no-anchored 'include/qemu/qemu-plugin.h'
    install -D -m 0644 "$(find "$tmp" -path '*include/qemu/qemu-plugin.h' | head -n 1)" \
        "$HEADER"
    printf '%s\n' "$version" > "$STAMP"
    say "installed $HEADER (qemu $version)"
}

install_packages
install_plugin_header
