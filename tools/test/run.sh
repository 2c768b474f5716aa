#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mmtrace's test runner: tools/test/run.sh all|unit|host|san|static|fuzz|vm
#
#   unit  no privileges, any machine: build/tests/test_*, oracle self-test,
#         unit_<name>.sh (e.g. make install into a scratch DESTDIR)
#   host  root, this machine's kernel: host_<view>.sh, oracles under the
#         tracepoint tier
#   san   the unit and host tiers again, mmtrace built with ASan and UBSan
#   static  root: the exporter's host tests (host_serve.sh) again, on the
#         static binary (make STATIC=1), which VMs and images get
#   fuzz  libFuzzer on the parsers of untrusted text (tools/test/fuzz/)
#   vm    root, qemu: guest_<view>.sh in Debian 5.10, 6.1, 6.12 and 7.3
#         (x86-64) and arm64 6.1 and 6.12 (cross-built), checked by
#         vm_<view>.py; MMTRACE_VM_KERNELS picks some, e.g. "6.1 7.3" or
#         "arm64-6.12". The arm64 guests boot in a second lane, beside
#         the x86-64 ones.
#
# A view's tests live in those three files; this runner finds them.
# Every check prints PASS or FAIL; the last line is "N passed, N failed".
# A tier whose prerequisites are missing is skipped and counted as such,
# except under CI=true, where a skip is a failure: CI must run everything.
set -u

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
MMTRACE=$BUILD/mmtrace
# Every tier has tracepoints, so the host checks exact numbers there; the
# VM matrix covers the richer tiers.
export HOST_TIER=tracepoint
# The workloads are oracles and never sanitized: always the plain build's.
WORKLOADS=$BUILD/tools
# A hung mmtrace or workload must fail its test, not stall CI (seconds).
LIMIT=${MMTRACE_TEST_TIMEOUT:-120}
TMP=$(mktemp -d /tmp/mmtrace-test.XXXXXX)

# shellcheck source=tools/test/lib.sh
. tools/test/lib.sh
for f in tools/test/host_*.sh tools/test/unit_*.sh; do
	# shellcheck disable=SC1090
	. "$f"
done

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_unit() {
	local t out line n=0
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$((n + 1))
		# The table tests open every skeleton: no privilege needed.
		as_nobody "$t"
		out=$(bounded "${AS_NOBODY[@]}" "$t" 2>/dev/null)
		local n_pass n_fail
		n_pass=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
		n_fail=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
		while IFS= read -r line; do
			echo "$line"
			failures+=("$line")
		done < <(grep '^FAIL' <<<"$out")
		if [ -z "$n_pass" ]; then
			fail "unit $(basename "$t")" "crashed or printed no summary"
			continue
		fi
		echo "PASS unit $(basename "$t"): $n_pass cases${AS_NOBODY:+ (as nobody)}"
		passed=$((passed + n_pass))
		failed=$((failed + n_fail))
	done
	# No binaries is not a pass: the build did not make them.
	[ "$n" != 0 ]
	verdict "unit binaries" $? "none in $BUILD/tests (make test-unit builds them)"
	unit_oracle
	# The shell checks test the tree, not a build: once, not per sanitizer.
	[ -n "${SANITIZED:-}" ] && return
	for t in tools/test/unit_*.sh; do
		t=${t##*/unit_}
		"unit_${t%.sh}"
	done
}

# The oracle must fail, not crash quietly, on what a broken tracer or
# workload leaves behind: an empty truth, reports without the contract's
# fields. Its FAILs are expected here, so they are not tallied.
unit_oracle() {
	local rep=$TMP/u.rep out rc truth
	echo '{"view":"fork","final":true}' >"$rep"
	: >"$TMP/u.empty"
	echo '{"pid":1}' >"$TMP/u.partial"
	for truth in u.empty u.partial; do
		out=$(python3 tools/test/oracle.py fork "$rep" "$TMP/$truth" \
			--name self 2>&1)
		rc=$?
		[ "$rc" != 0 ] && grep -q '^FAIL self' <<<"$out" &&
			! grep -q '^PASS' <<<"$out"
		verdict "unit oracle fails on $truth" $? "exit $rc: $out"
	done
	out=$(python3 tools/test/oracle.py fork "$TMP/nonexistent" "$rep" \
		--name self 2>&1)
	rc=$?
	[ "$rc" != 0 ] && grep -q '^FAIL self: oracle crashed' <<<"$out"
	verdict "unit oracle reports its own crash" $? "exit $rc: $out"
}

run_host() {
	local f
	if [ "$(id -u)" != 0 ]; then
		skip "host tests" "need root"
		return
	fi
	for f in tools/test/host_*.sh; do
		f=${f##*/host_}
		# MMTRACE_HOST_ONLY=serve runs one file's tests, for development.
		case " ${MMTRACE_HOST_ONLY:-${f%.sh}} " in
		*" ${f%.sh} "*) "host_${f%.sh}" ;;
		esac
	done
}

# The same checks on a sanitized mmtrace: memory errors and undefined
# behaviour abort it, and the test that ran it fails. The workloads stay
# unsanitized: they are the oracles.
run_san() {
	local build=$BUILD mmtrace=$MMTRACE
	if ! make -s SAN=1 OUT="$build/san" "$build/san/mmtrace" unit-bins; then
		fail "san build" "make SAN=1 failed"
		return
	fi
	echo "== ASan and UBSan"
	BUILD=$build/san
	MMTRACE=$BUILD/mmtrace
	SANITIZED=1
	run_unit
	run_host
	SANITIZED=
	BUILD=$build
	MMTRACE=$mmtrace
}

# make STATIC=1 links its own libmicrohttpd (tools/static/libmicrohttpd.sh):
# the same server code, so the same exporter tests, on that binary.
run_static() {
	local mmtrace=$MMTRACE bin=$BUILD/static/mmtrace
	if [ "$(id -u)" != 0 ]; then
		skip "static tier" "needs root"
		return
	fi
	if ! make -s STATIC=1 OUT="$BUILD/static" "$bin" 2>"$TMP/static.err"; then
		fail "static build" "make STATIC=1 failed: $(tail -n 5 "$TMP/static.err")"
		return
	fi
	echo "== static build"
	# A static binary asks for no dynamic loader.
	! LC_ALL=C readelf -l "$bin" | grep -q 'interpreter'
	verdict "static build: $bin has no ELF interpreter" $? \
		"$(LC_ALL=C readelf -l "$bin" | grep interpreter)"
	MMTRACE=$bin
	host_serve
	MMTRACE=$mmtrace
}

# Kernel modules the guest scripts may insmod (e.g. brd, a RAM block
# device for O_DIRECT), from the kernel's own package in the VM cache,
# decompressed here: busybox insmod reads plain .ko files only. Prints
# --add arguments, one per line; a module the cache lacks is left out.
VM_MODULES="brd"
vm_module_adds() {
	local k=$1 m ko dir=$TMP/modules-$1
	mkdir -p "$dir"
	# The first run fetches the kernel here rather than in run.sh.
	tools/vm/fetch-kernel.sh "$k" >/dev/null 2>&1
	for m in $VM_MODULES; do
		ko=$(find "${MMTRACE_VM_CACHE:-/var/cache/mmtrace-vm}/$k" \
			-name "$m.ko" -o -name "$m.ko.xz" 2>/dev/null | head -n 1)
		case $ko in
		*.xz) xz -dc "$ko" >"$dir/$m.ko" || continue ;;
		?*) cp "$ko" "$dir/$m.ko" ;;
		*) continue ;;
		esac
		printf -- '--add\n%s\n' "$dir/$m.ko:/lib/modules/$m.ko"
	done
}

# libFuzzer on every parser of untrusted text, a few seconds each (longer
# runs: MMTRACE_FUZZ_SECONDS). A crash leaves its input in the FAIL line.
run_fuzz() {
	local f name rc secs=${MMTRACE_FUZZ_SECONDS:-10}
	if ! make -s OUT="$BUILD" fuzz; then
		fail "fuzz build" "make fuzz failed (clang, libclang-rt-14-dev)"
		return
	fi
	for f in "$BUILD"/fuzz/fuzz_*; do
		name=${f##*/}
		timeout -k 5 $((secs + 60)) "$f" -max_total_time="$secs" \
			-close_fd_mask=3 -artifact_prefix="$TMP/$name-" \
			>"$TMP/$name.log" 2>&1
		rc=$?
		verdict "fuzz $name: $(grep -o 'Done [0-9]* runs' "$TMP/$name.log")" \
			"$rc" "$(status $rc): $(grep -m 3 -E 'ERROR|runtime error|Test unit written' "$TMP/$name.log")"
	done
}

# What a guest that died printed: the oops (where, and the call trace),
# else the last lines. The whole log stays in MMTRACE_VM_LOGS if set.
oops_of() {
	if grep -q -E 'BUG:|Oops|general protection|Kernel panic' "$1"; then
		grep -E -A 40 'BUG:|Oops|general protection' "$1" | head -60
	else
		tail -5 "$1"
	fi
}

# One boot per kernel runs every view's guest script; the console log is
# then checked by every vm_<view>.py.
# The static mmtrace and workloads a guest of architecture $1 (x86,
# arm64) runs, as run.sh --add arguments in the array vm_adds; built once
# per architecture, arm64's cross-built.
vm_build() {
	local arch=$1 out=$BUILD/static tool
	[ "$arch" = x86 ] || out=$BUILD/static-$arch
	vm_adds=()
	if [ -z "${vm_built[$arch]:-}" ]; then
		vm_built[$arch]=1
		make -s ARCH="$arch" STATIC=1 OUT="$out" "$out/mmtrace" tools ||
			vm_built[$arch]=failed
	fi
	[ "${vm_built[$arch]}" = 1 ] || return 1
	for tool in "$out/mmtrace" "$out"/tools/*; do
		vm_adds+=(--add "$tool")
	done
}

# vm_boot KERNEL: boots KERNEL with every guest script; its console in
# $TMP/vm-KERNEL.log, qemu's exit in $TMP/vm-KERNEL.rc (or "build" when
# the static build for its architecture failed). Tallies nothing, so that
# it can run in a lane of its own.
vm_boot() {
	local k=$1 arch=x86 limit=1500 mods
	local log=$TMP/vm-$k.log
	# An arm64 guest emulates another ISA: 6.12's took 21 minutes.
	case $k in arm64-*) arch=arm64 limit=3000 ;; esac
	if ! vm_build $arch; then
		echo build >"$TMP/vm-$k.rc"
		return
	fi
	mapfile -t mods < <(vm_module_adds "$k")
	tools/vm/run.sh --kernel "$k" --hugepages 16 --timeout $limit \
		"${vm_adds[@]}" "${mods[@]}" -- "$TMP/guest.sh" >"$log" 2>&1
	echo $? >"$TMP/vm-$k.rc"
}

vm_check() {
	local k=$1 log=$TMP/vm-$1.log rc
	rc=$(cat "$TMP/vm-$k.rc" 2>/dev/null || echo lost)
	if [ "$rc" = build ]; then
		fail "vm $k: build" "make STATIC=1 for its architecture failed"
		return
	fi
	verdict "vm $k: boots and runs" "$rc" "exit $rc: $(oops_of "$log")"
	check_with "vm $k" oracle vm "$log" "$k"
	[ -n "${MMTRACE_VM_LOGS:-}" ] && cp "$log" "$MMTRACE_VM_LOGS/"
}

# TCG runs a guest on one thread (multi-threaded TCG corrupts the kernel's
# text patching), so the arm64 guests boot in a lane of their own, beside
# the x86 ones: on 2 CPUs the matrix takes as long as its longer lane.
run_vm() {
	local k x86=() arm64=() lane=
	local -A vm_built=()
	if [ "$(id -u)" != 0 ]; then
		skip "vm tests" "need root"
		return
	fi
	cat tools/test/guest-lib.sh tools/test/guest_*.sh >"$TMP/guest.sh"
	echo "exit 0" >>"$TMP/guest.sh"
	for k in ${MMTRACE_VM_KERNELS:-5.10 6.1 6.12 7.3 arm64-6.1 arm64-6.12}; do
		case $k in
		arm64-*) command -v qemu-system-aarch64 >/dev/null && arm64+=("$k") ||
			skip "vm $k" "needs qemu-system-aarch64 (make deps)" ;;
		*) command -v qemu-system-x86_64 >/dev/null && x86+=("$k") ||
			skip "vm $k" "needs qemu-system-x86_64 (make deps)" ;;
		esac
	done
	# Both builds first: make must not run twice at once in one tree.
	[ ${#x86[@]} = 0 ] || vm_build x86
	[ ${#arm64[@]} = 0 ] || vm_build arm64
	if [ ${#arm64[@]} != 0 ]; then
		( for k in "${arm64[@]}"; do vm_boot "$k"; done ) &
		lane=$!
	fi
	for k in "${x86[@]}"; do
		vm_boot "$k"
		vm_check "$k"
	done
	[ -z "$lane" ] || wait "$lane"
	for k in "${arm64[@]}"; do
		vm_check "$k"
	done
}

case ${1:-all} in
unit) run_unit ;;
host) run_host ;;
san) run_san ;;
static) run_static ;;
fuzz) run_fuzz ;;
vm) run_vm ;;
all) run_unit; run_host; run_san; run_static; run_fuzz; run_vm ;;
*) echo "usage: $0 all|unit|host|san|static|fuzz|vm" >&2; exit 2 ;;
esac

failures_again
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
