# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of how rows and labels are named (issue #11, cases 2 and 2b):
# a process row carries its process's name, the thread-group leader's
# comm, whichever thread acted, from exec on the new name, and after its
# leader renamed itself (prctl) that name. Views with
# rows on this host: fork and locks (gup and hugetlb need fentry or
# kprobes: guest_names.sh covers them). Sourced by run.sh; the checks are
# in names_check.py.

EXECNAME=$WORKLOADS/execname
THREADNAME=$WORKLOADS/threadname

names_check() {
	check_with "$5" bounded python3 tools/test/names_check.py "$@"
}

# names_command NAME VIEW "TRACER OPTIONS" WORKLOAD...: mmtrace VIEW runs
# the workload as its COMMAND.
names_command() {
	local name=$1 view=$2 opts=$3 rc
	shift 3
	# shellcheck disable=SC2086
	bounded "$MMTRACE" "$view" --json --tier "$HOST_TIER" $opts \
		-o "$TMP/$name.rep" -- "$@" >"$TMP/$name.truth" \
		2>"$TMP/$name.err"
	rc=$?
	verdict "$name: exit 0" "$rc" "$(status $rc): $(head -c 300 "$TMP/$name.err")"
}

# names_follow NAME VIEW "TRACER OPTIONS" WORKLOAD...: the workload waits
# (--wait) until mmtrace VIEW follows it (the options say how: -p is
# added for "-p"), works, prints, and exits only after the tracer stopped,
# so that nothing at exit renames its row.
names_follow() {
	local name=$1 view=$2 opts=$3
	shift 3
	# -i 1: one more report after the work, before the stop.
	# shellcheck disable=SC2086
	follow_waiting "$name" 1.2 "$@" --wait -- "$view" \
		--tier "$HOST_TIER" $opts || return 1
	verdict "$name: workload exit 0" "$WL_RC" \
		"$(status "$WL_RC"): $(cat "$TMP/$name.wl")"
}

# names_series ADDR SERIES: one sample's value, or "absent".
names_series() {
	bounded /usr/bin/python3 tools/test/serve_check.py value "$1" "$2"
}

# serve's comm labels: the work before exec stays under the old name once
# collected (every 5 s), the work after it goes to the new one.
names_serve() {
	local name="host names serve" addr wl sv f_old f_new p_old p_new
	addr=127.0.0.1:$((30000 + RANDOM % 10000))
	: >"$TMP/names-serve.wl"
	"$EXECNAME" --wait --name shserve --forks 2 --faults 64 \
		--quiet-ms 6000 --exec "$TMP/renamedsrv" \
		>"$TMP/names-serve.truth" 2>>"$TMP/names-serve.wl" </dev/null &
	wl=$!
	wait_line "$TMP/names-serve.wl" 'ready' "$wl"
	: >"$TMP/names-serve.err"
	"$MMTRACE" serve --tier "$HOST_TIER" --views fork,locks -p "$wl" \
		--listen "$addr" 2>>"$TMP/names-serve.err" &
	sv=$!
	if ! wait_line "$TMP/names-serve.err" 'Ctrl-C to stop' "$sv"; then
		fail "$name" "serve did not start: $(head -c 300 "$TMP/names-serve.err")"
		kill -KILL "$wl" "$sv" 2>/dev/null
		return
	fi
	kill -USR1 "$wl"
	wait_line "$TMP/names-serve.wl" 'done' "$wl" "$LIMIT"
	sleep 6		# a collect after the work (COLLECT_EVERY_S is 5)
	# A new series is exposed at 0 for one scrape (README, "New and
	# returning series"): this one shows them, the next ones their counts.
	curl -s --max-time 5 "http://$addr/metrics" >/dev/null
	f_old=$(names_series "$addr" 'mmtrace_fork_comm_forks_total{comm="shserve"}')
	f_new=$(names_series "$addr" 'mmtrace_fork_comm_forks_total{comm="renamedsrv"}')
	p_old=$(names_series "$addr" 'mmtrace_locks_comm_faults_total{comm="shserve"}')
	p_new=$(names_series "$addr" 'mmtrace_locks_comm_faults_total{comm="renamedsrv"}')
	kill -TERM "$sv"
	wait_for "$sv" 30
	kill -USR1 "$wl"
	wait_for "$wl" "$LIMIT"
	[ "$f_old" = 2 ] && [ "$f_new" = 2 ]
	verdict "$name: forks{comm=shserve} 2, forks{comm=renamedsrv} 2" $? \
		"got $f_old and $f_new"
	# Faults: at least each name's 64. Not exact here: after a fork the
	# kernel writes to the parent's COW pages (getrusage()'s result), and
	# getrusage() counts those faults of kernel mode, page_fault_user not.
	[ "${p_old%.*}" -ge 64 ] 2>/dev/null && [ "${p_new%.*}" -ge 64 ] 2>/dev/null
	verdict "$name: faults{comm=shserve} and {comm=renamedsrv} at least 64 each" $? \
		"got $p_old and $p_new"
}

host_names() {
	local t
	ln -sf "$(realpath "$EXECNAME")" "$TMP/renamed"
	ln -sf "$(realpath "$EXECNAME")" "$TMP/renamedsrv"

	t="host names fork exec"
	names_command "$t" fork "" "$EXECNAME" --name shlike --forks 2 \
		--quiet-ms 0 --exec "$TMP/renamed" &&
		names_check exec "$TMP/$t.rep" "$TMP/$t.truth" fork "$t"
	t="host names fork exec -i 1"
	names_command "$t" fork "-i 1" "$EXECNAME" --name shlike --forks 2 \
		--quiet-ms 2500 --exec "$TMP/renamed" &&
		names_check exec "$TMP/$t.rep" "$TMP/$t.truth" fork "$t" \
			--intervals
	t="host names fork exec from a thread"
	names_command "$t" fork "" "$EXECNAME" --name shlike --forks 2 \
		--quiet-ms 0 --from-thread --exec "$TMP/renamed" &&
		names_check exec "$TMP/$t.rep" "$TMP/$t.truth" fork "$t"
	t="host names fork threads"
	names_follow "$t" fork "-p" "$THREADNAME" &&
		names_check thread "$TMP/$t.rep" "$TMP/$t.truth" fork "$t" \
			--threads 1
	t="host names fork --comm"
	names_follow "$t" fork "--comm mainprocc" "$THREADNAME" \
		--name mainprocc &&
		names_check thread "$TMP/$t.rep" "$TMP/$t.truth" fork "$t" \
			--threads 1

	t="host names locks exec -i 1"
	names_follow "$t" locks "-p -i 1" "$EXECNAME" --name shlike \
		--faults 64 --quiet-ms 2500 --exec "$TMP/renamed" &&
		names_check exec "$TMP/$t.rep" "$TMP/$t.truth" locks "$t" \
			--intervals
	t="host names locks exec from a thread -i 1"
	names_follow "$t" locks "-p -i 1" "$EXECNAME" --name shlike \
		--faults 64 --quiet-ms 2500 --from-thread --exec "$TMP/renamed" &&
		names_check exec "$TMP/$t.rep" "$TMP/$t.truth" locks "$t" \
			--intervals
	t="host names locks threads"
	names_follow "$t" locks "-p" "$THREADNAME" --faults 64 &&
		names_check thread "$TMP/$t.rep" "$TMP/$t.truth" locks "$t"
	t="host names locks prctl"
	names_follow "$t" locks "-p" "$THREADNAME" --faults 64 --late-name &&
		names_check thread "$TMP/$t.rep" "$TMP/$t.truth" locks "$t"
	names_serve
}
