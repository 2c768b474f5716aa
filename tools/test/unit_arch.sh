# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Each architecture's BPF objects read kprobe arguments from that
# architecture's registers (tools/test/core_regs.py reads their CO-RE
# relocations): the x86 objects only x86-64's pt_regs fields, the arm64
# ones only arm64's, so that neither build ever leans on libbpf refusing
# the other's at load. Builds both sets of objects (clang only: no cross
# compiler needed) into scratch directories; then cross-builds the static
# arm64 mmtrace, as the arm64 VM guests run it, and checks what it is.
# Sourced by run.sh (unit tier: unit_arch).

unit_arch() {
	local arch out
	for arch in x86 arm64; do
		out=$TMP/arch-$arch
		if ! env -u MAKEFLAGS make -s --no-print-directory ARCH="$arch" \
			OUT="$out" bpf-objs >"$TMP/arch-$arch.log" 2>&1; then
			fail "unit arch $arch: BPF objects build" \
				"$(tail -n 5 "$TMP/arch-$arch.log")"
			continue
		fi
		check_with "unit arch $arch" python3 tools/test/core_regs.py \
			"$arch" "$out/bpf/$arch"/*.bpf.o
	done
	# The check must be able to fail: x86's objects, judged as arm64's.
	if [ -d "$TMP/arch-x86/bpf/x86" ]; then
		! python3 tools/test/core_regs.py arm64 \
			"$TMP"/arch-x86/bpf/x86/*.bpf.o >/dev/null 2>&1
		verdict "unit arch: x86 objects judged as arm64 fail" $? \
			"core_regs.py found no x86 register in them"
	fi
	unit_arch_static
}

# ELF header of $1: "<e_machine> <PT_INTERP present: 0|1>".
elf_kind() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
machine, = struct.unpack_from("<H", d, 18)
phoff, = struct.unpack_from("<Q", d, 32)
phentsize, phnum = struct.unpack_from("<HH", d, 54)
interp = any(struct.unpack_from("<I", d, phoff + i * phentsize)[0] == 3
             for i in range(phnum))
print(machine, int(interp))
PY
}

# make ARCH=arm64 STATIC=1 on this machine: a static AArch64 (e_machine
# 183) binary with no program interpreter.
unit_arch_static() {
	local out=$TMP/arch-static-arm64 kind
	if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
		skip "unit arch: make ARCH=arm64 STATIC=1" \
			"no aarch64-linux-gnu-gcc (make deps)"
		return
	fi
	if ! env -u MAKEFLAGS make -s --no-print-directory ARCH=arm64 \
		STATIC=1 OUT="$out" "$out/mmtrace" >"$out.log" 2>&1; then
		fail "unit arch: make ARCH=arm64 STATIC=1" "$(tail -n 5 "$out.log")"
		return
	fi
	kind=$(elf_kind "$out/mmtrace")
	[ "$kind" = "183 0" ]
	verdict "unit arch: make ARCH=arm64 STATIC=1 builds a static arm64 mmtrace" \
		$? "e_machine and PT_INTERP: $kind"
}
