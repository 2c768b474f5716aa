# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of issue #11's case 1 (mmtrace inside a pid namespace speaks
# that namespace's pids and traces nothing outside it) and case 2c (-- COMMAND
# follows every process it starts; --no-children does not). Sourced by
# run.sh, which calls host_pidns; helpers are in lib.sh.
#
# This host observes fork and locks; gup and hugetlb have no probe here,
# so for them the tests assert what mmtrace says instead of numbers.

PIDNS_PINFORK=$WORKLOADS/pinfork
PIDNS_FORKMIX=$WORKLOADS/forkmix
PIDNS_STORM=$WORKLOADS/mmapstorm

# in_pidns CMD...: CMD as init of a new pid namespace with its own /proc.
in_pidns() {
	bounded unshare --pid --fork --mount-proc "$@"
}

# The --wait-start protocol below runs inside `unshare` too: a bash -c
# with these functions defined. pidns_until FILE TEXT: until FILE holds
# TEXT, at most 60 s.
pidns_until() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# pidns_drive MMTRACE VIEW OUT MODE WORKLOAD...: a workload started with
# --wait-start, traced by `mmtrace VIEW` from before it starts until after
# it printed its truth (OUT.truth; the reports in OUT.rep). MODE -p traces
# it by its pid; MODE follow runs it under sh -c as the COMMAND's child.
# mmapstorm waits for a second SIGUSR1 to exit, pinfork does not.
#
# Followed, the workload is traced from its fork on, exec included, while
# its truth covers the storm only: a report every second, and the storm
# starts after one that came while it waited (idle); OUT.storm holds the
# reports from then on.
pidns_drive() {
	local mmtrace=$1 view=$2 out=$3 mode=$4 pid tracer rc n
	shift 4
	: >"$out.wl"
	: >"$out.err"
	: >"$out.rep"
	if [ "$mode" = -p ]; then
		"$@" --wait-start >"$out.truth" 2>>"$out.wl" </dev/null &
		pid=$!
		pidns_until "$out.wl" 'waiting for SIGUSR1' || return 1
		"$mmtrace" "$view" --json --tier tracepoint -o "$out.rep" \
			-p "$pid" 2>>"$out.err" &
	else
		# shellcheck disable=SC2016
		"$mmtrace" "$view" --json --tier tracepoint -o "$out.rep" -i 1 \
			-- sh -c '"$@" --wait-start >"$0.truth" 2>>"$0.wl" </dev/null; true' \
			"$out" "$@" 2>>"$out.err" &
	fi
	tracer=$!
	pidns_until "$out.err" 'Ctrl-C to stop' || return 1
	pidns_until "$out.wl" 'waiting for SIGUSR1' || return 1
	pid=$(sed -n 's/^[a-z]*: pid \([0-9]*\) .*/\1/p' "$out.wl" | head -n 1)
	n=$(wc -l <"$out.rep")
	if [ "$mode" = follow ]; then
		while [ "$(wc -l <"$out.rep")" = "$n" ]; do sleep 0.1; done
		n=$(wc -l <"$out.rep")
	fi
	kill -USR1 "$pid"
	case $1 in
	*mmapstorm)
		pidns_until "$out.wl" 'done,' || return 1
		kill -INT "$tracer"
		wait "$tracer"
		rc=$?
		kill -USR1 "$pid"
		;;
	*)
		# Followed: the run ends with the workload.
		[ "$mode" = -p ] && { while kill -0 "$pid" 2>/dev/null; do
			sleep 0.1; done; kill -INT "$tracer"; }
		wait "$tracer"
		rc=$?
		;;
	esac
	wait
	tail -n +$((n + 1)) "$out.rep" >"$out.storm"
	return "$rc"
}

# pidns_run NS NAME VIEW MODE WORKLOAD...: pidns_drive here or (NS=ns) in
# a new pid namespace; $TMP/NAME.{rep,truth,err,wl}. 0 if it ran.
pidns_run() {
	local ns=$1 name=$2 out=$TMP/$2 rc
	shift 2
	if [ "$ns" = ns ]; then
		in_pidns bash -c "$(declare -f pidns_until pidns_drive)"'
			pidns_drive "$@"' bash "$MMTRACE" "$1" "$out" "${@:2}"
	else
		bounded bash -c "$(declare -f pidns_until pidns_drive)"'
			pidns_drive "$@"' bash "$MMTRACE" "$1" "$out" "${@:2}"
	fi
	rc=$?
	[ "$rc" = 0 ] && return 0
	fail "host $name" "$(status $rc): $(head -c 300 "$out.err") $(head -c 200 "$out.wl")"
	return 1
}

# Case 1, fork: a COMMAND and its events inside a new pid namespace.
pidns_fork_command() {
	local name="host pidns: -- pinfork" rc
	in_pidns "$MMTRACE" fork --json --tier "$HOST_TIER" --events \
		-o "$TMP/nscmd.rep" -- "$PIDNS_PINFORK" --pages 8 --forks 3 \
		>"$TMP/nscmd.truth" 2>"$TMP/nscmd.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "$(status $rc): $(head -c 300 "$TMP/nscmd.err")"
		return
	fi
	grep -q "in pid namespace pid:\[" "$TMP/nscmd.err"
	verdict "$name: says so at start-up" $? "$(head -c 300 "$TMP/nscmd.err")"
	grep -v '"event"' "$TMP/nscmd.rep" >"$TMP/nscmd.reports"
	check_with "$name" oracle fork "$TMP/nscmd.reports" "$TMP/nscmd.truth" \
		--name "$name" --tier "$HOST_TIER"
	# The namespace is new: pinfork's children are its next pids.
	python3 -c 'import json, sys
t = json.loads(open(sys.argv[2]).read().splitlines()[-1])
ev = [json.loads(l) for l in open(sys.argv[1]) if "\"event\"" in l]
# mmtrace itself may have forked once before: after pid, one by one.
c = [e["child_pid"] for e in ev]
ok = [e["pid"] for e in ev] == [t["pid"]] * 3 and len(c) == 3 and \
     t["pid"] < c[0] < 10 and c == [c[0], c[0] + 1, c[0] + 2]
print(ev if not ok else "")
sys.exit(0 if ok else 1)' "$TMP/nscmd.rep" "$TMP/nscmd.truth" >"$TMP/nscmd.why" 2>&1
	verdict "$name: events give the namespace's pid and child pids" $? \
		"$(head -c 400 "$TMP/nscmd.why")"
}

# Case 1, fork: -p takes the namespace's pid, while the host runs a
# pinning workload of its own that must not be counted.
pidns_fork_pid() {
	local name="host pidns: fork -p NSPID"
	cp "$PIDNS_PINFORK" "$TMP/pfhost1"
	noise_start "$TMP/pfhost1" --pages 16 --forks 5
	if pidns_run ns pidns_p fork -p "$PIDNS_PINFORK" --pages 4 --forks 5; then
		check_with "$name" oracle fork "$TMP/pidns_p.rep" \
			"$TMP/pidns_p.truth" --name "$name" --tier "$HOST_TIER"
	fi
	noise_stop "$name"
}

# pidns_beside NAME HOST NS OUT SCRIPT [ARGS...]: bash -c SCRIPT as init of a
# new pid namespace while a copy of pinfork named HOST forks on the host
# all along, to be left out. In SCRIPT, which may call wait_line, $0 is
# mmtrace, $1 OUT (its mmtrace writes OUT.err), $2 a copy of pinfork named
# NS, and ARGS follow. 0 if SCRIPT exited 0; else a FAIL.
pidns_beside() {
	local name=$1 host=$2 ns=$3 out=$4 script=$5 rc
	shift 5
	cp "$PIDNS_PINFORK" "$TMP/$host"
	cp "$PIDNS_PINFORK" "$TMP/$ns"
	noise_start "$TMP/$host" --pages 16 --forks 5
	in_pidns bash -c "$(declare -f wait_line)
		$script" "$MMTRACE" "$out" "$TMP/$ns" "$@"
	rc=$?
	noise_stop "$name"
	[ "$rc" = 0 ] && return 0
	fail "$name" "$(status $rc): $(head -c 300 "$out.err")"
	return 1
}

# Case 1: without a filter, a namespace's mmtrace shows its own processes
# and none of the host's (as its ps does not).
pidns_fork_outside() {
	local name="host pidns: unfiltered, host tasks not traced"
	# shellcheck disable=SC2016
	pidns_beside "$name" pfhost2 pfns "$TMP/nsall" '
		"$0" fork --json --tier tracepoint -o "$1.rep" 2>"$1.err" &
		t=$!
		wait_line "$1.err" "Ctrl-C to stop" $t || exit 1
		"$2" --pages 4 --forks 3 >"$1.truth"; rc=$?
		sleep 1
		kill -INT $t; wait $t && exit $rc' || return
	python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
t = json.loads(open(sys.argv[2]).read().splitlines()[-1])
rows = [p for x in r for p in x["processes"]]
mine = [p for p in rows if p["pid"] == t["pid"] and p["comm"] == "pfns"]
host = [p for p in rows if p["comm"] == "pfhost2"]
ok = not host and len(mine) == 1 and mine[0]["forks"] == 3 and \
     mine[0]["pinned_copies"] == t["observed_copies"]
print(f"namespace row {mine}, host rows {host}")
sys.exit(0 if ok else 1)' "$TMP/nsall.rep" "$TMP/nsall.truth" \
		>"$TMP/nsall.why" 2>&1
	verdict "$name" $? "$(head -c 400 "$TMP/nsall.why")"
}

# Case 1, locks: -p takes the namespace's pid; exact numbers (vm_locks.py).
pidns_locks_pid() {
	local name="host pidns: locks -p NSPID"
	pidns_run ns pidns_lk locks -p "$PIDNS_STORM" --threads 2 \
		--count 1000 || return
	check_with "$name" oracle locks "$TMP/pidns_lk.rep" \
		"$TMP/pidns_lk.truth" --name "$name" --threads 2 \
		--expect-tiers "locks.children=tracepoint"
}

# A /proc of another namespace (unshare without --mount-proc) cannot
# check -p: one line, exit 2.
pidns_foreign_proc() {
	local name="host pidns: -p with the host's /proc" rc
	bounded unshare --pid --fork "$MMTRACE" fork -p 1 -d 1 \
		>"$TMP/nsproc.out" 2>"$TMP/nsproc.err"
	rc=$?
	[ "$rc" = 2 ] && grep -q 'another pid namespace' "$TMP/nsproc.err" &&
		[ "$(wc -l <"$TMP/nsproc.err")" = 1 ]
	verdict "$name: exit 2, one line" $? \
		"$(status $rc): $(head -c 300 "$TMP/nsproc.err")"
}

# gup and hugetlb cannot observe here: in a namespace they say so as on
# the host, with their children observation on the tracepoint tier.
pidns_unavailable_views() {
	local name="host pidns: gup" rc
	in_pidns "$MMTRACE" gup --json -- true >"$TMP/nsgup.out" \
		2>"$TMP/nsgup.err"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'cannot trace gup' "$TMP/nsgup.err" &&
		[ ! -s "$TMP/nsgup.out" ]
	verdict "$name: refuses, saying why, no report" $? \
		"$(status $rc): $(head -c 300 "$TMP/nsgup.err")"
	in_pidns "$MMTRACE" probes --json >"$TMP/nsprobes.json" \
		2>"$TMP/nsprobes.err"
	check_with "host pidns: probes" oracle tiers "$TMP/nsprobes.json" gup \
		gup.calls=none gup.children=tracepoint
	check_with "host pidns: probes" oracle tiers "$TMP/nsprobes.json" \
		hugetlb hugetlb.pmd_share=none hugetlb.children=tracepoint
	for v in fork locks; do
		check_with "host pidns: probes" oracle tiers \
			"$TMP/nsprobes.json" $v $v.children=tracepoint
	done
}

# Case 1, serve: its labels count the namespace's processes only.
pidns_serve() {
	local name="host pidns: serve" port=$((30000 + RANDOM % 10000))
	# shellcheck disable=SC2016
	pidns_beside "$name" pfhost3 pfsrv "$TMP/nssrv" '
		"$0" serve --views fork --tier tracepoint --listen "127.0.0.1:$3" \
			2>"$1.err" &
		s=$!
		wait_line "$1.err" "Ctrl-C to stop" $s || exit 1
		"$2" --pages 4 --forks 3 >"$1.truth" || exit 1
		# Labels are folded from rows at a scrape, and a new series is
		# exposed at 0 for one scrape: the second shows its count.
		curl -s --max-time 5 "http://127.0.0.1:$3/metrics" >/dev/null
		curl -s --max-time 5 "http://127.0.0.1:$3/metrics" >"$1.metrics"
		kill -TERM $s; wait $s' "$port" || return
	grep -q '^mmtrace_fork_comm_forks_total{comm="pfsrv"} 3$' \
		"$TMP/nssrv.metrics" &&
		! grep -q 'comm="pfhost3"' "$TMP/nssrv.metrics"
	verdict "$name: the namespace's forks by comm, none of the host's" $? \
		"$(grep -E 'comm_forks_total' "$TMP/nssrv.metrics" | head -5)"
}

# serve's defaults in a namespace: the armed fork_clone_btf, which counts
# the namespace's clones alone, not the unarmed fork_count_btf (every
# clone on the host), and the children observation that learns the
# namespace. Between two scrapes: PINFORK's 3 forks, the shell's fork of
# it and of the second curl, none of the host's (noise forks beside).
pidns_serve_defaults() {
	local name="host pidns: serve defaults" port=$((30000 + RANDOM % 10000))
	# shellcheck disable=SC2016
	pidns_beside "$name" pfhost4 pfsrv4 "$TMP/nsdef" '
		"$0" probes --serve --json fork >"$1.probes" 2>"$1.err" || exit 1
		"$0" serve --tier tracepoint --listen "127.0.0.1:$3" \
			2>"$1.err" &
		s=$!
		wait_line "$1.err" "Ctrl-C to stop" $s || exit 1
		curl -s --max-time 5 "http://127.0.0.1:$3/metrics" >"$1.before"
		"$2" --pages 4 --forks 3 >"$1.truth" || exit 1
		curl -s --max-time 5 "http://127.0.0.1:$3/metrics" >"$1.after"
		kill -TERM $s; wait $s' "$port" || return
	python3 -c 'import json, re, sys
o = {o["name"]: o for o in json.load(open(sys.argv[1]))["views"]["fork"]}
def forks(path):
    m = re.search(r"^mmtrace_fork_clones_total\{kind=\"fork\"\} (\d+)$",
                  open(path).read(), re.M)
    return int(m[1]) if m else None
got = (o["fork.clones"]["points"][0]["program"], o["fork.children"]["tier"],
       forks(sys.argv[3]) - forks(sys.argv[2]))
print(f"program, children tier, forks between the scrapes: {got}")
sys.exit(got != ("fork_clone_btf", "tracepoint", 5))' "$TMP/nsdef.probes" \
		"$TMP/nsdef.before" "$TMP/nsdef.after" >"$TMP/nsdef.why" 2>&1
	verdict "$name: armed fork.clones, the namespace's forks alone" $? \
		"$(head -c 400 "$TMP/nsdef.why")"
}

# Case 2c: mmtrace fork -- SHELL... runs forkmix; K is what the shells
# clone themselves. follow_case NAME K [MMTRACE_OPTS...] -- SHELL...
follow_case() {
	local name=$1 clones=$2 opts=() rc alone=
	shift 2
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	case " ${opts[*]} " in *" --no-children "*) alone=--alone ;; esac
	bounded "$MMTRACE" fork --json --tier "$HOST_TIER" "${opts[@]}" \
		-o "$TMP/$name.rep" -- "$@" 2>"$TMP/$name.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "host $name" "$(status $rc): $(head -c 300 "$TMP/$name.err")"
		return
	fi
	check_with "host $name" oracle follow "$TMP/$name.rep" \
		"$TMP/$name.truth" --clones "$clones" $alone --name "host $name"
	# Said only of processes that outlive COMMAND (the daemon), not of
	# children reaped but not yet freed.
	local said=0 want=0
	grep -q 'COMMAND has exited; tracing the processes' "$TMP/$name.err" &&
		said=1
	[ "$name" = follow_daemon ] && want=1
	[ "$said" = "$want" ]
	verdict "host $name: says it waits for descendants: $want" $? \
		"$(head -c 300 "$TMP/$name.err")"
}

follow_fork() {
	local t=$TMP fm=$PIDNS_FORKMIX
	follow_case follow_shell 1 -- \
		sh -c "$fm 5 0 0 >$t/follow_shell.truth; true"
	follow_case follow_deep 2 -- \
		sh -c "sh -c '$fm 4 2 0 >$t/follow_deep.truth; true'; true"
	# The shell exits at once; the daemon re-parents, sleeps, then forks:
	# the run ends with it.
	follow_case follow_daemon 2 -- \
		sh -c "(sleep 1; exec $fm 3 0 0 >$t/follow_daemon.truth) & true"
	follow_case follow_alone 1 --no-children -- \
		sh -c "$fm 5 0 0 >$t/follow_alone.truth; true"
	in_pidns "$MMTRACE" fork --json --tier "$HOST_TIER" \
		-o "$TMP/follow_ns.rep" -- \
		sh -c "$fm 5 0 0 >$t/follow_ns.truth; true" 2>"$TMP/follow_ns.err"
	check_with "host follow in a pid namespace" oracle follow \
		"$TMP/follow_ns.rep" "$TMP/follow_ns.truth" --clones 1 \
		--name "host follow in a pid namespace"
}

# Case 2c, locks: mmapstorm as the COMMAND's child, exact (vm_locks.py).
follow_locks() {
	local name="host follow: locks -- sh -c mmapstorm"
	pidns_run here follow_lk locks follow "$PIDNS_STORM" --threads 2 \
		--count 1000 || return
	check_with "$name" oracle locks "$TMP/follow_lk.storm" \
		"$TMP/follow_lk.truth" --name "$name" --threads 2 \
		--expect-tiers "locks.children=tracepoint"
	name="host follow in a pid namespace: locks"
	pidns_run ns follow_nslk locks follow "$PIDNS_STORM" --threads 2 \
		--count 1000 || return
	check_with "$name" oracle locks "$TMP/follow_nslk.storm" \
		"$TMP/follow_nslk.truth" --name "$name" --threads 2
}

# --no-children without a COMMAND is a usage error.
follow_usage() {
	local rc
	bounded "$MMTRACE" fork --no-children -d 1 >/dev/null 2>"$TMP/nc.err"
	rc=$?
	[ "$rc" = 2 ] && grep -q 'no-children applies to a COMMAND' "$TMP/nc.err"
	verdict "host --no-children without COMMAND: exit 2" $? \
		"$(status $rc): $(cat "$TMP/nc.err")"
}

host_pidns() {
	if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
		skip "host pidns" "unshare --pid --mount-proc does not work here"
		return
	fi
	pidns_fork_command
	pidns_fork_pid
	pidns_fork_outside
	pidns_locks_pid
	pidns_foreign_proc
	pidns_unavailable_views
	pidns_serve
	pidns_serve_defaults
	follow_fork
	follow_locks
	follow_usage
}
