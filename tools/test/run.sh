#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mmtrace's test runner: tools/test/run.sh all|unit|host|vm
#
#   unit  no privileges, any machine: build/tests/test_*
#   host  root, this machine's kernel: oracles under the tier it allows
#   vm    root, qemu: the same oracles on Debian 5.10, 6.1, 6.12 and 7.3
#         (MMTRACE_VM_KERNELS="6.1 7.3" picks a subset)
#
# Every check prints PASS or FAIL; the last line is "N passed, N failed".
# A tier whose prerequisites are missing is skipped and counted as such,
# except under CI=true, where a skip is a failure: CI must run everything.
set -u

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
MMTRACE=$BUILD/mmtrace
PINFORK=$BUILD/tools/pinfork
FORKMIX=$BUILD/tools/forkmix
ORACLE="python3 tools/test/oracle.py"
TMP=$(mktemp -d /tmp/mmtrace-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
skipped=0

# Counts the PASS/FAIL lines of a checker's output and echoes them.
tally() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		PASS*) passed=$((passed + 1)) ;;
		FAIL*) failed=$((failed + 1)) ;;
		esac
	done
}

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

skip() {
	if [ "${CI:-}" = true ]; then
		fail "$1" "skipped under CI: $2"
	else
		echo "SKIP $1: $2"
		skipped=$((skipped + 1))
	fi
}

run_unit() {
	local t out
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$("$t" 2>/dev/null)
		local n_pass n_fail
		n_pass=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
		n_fail=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
		echo "$out" | grep '^FAIL' || true
		if [ -z "$n_pass" ]; then
			fail "unit $(basename "$t")" "crashed or printed no summary"
			continue
		fi
		echo "PASS unit $(basename "$t"): $n_pass cases"
		passed=$((passed + n_pass))
		failed=$((failed + n_fail))
	done
}

# fork_case NAME ARGS...: mmtrace fork --json around a workload, then the
# oracle compares its report with the workload's own truth.
fork_case() {
	local name=$1
	shift
	if ! "$MMTRACE" fork --json -o "$TMP/$name.rep" -- "$@" \
		>"$TMP/$name.truth" 2>"$TMP/$name.err"; then
		fail "host $name" "mmtrace failed: $(head -c 500 "$TMP/$name.err")"
		return
	fi
	tally < <($ORACLE fork "$TMP/$name.rep" "$TMP/$name.truth" \
		--name "host $name" --tier "$HOST_TIER")
}

# The tier this kernel allows: no kprobe PMU and fentry refused means the
# tracepoint tier (this machine); a full kernel must give a richer one.
host_expected_tier() {
	if [ ! -e /sys/bus/event_source/devices/kprobe ] &&
		grep -q 'refused' "$TMP/probes.txt"; then
		echo tracepoint
	elif grep -q '"name":"fork.pinned_copies","tier":"kprobe"' \
		"$TMP/probes.json"; then
		echo kprobe
	else
		echo fentry
	fi
}

# Starts mmtrace in the background and waits until it has attached.
start_tracer() {
	local out=$1
	shift
	"$MMTRACE" fork --json -o "$out" "$@" 2>"$out.err" &
	tracer_pid=$!
	for _ in $(seq 100); do
		grep -q 'Ctrl-C to stop' "$out.err" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

stop_tracer() {
	kill -"$1" "$tracer_pid"
	wait "$tracer_pid"
}

host_filters() {
	local truth noise
	# Noise: another process forking all along, which no filter may count.
	(while :; do "$FORKMIX" 5 0 0 >/dev/null; done) &
	noise=$!
	"$PINFORK" --wait-start >"$TMP/pid.truth" 2>"$TMP/pid.start" </dev/null &
	local wl=$!
	start_tracer "$TMP/pid.rep" -p "$wl" || fail "host -p" "did not attach"
	kill -USR1 "$wl"
	wait "$wl"
	stop_tracer INT
	tally < <($ORACLE fork "$TMP/pid.rep" "$TMP/pid.truth" --name "host -p")

	start_tracer "$TMP/comm.rep" --comm pinfork || fail "host --comm" "did not attach"
	"$PINFORK" >"$TMP/comm.truth"
	stop_tracer TERM
	tally < <($ORACLE fork "$TMP/comm.rep" "$TMP/comm.truth" --name "host --comm")
	kill "$noise"
	wait "$noise" 2>/dev/null
}

host_intervals() {
	# 10 forks over ~3 s, reported every second: nothing lost between reports.
	"$MMTRACE" fork --json -i 1 -o "$TMP/int.rep" -- \
		"$PINFORK" --delay-ms 300 >"$TMP/int.truth" 2>/dev/null
	local n
	n=$(wc -l <"$TMP/int.rep")
	[ "$n" -ge 3 ] && pass "host -i 1: $n reports" ||
		fail "host -i 1" "only $n reports"
	tally < <($ORACLE fork "$TMP/int.rep" "$TMP/int.truth" --name "host -i 1")
}

host_odd_comm() {
	local odd="$TMP/"$'\xff\"q\\\t'
	cp "$PINFORK" "$odd"
	fork_case odd_comm "$odd" --pages 8 --forks 2
	python3 -c 'import json,sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
c = r[-1]["processes"][0]["comm"]
sys.exit(0 if c.startswith("\ufffd\"q\\\t") else 1)' "$TMP/odd_comm.rep" &&
		pass "host odd comm: valid JSON, name kept" ||
		fail "host odd comm" "$(head -c 300 "$TMP/odd_comm.rep")"
}

# IDs of loaded BPF programs named like mmtrace fork's.
fork_prog_ids() {
	bpftool -j prog show 2>/dev/null | python3 -c 'import json, sys
print(" ".join(sorted(str(p["id"]) for p in json.load(sys.stdin)
      if p.get("name", "").startswith("fork_"))))'
}

# After SIGKILL no program of ours may stay loaded: links die with the fd.
# Ours are the ones that appeared while this tracer attached, so other BPF
# users on the host do not matter.
host_detach() {
	local before ours left id
	before=" $(fork_prog_ids) "
	start_tracer "$TMP/kill.rep" || fail "host SIGKILL" "did not attach"
	ours=""
	for id in $(fork_prog_ids); do
		case $before in *" $id "*) ;; *) ours="$ours $id" ;; esac
	done
	kill -KILL "$tracer_pid"
	wait "$tracer_pid" 2>/dev/null
	if [ -z "$ours" ]; then
		fail "host SIGKILL" "no program of the tracer was found loaded"
		return
	fi
	for _ in $(seq 50); do
		left=""
		for id in $(fork_prog_ids); do
			case " $ours " in *" $id "*) left="$left $id" ;; esac
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] && pass "host SIGKILL: its programs ($ours ) are gone" ||
		fail "host SIGKILL" "programs$left still loaded"
}

host_bad_input() {
	local args rc
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		"$MMTRACE" $args >/dev/null 2>"$TMP/bad.err"
		rc=$?
		if [ "$rc" = 2 ] && [ -s "$TMP/bad.err" ]; then
			pass "host usage error: mmtrace $args"
		else
			fail "host usage error: mmtrace $args" "exit $rc"
		fi
	done <<'EOF'

nosuchview
fork -i 0
fork -i abc
fork -d -5
fork -p 999999999
fork -p 0
fork --cgroup /nonexistent
fork --comm abcdefghijklmnopq
fork --bogus
fork -p 1 -- true
probes --bogus
EOF
}

run_host() {
	if [ "$(id -u)" != 0 ]; then
		skip "host tests" "need root"
		return
	fi
	"$MMTRACE" probes >"$TMP/probes.txt" 2>&1
	"$MMTRACE" probes --json >"$TMP/probes.json" 2>/dev/null &&
		pass "host probes --json" || fail "host probes --json" "$(cat "$TMP/probes.txt")"
	HOST_TIER=$(host_expected_tier)
	echo "host: pinned-copies tier expected: $HOST_TIER"
	tally < <($ORACLE tiers "$TMP/probes.json" fork \
		fork.syscalls=tracepoint "fork.pinned_copies=$HOST_TIER")
	fork_case pin "$PINFORK" --pages 64 --forks 10
	fork_case pin_big "$PINFORK" --pages 1000 --forks 3
	fork_case dontfork "$PINFORK" --mode dontfork
	fork_case nopin "$PINFORK" --mode nopin
	fork_case thp "$PINFORK" --thp --pages 2 --forks 3
	fork_case mix "$FORKMIX" 3 4 5
	host_filters
	host_intervals
	host_odd_comm
	host_detach
	host_bad_input
}

run_vm() {
	local k log
	if [ "$(id -u)" != 0 ] || ! command -v qemu-system-x86_64 >/dev/null; then
		skip "vm tests" "need root and qemu-system-x86"
		return
	fi
	make -s STATIC=1 OUT="$BUILD/static" "$BUILD/static/mmtrace" \
		"$BUILD/static/tools/pinfork" "$BUILD/static/tools/forkmix" ||
		{ fail "vm build" "static build failed"; return; }
	for k in ${MMTRACE_VM_KERNELS:-5.10 6.1 6.12 7.3}; do
		log=$TMP/vm-$k.log
		tools/vm/run.sh --kernel "$k" --hugepages 16 --timeout 600 \
			--add "$BUILD/static/mmtrace" \
			--add "$BUILD/static/tools/pinfork" \
			--add "$BUILD/static/tools/forkmix" \
			-- tools/test/guest-fork.sh >"$log" 2>&1
		local rc=$?
		[ "$rc" = 0 ] && pass "vm $k: boots and runs" ||
			fail "vm $k: boots and runs" "exit $rc: $(tail -5 "$log")"
		tally < <(cd tools/test && python3 oracle.py vm "$log" "$k")
		[ -n "${MMTRACE_VM_LOGS:-}" ] && cp "$log" "$MMTRACE_VM_LOGS/"
	done
}

case ${1:-all} in
unit) run_unit ;;
host) run_host ;;
vm) run_vm ;;
all) run_unit; run_host; run_vm ;;
*) echo "usage: $0 all|unit|host|vm" >&2; exit 2 ;;
esac

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
