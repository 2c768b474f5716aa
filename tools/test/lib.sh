# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shell helpers every test file shares; sourced by tools/test/run.sh.
# Checks print "PASS name" or "FAIL name: why" and are counted here.

passed=0
failed=0
skipped=0
# CI shows only the tail of a run: the failures are printed again last.
failures=()
noise_pids=""
CGROUP_DIR=""

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

# Counts the PASS/FAIL lines of a checker's output and echoes them.
tally() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		PASS*) passed=$((passed + 1)) ;;
		FAIL*) failed=$((failed + 1)) failures+=("$line") ;;
		esac
	done
}

pass() { echo "PASS $1"; passed=$((passed + 1)); }

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
	failures+=("FAIL $1: $2")
}

# Prints every failure of the run again, each cut to one line.
failures_again() {
	local line
	[ ${#failures[@]} = 0 ] && return
	echo "the ${#failures[@]} failure(s) again:"
	for line in "${failures[@]}"; do
		line=${line%%$'\n'*}
		echo "${line:0:300}"
	done
}

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

# build_mmtrace NAME: makes $BUILD/mmtrace for a unit check that runs it
# (make test-unit builds only the test binaries); fails NAME if it cannot.
build_mmtrace() {
	local out rc
	out=$(env -u MAKEFLAGS make -s --no-print-directory OUT="$BUILD" \
		"$BUILD/mmtrace" 2>&1)
	rc=$?
	verdict "$1: build $BUILD/mmtrace" $rc "$(tail -n 5 <<<"$out")"
	return $rc
}

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

# wait_line FILE TEXT PID [SECONDS]: until FILE holds TEXT; gives up after
# SECONDS (10) or when PID, the process that should write it, is gone.
wait_line() {
	local i
	for ((i = 0; i < ${4:-10} * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

# start_tracer VIEW OUT ARGS...: starts mmtrace VIEW in the background
# and waits until it has attached. It is
# not under timeout(1): tests need its own pid (fdinfo, SIGKILL), and
# stop_tracer bounds the wait instead.
start_tracer() {
	local view=$1
	tracer_out=$2
	shift 2
	# Emptied here, not by the job's redirection: that one may come after
	# wait_line has read a banner left by an earlier run (the san tier).
	: >"$tracer_out.err"
	"$MMTRACE" "$view" --json -o "$tracer_out" "$@" 2>>"$tracer_out.err" &
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

# follow_waiting NAME SETTLE WORKLOAD... -- VIEW TRACER_ARGS...: WORKLOAD,
# given its own flag to wait for SIGUSR1 (it says "ready" before its work
# and "done" after printing its truth), is followed by mmtrace VIEW from
# before its work until SETTLE seconds after it printed, and exits only
# after the tracer stopped, so that nothing at its exit is counted. A
# TRACER_ARG "-p" gets the workload's pid. $TMP/NAME.truth is its stdout,
# .wl its stderr, .rep the reports; its exit status is left in WL_RC.
# 1 after a FAIL of the run itself.
follow_waiting() {
	local name=$1 settle=$2 cmd=() targs=() what view wl a
	shift 2
	while [ "$1" != -- ]; do cmd+=("$1"); shift; done
	shift
	view=$1
	shift
	what=${cmd[0]##*/}
	# Emptied first: wait_line must not read a line left by the san tier.
	: >"$TMP/$name.wl"
	"${cmd[@]}" >"$TMP/$name.truth" 2>>"$TMP/$name.wl" </dev/null &
	wl=$!
	# SIGUSR1 before the workload is ready for it would kill it.
	if ! wait_line "$TMP/$name.wl" 'ready' "$wl"; then
		fail "$name" "$what not ready: $(cat "$TMP/$name.wl")"
		kill -KILL "$wl" 2>/dev/null
		return 1
	fi
	for a; do
		targs+=("$a")
		[ "$a" = -p ] && targs+=("$wl")
	done
	if ! start_tracer "$view" "$TMP/$name.rep" "${targs[@]}"; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/$name.rep.err")"
		kill -KILL "$wl"
		return 1
	fi
	kill -USR1 "$wl"
	# A storm's own run time, not a line's: 4 x 40000 mmapstorm took 12 s
	# untraced on a slower host, past wait_line's 10.
	if ! wait_line "$TMP/$name.wl" 'done' "$wl" "$LIMIT"; then
		fail "$name" "$what did not finish: $(cat "$TMP/$name.wl")"
		kill -KILL "$wl" 2>/dev/null
		stop_tracer "$name" INT
		return 1
	fi
	[ "$settle" = 0 ] || sleep "$settle"
	stop_tracer "$name" INT || { kill -KILL "$wl"; return 1; }
	kill -USR1 "$wl"
	wait_for "$wl" "$LIMIT"
	# shellcheck disable=SC2034 # the caller reads it
	WL_RC=$?
	return 0
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

# left_running PATTERN: pids of processes whose command line is PATTERN.
left_running() {
	pgrep -f -- "$1" | tr '\n' ' '
}

# Program IDs a process holds: prog fds and link fds both name one.
held_prog_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		sed -n 's/^prog_id:[[:space:]]*//p' | sort -un | tr '\n' ' '
}

# held_map NAME PID: the id of the BPF map NAME that process PID holds.
held_map() {
	local id
	for id in $(cat /proc/"$2"/fdinfo/* 2>/dev/null |
		sed -n 's/^map_id:[[:space:]]*//p' | sort -un); do
		bpftool map show id "$id" | grep -q " name $1 " &&
			echo "$id" && return 0
	done
	return 1
}

# All loaded program IDs, or a failure if bpftool cannot list them.
loaded_prog_ids() {
	local json
	json=$(bounded bpftool -j prog show) || return 1
	python3 -c 'import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))' <<<"$json"
}

# progs_left IDS: those of the program IDS still loaded after up to 5 s
# (the kernel frees a detached tracing program after a grace period).
progs_left() {
	local loaded left
	for _ in $(seq 50); do
		loaded=$(loaded_prog_ids) || { echo " (bpftool prog show failed)"; return; }
		left=$(which_of "$1" "$loaded")
		[ -z "$left" ] && return
		sleep 0.1
	done
	echo "$left"
}

# which_of IDS LIST: the IDS that are in LIST.
which_of() {
	local id out=""
	for id in $1; do
		case " $2 " in *" $id "*) out="$out $id" ;; esac
	done
	echo "$out"
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

# as_nobody FILE: AS_NOBODY becomes the prefix that runs a command as
# nobody where root can (setpriv, and nobody reaches FILE), else nothing:
# what needs no privilege is run without one.
as_nobody() {
	AS_NOBODY=()
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			test -x "$1" 2>/dev/null; then
		AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
}

# metric_names PORT: the families serve on PORT exports, and those of the
# views that cannot load here and of the other --by labels, from the
# views' tables: what a dashboard may name (dashboard_check.py --names).
metric_names() {
	curl -s "http://127.0.0.1:$1/metrics" |
		awk '/^# TYPE/ { print $3 }'
	# The families of views that cannot load here, and of the other
	# --by labels, from the views' tables.
	grep -ho '\(EXPORT\|HISTOGRAM[A-Z_]*\)("[a-z0-9_]*"' views/*/*.c |
		sed 's/.*"\(.*\)"/mmtrace_\1/'
	# Self metrics that depend on this host (BPF stats may be off).
	sed -n 's/.*family(&*m, "\([a-z0-9_]*\)", METRIC_COUNTER.*/mmtrace_\1_total/p' \
		user/export.c
	sed -n 's/.*family(&*m, "\([a-z0-9_]*\)", METRIC_[GH].*/mmtrace_\1/p' \
		user/export.c
	# Label pairs views render themselves: callers and holders.
	grep -ho 'label_pair_render(m, &[a-z_]*, "mmtrace_[a-z0-9_]*"' \
		views/*/*.c | sed 's/.*"\(.*\)"/\1_total/'
	grep -ho 'owner_labels_render(m, &[a-z_]*, "mmtrace_[a-z0-9_]*"' \
		views/*/*.c |
		sed 's/.*"\(.*\)"/\1_owner_waits_total\n\1_owner_wait_seconds_total/'
	for f in $(cd views && echo *); do
		grep -o 'EXPORT_ROW("[a-z0-9_]*"' "views/$f/$f.c" | cut -d'"' -f2 |
			sed "s/.*/mmtrace_${f}_comm_&_total\nmmtrace_${f}_cgroup_&_total\nmmtrace_${f}_container_&_total/"
	done
}
