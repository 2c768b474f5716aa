# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of mmtrace gup, on this machine's kernel. Sourced by run.sh,
# which calls host_gup; helpers are in lib.sh.
#
# No tracepoint covers GUP-fast. Where neither fentry nor kprobes work
# (this locked-down 6.18 build host), the honest answer is "unavailable":
# mmtrace probes must say so and why, and mmtrace gup must refuse to run
# rather than report zeros. Elsewhere the vmsplice oracle runs.

GUPWORK=$WORKLOADS/gupwork

gup_probes() {
	local out=$TMP/gup.probes rc
	bounded "$MMTRACE" probes --json >"$out" 2>"$out.err"
	rc=$?
	verdict "host gup: mmtrace probes exits 0" "$rc" \
		"$(status $rc): $(head -c 300 "$out.err")"
	gup_tier=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print({o["name"]: o["tier"] for o in d["views"]["gup"]}["gup.calls"])' \
		"$out" 2>/dev/null)
}

# The kernel offers no hook: probes says so, gup refuses, the command
# is never run, and nothing is reported.
gup_unavailable() {
	local name="host gup unavailable" out=$TMP/gup.none rc
	check_with "$name" oracle tiers "$TMP/gup.probes" gup \
		gup.calls=none gup.slow_path=none
	if [ -e /sys/bus/event_source/devices/kprobe ]; then
		skip "$name: kprobes" "this kernel has a kprobe PMU"
	else
		check_with "$name" oracle nokprobe "$TMP/gup.probes" gup \
			gup.calls gup.slow_path
	fi
	bounded "$MMTRACE" gup --json -o "$out.rep" -- \
		"$GUPWORK" vmsplice >"$out.truth" 2>"$out.err"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'cannot trace gup: no attach plan for gup.calls' \
		"$out.err" && [ ! -s "$out.rep" ] && [ ! -s "$out.truth" ]
	verdict "$name: mmtrace gup refuses, runs nothing" $? \
		"exit $rc, report $(head -c 200 "$out.rep"), stderr $(head -c 300 "$out.err")"
	check_with "$name" oracle reasons "$out.err" "$TMP/gup.probes" gup \
		--refused --name "$name"
}

# A kernel with fentry or kprobes: the lockless walk gets every page.
gup_vmsplice() {
	local name="host gup vmsplice" out=$TMP/gup.vms rc
	bounded "$MMTRACE" gup --json -o "$out.rep" -- \
		"$GUPWORK" vmsplice --pages 16 >"$out.truth" 2>"$out.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "mmtrace $(status $rc): $(head -c 500 "$out.err")"
		return
	fi
	check_with "$name" oracle gup "$out.rep" "$out.truth" --name "$name"
}

host_gup() {
	local gup_tier
	gup_probes
	case $gup_tier in
	none) gup_unavailable ;;
	fentry | kprobe) gup_vmsplice ;;
	*) fail "host gup" "mmtrace probes gave gup.calls tier '$gup_tier'" ;;
	esac
}
