# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Each architecture's BPF objects read kprobe arguments from that
# architecture's registers (tools/test/core_regs.py reads their CO-RE
# relocations): the x86 objects only x86-64's pt_regs fields, the arm64
# ones only arm64's, so that neither build ever leans on libbpf refusing
# the other's at load. Builds both sets of objects (clang only: no cross
# compiler needed) into scratch directories. Sourced by run.sh (unit
# tier: unit_arch).

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
}
