#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mmtrace's test runner: tools/test/run.sh all|unit|host|vm
#
#   unit  no privileges, any machine: build/tests/test_*, oracle self-test
#   host  root, this machine's kernel: oracles under the tracepoint tier
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
# Every tier has tracepoints, so the host checks exact numbers there; the
# VM matrix covers the richer tiers.
HOST_TIER=tracepoint
# A hung mmtrace or workload must fail its test, not stall CI (seconds).
LIMIT=${MMTRACE_TEST_TIMEOUT:-120}
TMP=$(mktemp -d /tmp/mmtrace-test.XXXXXX)
CGROUP_DIR=""
noise_pids=""

# Background jobs (tracers, noise loops, workloads) must not outlive us:
# a leftover tracer keeps its programs attached.
cleanup() {
	local pids
	pids=$(jobs -p)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill $pids 2>/dev/null
	[ -n "$CGROUP_DIR" ] && cgroup_remove
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

# verdict NAME OK DETAIL: PASS if OK is 0 (a status), else FAIL.
verdict() {
	if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi
}

# check_with NAME CHECKER...: runs a checker and counts its verdicts. One
# that exits non-zero without a FAIL line, or says nothing, crashed: that
# must fail the suite, not leave it green.
check_with() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && tally <<<"$out"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL' <<<"$out"; then
		fail "$name" "checker exited $rc without a FAIL: $(tail -n 3 <<<"$out")"
	elif ! grep -q '^\(PASS\|FAIL\)' <<<"$out"; then
		fail "$name" "checker printed no verdict"
	fi
}

oracle() { bounded python3 tools/test/oracle.py "$@"; }

# bounded CMD...: CMD with a deadline; 124 or 137 means it hung.
bounded() { timeout -k 5 "$LIMIT" "$@"; }

# status RC: an exit status in words, for FAIL lines.
status() {
	case $1 in
	124 | 137) echo "timed out (exit $1)" ;;
	*) echo "exit $1" ;;
	esac
}

# wait_for PID SECONDS: reaps a background job. One still running after
# SECONDS is killed and gets 124, as under timeout(1).
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# wait_line FILE TEXT PID: until FILE holds TEXT; gives up after 10 s or
# when PID, the process that should write it, is gone.
wait_line() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

run_unit() {
	local t out n=0
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$((n + 1))
		out=$(bounded "$t" 2>/dev/null)
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
	# No binaries is not a pass: the build did not make them.
	[ "$n" != 0 ]
	verdict "unit binaries" $? "none in $BUILD/tests (make test-unit builds them)"
	unit_oracle
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

# fork_case NAME ARGS...: mmtrace fork --json around a workload, then the
# oracle compares its report with the workload's own truth.
fork_case() {
	local name=$1 rc
	shift
	bounded "$MMTRACE" fork --json --tier "$HOST_TIER" \
		-o "$TMP/$name.rep" -- "$@" \
		>"$TMP/$name.truth" 2>"$TMP/$name.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "host $name" "mmtrace $(status $rc): $(head -c 500 "$TMP/$name.err")"
		return
	fi
	check_with "host $name" oracle fork "$TMP/$name.rep" \
		"$TMP/$name.truth" --name "host $name" --tier "$HOST_TIER"
}

# Starts mmtrace in the background and waits until it has attached. It is
# not under timeout(1): tests need its own pid (fdinfo, SIGKILL), and
# stop_tracer bounds the wait instead.
start_tracer() {
	tracer_out=$1
	shift
	"$MMTRACE" fork --json -o "$tracer_out" "$@" 2>"$tracer_out.err" &
	tracer_pid=$!
	wait_line "$tracer_out.err" 'Ctrl-C to stop' "$tracer_pid" && return 0
	kill -KILL "$tracer_pid" 2>/dev/null
	wait "$tracer_pid" 2>/dev/null
	return 1
}

# stop_tracer NAME SIG: a tracer stopped by SIGINT or SIGTERM reports and
# exits 0; a FAIL says otherwise.
stop_tracer() {
	local rc
	kill -"$2" "$tracer_pid"
	wait_for "$tracer_pid" 30
	rc=$?
	[ "$rc" = 0 ] && return 0
	fail "$1" "tracer $(status $rc) after SIG$2: $(head -c 300 "$tracer_out.err")"
	return 1
}

# noise_start CMD...: runs CMD over and over in the background until
# noise_stop; a failing run ends the loop, and noise_stop reports it.
noise_start() {
	(while bounded "$@" >/dev/null 2>&1; do :; done; exit 1) &
	noise_pids="$noise_pids $!"
}

# noise_stop NAME: a loop that ended by itself had a failing workload, and
# the test then checked a filter against no noise at all.
noise_stop() {
	local pid rc
	for pid in $noise_pids; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			wait "$pid" 2>/dev/null
		else
			wait "$pid"
			rc=$?
			fail "$1" "noise workload failed ($(status $rc))"
		fi
	done
	noise_pids=""
}

# Noise no filter may count: it pins and forks under a name of its own,
# so a leak would show in the copies too, and forkmix adds vforks and
# threads.
pinning_noise() {
	cp "$PINFORK" "$TMP/pfnoise"
	noise_start "$TMP/pfnoise" --pages 16 --forks 5
	noise_start "$FORKMIX" 5 2 2
}

host_pid_filter() {
	local name="host -p" wl rc
	"$PINFORK" --wait-start >"$TMP/pid.truth" 2>"$TMP/pid.start" </dev/null &
	wl=$!
	# SIGUSR1 before pinfork is ready for it would kill it.
	if ! wait_line "$TMP/pid.start" 'waiting for SIGUSR1' "$wl"; then
		fail "$name" "pinfork not ready: $(cat "$TMP/pid.start")"
		kill -KILL "$wl" 2>/dev/null
		return
	fi
	if ! start_tracer "$TMP/pid.rep" --tier "$HOST_TIER" -p "$wl"; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/pid.rep.err")"
		kill -KILL "$wl"
		return
	fi
	kill -USR1 "$wl"
	wait_for "$wl" "$LIMIT"
	rc=$?
	stop_tracer "$name" INT || return
	if [ "$rc" != 0 ]; then
		fail "$name" "pinfork $(status $rc): $(cat "$TMP/pid.start")"
		return
	fi
	check_with "$name" oracle fork "$TMP/pid.rep" "$TMP/pid.truth" \
		--name "$name" --tier "$HOST_TIER"
}

host_comm_filter() {
	local name="host --comm" rc
	# A name nothing else on the host has: comm is pfcomm<pid>.
	local wl=pfcomm$$
	cp "$PINFORK" "$TMP/$wl"
	if ! start_tracer "$TMP/comm.rep" --tier "$HOST_TIER" --comm "$wl"; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/comm.rep.err")"
		return
	fi
	bounded "$TMP/$wl" >"$TMP/comm.truth" 2>"$TMP/comm.werr"
	rc=$?
	stop_tracer "$name" TERM || return
	if [ "$rc" != 0 ]; then
		fail "$name" "$wl $(status $rc): $(head -c 300 "$TMP/comm.werr")"
		return
	fi
	check_with "$name" oracle fork "$TMP/comm.rep" "$TMP/comm.truth" \
		--name "$name" --tier "$HOST_TIER"
}

host_filters() {
	pinning_noise
	host_pid_filter
	host_comm_filter
	noise_stop "host filters"
}

host_intervals() {
	local name="host -i 1" rc n
	# 10 forks over ~3 s, reported every second: nothing lost between
	# reports, and the forks really spread over several of them.
	bounded "$MMTRACE" fork --json --tier "$HOST_TIER" -i 1 \
		-o "$TMP/int.rep" -- "$PINFORK" --delay-ms 300 \
		>"$TMP/int.truth" 2>"$TMP/int.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "mmtrace $(status $rc): $(head -c 300 "$TMP/int.err")"
		return
	fi
	n=$(wc -l <"$TMP/int.rep")
	[ "$n" -ge 3 ]
	verdict "$name: $n reports" $? "only $n reports"
	check_with "$name" oracle fork "$TMP/int.rep" "$TMP/int.truth" \
		--name "$name" --tier "$HOST_TIER" --busy-reports 2
}

host_odd_comm() {
	local odd="$TMP/"$'\xff\"q\\\t'
	cp "$PINFORK" "$odd"
	fork_case odd_comm "$odd" --pages 8 --forks 2
	python3 -c 'import json,sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
c = r[-1]["processes"][0]["comm"]
sys.exit(0 if c.startswith("\ufffd\"q\\\t") else 1)' "$TMP/odd_comm.rep" 2>/dev/null
	verdict "host odd comm: valid JSON, name kept" $? \
		"$(head -c 300 "$TMP/odd_comm.rep")"
}

# Rows must add up to the totals even when many processes fork at once
# and reports are drained every second: a row must not lose an update.
host_rows() {
	local name="host rows add up" rc i
	for i in 1 2 3 4; do
		noise_start "$FORKMIX" 50 0 0
	done
	bounded "$MMTRACE" fork --json --tier "$HOST_TIER" -i 1 -d 4 \
		-o "$TMP/rows.rep" 2>"$TMP/rows.err"
	rc=$?
	noise_stop "$name"
	if [ "$rc" != 0 ]; then
		fail "$name" "mmtrace $(status $rc): $(head -c 300 "$TMP/rows.err")"
		return
	fi
	check_with "$name" oracle rows "$TMP/rows.rep" --name "$name"
}

# The cgroup v2 hierarchy: /sys/fs/cgroup, or beside the v1 controllers
# on a hybrid host (/sys/fs/cgroup/unified).
cgroup2_root() {
	if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		echo /sys/fs/cgroup
		return
	fi
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

# Removing a cgroup fails until its last task is reaped: retry a bit.
cgroup_remove() {
	local i
	for ((i = 0; i < 50; i++)); do
		rmdir "$CGROUP_DIR/inner" 2>/dev/null
		rmdir "$CGROUP_DIR" 2>/dev/null && break
		sleep 0.1
	done
	[ -d "$CGROUP_DIR" ] && return 1
	CGROUP_DIR=""
}

# --cgroup names a parent; the workload runs in a child of it, and must
# be counted exactly, while the noise outside must not.
host_cgroup() {
	local name="host --cgroup (descendant)" root rc
	root=$(cgroup2_root)
	if [ -z "$root" ]; then
		skip "$name" "no cgroup v2 hierarchy mounted"
		return
	fi
	CGROUP_DIR=$root/mmtrace-test.$$
	if ! mkdir -p "$CGROUP_DIR/inner"; then
		fail "$name" "cannot create $CGROUP_DIR/inner"
		return
	fi
	if ! start_tracer "$TMP/cg.rep" --tier "$HOST_TIER" \
		--cgroup "$CGROUP_DIR"; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/cg.rep.err")"
		cgroup_remove
		return
	fi
	cp "$PINFORK" "$TMP/pfnoise"
	noise_start "$TMP/pfnoise" --pages 16 --forks 5
	# shellcheck disable=SC2016
	bounded sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --pages 32 --forks 5' \
		sh "$CGROUP_DIR/inner" "$PINFORK" \
		>"$TMP/cg.truth" 2>"$TMP/cg.werr"
	rc=$?
	noise_stop "$name"
	if stop_tracer "$name" INT; then
		if [ "$rc" != 0 ]; then
			fail "$name" "workload $(status $rc): $(head -c 300 "$TMP/cg.werr")"
		else
			check_with "$name" oracle fork "$TMP/cg.rep" \
				"$TMP/cg.truth" --name "$name" --tier "$HOST_TIER"
		fi
	fi
	cgroup_remove || fail "$name" "cannot remove $CGROUP_DIR"
}

# left_running PATTERN: pids of processes whose command line is PATTERN.
left_running() {
	pgrep -f -- "$1" | tr '\n' ' '
}

# mmtrace stopping first (duration, SIGTERM) must kill and reap COMMAND.
host_command_stop() {
	local name tag=77.$$ t0 secs rc left
	name="host -d 1 -- sleep: COMMAND killed"
	t0=$SECONDS
	timeout -k 5 20 "$MMTRACE" fork -d 1 -o "$TMP/cmd.rep" -- \
		sleep "$tag" >/dev/null 2>"$TMP/cmd.err"
	rc=$?
	secs=$((SECONDS - t0))
	left=$(left_running "^sleep $tag\$")
	[ "$rc" = 0 ] && [ "$secs" -le 5 ] && [ -z "$left" ]
	verdict "$name" $? "$(status $rc) after ${secs}s, left running: ${left:-none}; $(head -c 300 "$TMP/cmd.err")"
	# shellcheck disable=SC2086
	[ -n "$left" ] && kill $left

	name="host SIGTERM -- sleep: COMMAND killed"
	if ! start_tracer "$TMP/cmdt.rep" -- sleep "$tag"; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/cmdt.rep.err")"
	elif stop_tracer "$name" TERM; then
		left=$(left_running "^sleep $tag\$")
		[ -z "$left" ]
		verdict "$name" $? "left running: $left"
	fi
	left=$(left_running "^sleep $tag\$")
	# shellcheck disable=SC2086
	[ -n "$left" ] && kill $left

	# A COMMAND that ignores SIGTERM gets SIGKILL 2 s later.
	name="host -d 1 -- COMMAND ignoring SIGTERM: killed"
	t0=$SECONDS
	# shellcheck disable=SC2016
	timeout -k 5 20 "$MMTRACE" fork -d 1 -o "$TMP/cmdi.rep" -- \
		sh -c 'trap "" TERM; while :; do sleep 0.2; done' "mmt-deaf-$$" \
		>/dev/null 2>"$TMP/cmdi.err"
	rc=$?
	secs=$((SECONDS - t0))
	sleep 0.3 # its last sleep 0.2 child, orphaned, ends by itself
	left=$(left_running "mmt-deaf-$$")
	[ "$rc" = 0 ] && [ "$secs" -le 7 ] && [ -z "$left" ]
	verdict "$name" $? "$(status $rc) after ${secs}s, left running: ${left:-none}; $(head -c 300 "$TMP/cmdi.err")"
	# shellcheck disable=SC2086
	[ -n "$left" ] && kill -KILL $left
}

# COMMAND's own end decides mmtrace's status: 128+signal, 1 if non-zero.
host_command_status() {
	local rc
	# shellcheck disable=SC2016
	bounded "$MMTRACE" fork -o "$TMP/segv.rep" -- \
		sh -c 'ulimit -c 0; kill -SEGV $$' >/dev/null 2>"$TMP/segv.err"
	rc=$?
	[ "$rc" = 139 ]
	verdict "host -- COMMAND killed by SIGSEGV: exit 139" $? \
		"$(status $rc): $(head -c 300 "$TMP/segv.err")"
	bounded "$MMTRACE" fork -o "$TMP/false.rep" -- false \
		>/dev/null 2>"$TMP/false.err"
	rc=$?
	[ "$rc" = 1 ]
	verdict "host -- false: exit 1" $? \
		"$(status $rc): $(head -c 300 "$TMP/false.err")"
}

# A COMMAND that cannot be exec'd: an error naming it, 127, no report.
host_command_noexec() {
	local cmd rc
	: >"$TMP/notexec"
	chmod 644 "$TMP/notexec"
	for cmd in /nonexistent/x "$TMP/notexec"; do
		bounded "$MMTRACE" fork -- "$cmd" >"$TMP/noexec.out" \
			2>"$TMP/noexec.err"
		rc=$?
		[ "$rc" = 127 ] && [ ! -s "$TMP/noexec.out" ] &&
			grep -q "cannot run.*$cmd" "$TMP/noexec.err"
		verdict "host -- $cmd: cannot run, exit 127, no report" $? \
			"$(status $rc), stderr: $(head -c 300 "$TMP/noexec.err"), stdout: $(head -c 100 "$TMP/noexec.out")"
	done
}

# Without root: one line that says what it needs, exit 1, no report.
host_not_root() {
	local name="host not root: one line, exit 1" rc lines
	if ! command -v setpriv >/dev/null; then
		skip "$name" "no setpriv (util-linux)"
		return
	fi
	# nobody must reach the binary wherever the tree is checked out.
	mkdir -p "$TMP/nobody"
	cp "$MMTRACE" "$TMP/nobody/mmtrace"
	chmod 711 "$TMP"
	chmod 755 "$TMP/nobody"
	bounded setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$TMP/nobody/mmtrace" fork -d 1 \
		>"$TMP/nobody.out" 2>"$TMP/nobody.err"
	rc=$?
	lines=$(wc -l <"$TMP/nobody.err")
	[ "$rc" = 1 ] && [ "$lines" = 1 ] && [ ! -s "$TMP/nobody.out" ] &&
		grep -q 'root' "$TMP/nobody.err" &&
		grep -q 'CAP_BPF' "$TMP/nobody.err"
	verdict "$name" $? "$(status $rc), $lines lines: $(head -c 400 "$TMP/nobody.err")"
}

# Program IDs a process holds: prog fds and link fds both name one.
held_prog_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		sed -n 's/^prog_id:[[:space:]]*//p' | sort -un | tr '\n' ' '
}

# All loaded program IDs, or a failure if bpftool cannot list them.
loaded_prog_ids() {
	local json
	json=$(bounded bpftool -j prog show) || return 1
	python3 -c 'import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))' <<<"$json"
}

# which_of IDS LIST: the IDS that are in LIST.
which_of() {
	local id out=""
	for id in $1; do
		case " $2 " in *" $id "*) out="$out $id" ;; esac
	done
	echo "$out"
}

# After SIGKILL no program of the tracer may stay loaded: links die with
# the fd. The tracer runs at its richest tier, and its programs are the
# ones its own fds hold, whatever their names.
host_detach() {
	local name="host SIGKILL" ours all loaded left
	if ! start_tracer "$TMP/kill.rep"; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/kill.rep.err")"
		return
	fi
	ours=$(held_prog_ids "$tracer_pid")
	loaded=$(loaded_prog_ids)
	left=$(which_of "$ours" "$loaded")
	all=$(which_of "$ours" "$ours")
	kill -KILL "$tracer_pid"
	wait "$tracer_pid" 2>/dev/null
	if [ -z "$ours" ]; then
		fail "$name" "no prog_id in /proc/$tracer_pid/fdinfo"
		return
	fi
	# Without this, a bpftool that lists nothing would pass the test.
	if [ "$left" != "$all" ]; then
		fail "$name" "bpftool does not list the tracer's programs ($ours): got$left"
		return
	fi
	for _ in $(seq 50); do
		if ! loaded=$(loaded_prog_ids); then
			fail "$name" "bpftool prog show failed"
			return
		fi
		left=$(which_of "$ours" "$loaded")
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ]
	verdict "$name: its programs ($ours) are gone" $? \
		"programs$left still loaded"
}

host_bad_input() {
	local args rc
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		bounded "$MMTRACE" $args >/dev/null 2>"$TMP/bad.err"
		rc=$?
		[ "$rc" = 2 ] && [ -s "$TMP/bad.err" ]
		verdict "host usage error: mmtrace $args" $? "$(status $rc)"
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

# The tiers, checked against the kernel itself rather than mmtrace's own
# words: syscalls are always tracepoints, and without a kprobe PMU no
# observation may claim kprobes, and each must say they are missing.
host_probes() {
	local rc
	bounded "$MMTRACE" probes >"$TMP/probes.txt" 2>"$TMP/probes.err"
	rc=$?
	[ "$rc" = 0 ] && grep -q 'fork\.pinned_copies' "$TMP/probes.txt"
	verdict "host probes: exit 0, prints its table" $? \
		"$(status $rc): $(head -c 300 "$TMP/probes.err")"
	bounded "$MMTRACE" probes --json >"$TMP/probes.json" 2>"$TMP/probes.err"
	rc=$?
	verdict "host probes --json" "$rc" \
		"$(status $rc): $(head -c 300 "$TMP/probes.err")"
	check_with "host probes tiers" oracle tiers "$TMP/probes.json" fork \
		fork.syscalls=tracepoint
	if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
		check_with "host probes without kprobes" oracle nokprobe \
			"$TMP/probes.json" fork fork.pinned_copies
	fi
}

run_host() {
	if [ "$(id -u)" != 0 ]; then
		skip "host tests" "need root"
		return
	fi
	host_probes
	fork_case pin "$PINFORK" --pages 64 --forks 10
	fork_case pin_big "$PINFORK" --pages 1000 --forks 3
	fork_case dontfork "$PINFORK" --mode dontfork
	fork_case nopin "$PINFORK" --mode nopin
	fork_case thp "$PINFORK" --thp --pages 2 --forks 3
	fork_case mix "$FORKMIX" 3 4 5
	host_filters
	host_intervals
	host_odd_comm
	host_rows
	host_cgroup
	host_command_stop
	host_command_status
	host_command_noexec
	host_not_root
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
		verdict "vm $k: boots and runs" "$rc" "exit $rc: $(tail -5 "$log")"
		check_with "vm $k" oracle vm "$log" "$k"
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
