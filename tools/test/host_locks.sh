# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of mmtrace locks, on this machine's kernel. Sourced by run.sh,
# which calls host_locks; helpers are in lib.sh. The checks are in
# vm_locks.py (check_numbers), shared with the VM tests.

MMAPSTORM=$WORKLOADS/mmapstorm

# locks_storm NAME THREADS COUNT [TRACER_ARGS...]: the tracer follows
# mmapstorm with -p from before its storm until after it printed its truth,
# so that both count the same events; the process exits only after the
# tracer stopped.
locks_storm() {
	local name=$1 threads=$2
	storm_traced "$@" || return
	check_with "$name" oracle locks "$TMP/$name.rep" "$TMP/$name.truth" \
		--name "$name" --threads "$threads" \
		--expect-tiers "locks.mmap_lock=tracepoint,locks.contention=tracepoint,locks.vma_faults=tracepoint"
}

# storm_traced NAME THREADS COUNT [TRACER_ARGS...]: the run alone, its
# report in $TMP/NAME.rep and truth in $TMP/NAME.truth; 0 if both are.
storm_traced() {
	local name=$1 threads=$2 count=$3
	shift 3
	follow_waiting "$name" 0 "$MMAPSTORM" --wait-start --threads "$threads" \
		--count "$count" -- locks --tier "$HOST_TIER" -p "$@" || return 1
	if [ "$WL_RC" != 0 ]; then
		fail "$name" "mmapstorm $(status "$WL_RC"): $(cat "$TMP/$name.wl")"
		return 1
	fi
}

# The locks view's tiers on this host: tracepoints for all, and the fentry
# plan of VMA-lock faults says why it was refused.
locks_probes() {
	local name="host locks probes"
	# Its exit status speaks for every view; this test is about one.
	bounded "$MMTRACE" probes --json >"$TMP/locks.probes" \
		2>"$TMP/locks.probes.err"
	if [ ! -s "$TMP/locks.probes" ]; then
		fail "$name" "mmtrace probes printed nothing: $(head -c 300 "$TMP/locks.probes.err")"
		return
	fi
	check_with "$name" oracle tiers "$TMP/locks.probes" locks \
		locks.exits=tracepoint locks.mmap_lock=tracepoint \
		locks.contention=tracepoint locks.vma_faults=tracepoint \
		locks.vma_write=none
}

host_locks() {
	locks_probes
	locks_storm "host locks 4 threads" 4 2000
	locks_storm "host locks 1 thread" 1 2000
	locks_vmafault
	locks_intervals
	locks_boundary exit
	locks_boundary end
	locks_thread_state
	locks_owner
	locks_callers_text
}

# tools/lockhold: one thread holds mmap_lock for writing (mprotect of a
# populated mapping) while three fault behind it; the waits whose holder
# the kernel records are charged to that thread (vm_locks.check_owners).
locks_owner() {
	local name="host locks owner"
	follow_waiting "$name" 0 "$WORKLOADS/lockhold" --wait-start -- \
		locks --tier "$HOST_TIER" -p || return
	if [ "$WL_RC" != 0 ]; then
		fail "$name" "lockhold $(status "$WL_RC"): $(cat "$TMP/$name.wl")"
		return
	fi
	check_with "$name" oracle owners "$TMP/$name.rep" "$TMP/$name.truth" \
		--name "$name"
	# Another process's mmap_lock: lockhold's child reads its
	# /proc/PID/cmdline meanwhile (a COMMAND, so that the child is
	# followed).
	name="host locks owner, other mm"
	bounded "$MMTRACE" locks --tier "$HOST_TIER" --json \
		-o "$TMP/other.rep" -- "$WORKLOADS/lockhold" --peeker \
		>"$TMP/other.truth" 2>"$TMP/other.err"
	verdict "$name: exit 0" $? "$(head -c 300 "$TMP/other.err")"
	check_with "$name" oracle owners "$TMP/other.rep" "$TMP/other.truth" \
		--name "$name"
}

# The text report: the caller table has perf lock contention's columns,
# a named caller, and -L filters it (a name matching nothing: no table).
locks_callers_text() {
	local name="host locks callers text" out
	out=$TMP/callers.txt
	bounded "$MMTRACE" locks --tier "$HOST_TIER" -L mmap_lock -- \
		"$MMAPSTORM" --threads 4 --count 2000 >"$out" 2>"$out.err"
	grep -Eq '^ +contended +total wait +max wait +avg wait +type +caller$' \
		"$out"
	verdict "$name: perf's columns" $? "$(head -c 300 "$out.err")"
	grep -Eq '^ +[0-9]+ +[0-9]+ us +[0-9]+ us +[0-9]+ us +rwsem:[RW] +(vm_mmap_pgoff|__vm_munmap|lock_mm_and_find_vma|[a-z_]+) +\[mmap_lock\]$' \
		"$out"
	verdict "$name: mmap_lock rows with a named caller" $? \
		"$(grep -A4 ' caller$' "$out")"
	bounded "$MMTRACE" locks --tier "$HOST_TIER" -L no_such_lock -- \
		"$MMAPSTORM" --threads 4 --count 2000 >"$out" 2>"$out.err"
	! grep -q ' caller$' "$out" && grep -q '^contended  mmap_lock [1-9]' "$out"
	verdict "$name: -L no_such_lock keeps no caller row" $? \
		"$(grep -A4 ' caller$' "$out")"
}

# Faults that leave the VMA lock for known reasons (tools/vmafault.c): at
# this host's tracepoint tier the sum is exact and the causes are null.
locks_vmafault() {
	local name="host locks vmafault"
	follow_waiting "$name" 0 "$WORKLOADS/vmafault" --wait-start \
		--aborts 24 --access-errors 8 --retries 16 -- \
		locks --tier "$HOST_TIER" -p || return
	if [ "$WL_RC" != 0 ]; then
		fail "$name" "vmafault $(status "$WL_RC"): $(cat "$TMP/$name.wl")"
		return
	fi
	check_with "$name" oracle vmafault "$TMP/$name.rep" \
		"$TMP/$name.truth" --name "$name"
}

# Each way mmtrace keeps a thread's mmap_lock state (bpf/thread.bpf.h):
# task-local storage here, and the hash by thread id of kernels without
# it. Both count the storm exactly, and every hold that began ends.
locks_thread_state() {
	local name
	for ts in 1 0; do
		name="host locks state $([ $ts = 1 ] && echo task-local || echo by-tid)"
		export MMTRACE_TASK_STORAGE=$ts
		storm_traced "$name" 4 2000
		local rc=$?
		unset MMTRACE_TASK_STORAGE
		[ "$rc" = 0 ] || continue
		check_with "$name" oracle locks "$TMP/$name.rep" \
			"$TMP/$name.truth" --name "$name" --threads 4 --holds
	done
}

# A storm of a few seconds reported every second: the reports add up to
# the same exact numbers.
locks_intervals() {
	local name="host locks -i 1" n
	locks_storm "$name" 4 40000 -i 1
	n=$(wc -l <"$TMP/$name.rep")
	[ "$n" -ge 3 ]
	verdict "$name: $n reports" $? "only $n reports"
}

# minflt PID: the process's minor faults so far (/proc/PID/stat field 10).
minflt() {
	sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f8
}

# A fault in one interval whose outcome is known only later (faultspin
# spins without syscalls after it): every interval report of a tracer with
# -i 1 must be non-negative and unwrapped, and together they must equal the
# report of a tracer without -i that saw the same events. With "exit", the
# process is killed first (the outcome comes at its exit, intervals later);
# with "end", the tracers stop first (the final reports count the fault).
locks_boundary() {
	local how=$1 name="host locks interval boundary, outcome at $1"
	local wl whole iv before after
	: >"$TMP/fs.wl"
	"$WORKLOADS/faultspin" 2>>"$TMP/fs.wl" </dev/null &
	wl=$!
	if ! wait_line "$TMP/fs.wl" ready "$wl"; then
		fail "$name" "faultspin not ready: $(cat "$TMP/fs.wl")"
		kill -KILL "$wl" 2>/dev/null
		return
	fi
	if ! start_tracer locks "$TMP/fs.whole" --tier "$HOST_TIER" -p "$wl"; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/fs.whole.err")"
		kill -KILL "$wl"
		return
	fi
	whole=$tracer_pid
	if ! start_tracer locks "$TMP/fs.iv" --tier "$HOST_TIER" -p "$wl" \
		-i 1; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/fs.iv.err")"
		kill -KILL "$wl" "$whole"
		return
	fi
	iv=$tracer_pid
	before=$(minflt "$wl")
	kill -USR1 "$wl"
	wait_line "$TMP/fs.wl" spinning "$wl"
	# The fault's interval ends, and the next, with its window open.
	sleep 2.5
	after=$(minflt "$wl")
	if [ "$how" = exit ]; then
		kill -KILL "$wl"
		wait "$wl" 2>/dev/null
		sleep 1.5
	fi
	tracer_pid=$iv tracer_out=$TMP/fs.iv
	stop_tracer "$name" INT || { kill -KILL "$whole" "$wl"; return; }
	tracer_pid=$whole tracer_out=$TMP/fs.whole
	stop_tracer "$name" INT || { kill -KILL "$wl"; return; }
	kill -KILL "$wl" 2>/dev/null
	wait "$wl" 2>/dev/null
	check_with "$name" oracle boundary "$TMP/fs.whole" "$TMP/fs.iv" \
		--pid "$wl" --faults $((after - before)) --outcome "$how" \
		--name "$name"
}
