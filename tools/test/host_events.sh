# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of the event stream (--events) of mmtrace fork and locks.
# Sourced by run.sh, which calls host_events; helpers are in lib.sh, the
# mmapstorm run in host_locks.sh, the checks in oracle_events.py.

events_oracle() { bounded python3 tools/test/oracle_events.py "$@"; }

# events_fork NAME ORACLE_ARGS -- TRACER_ARGS -- COMMAND...: mmtrace fork
# --events around COMMAND, then the oracle on its stream and report.
events_fork() {
	local name="host events $1" rc oargs=() targs=()
	shift
	while [ "$1" != -- ]; do oargs+=("$1"); shift; done
	shift
	while [ "$1" != -- ]; do targs+=("$1"); shift; done
	shift
	bounded "$MMTRACE" fork --json --tier "$HOST_TIER" --events \
		"${targs[@]}" -o "$TMP/ev.rep" -- "$@" \
		>"$TMP/ev.truth" 2>"$TMP/ev.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "mmtrace $(status $rc): $(head -c 500 "$TMP/ev.err")"
		return
	fi
	check_with "$name" events_oracle fork "$TMP/ev.rep" "$TMP/ev.truth" \
		--name "$name" "${oargs[@]}"
}

# Root reads kallsyms addresses unless kptr_restrict is 2: then frames
# stay raw, and mmtrace must say so.
kallsyms_readable() {
	awk '{ exit ($1 ~ /^0+$/) }' /proc/kallsyms
}

# A stream stopped from reading: the 4 KB ring holds a few events, and
# every other one must be counted as dropped, never lost silently.
events_drops() {
	local name="host events drops" wl=evdrop$$ rc
	cp "$WORKLOADS/forkmix" "$TMP/$wl"
	if ! start_tracer fork "$TMP/drop.rep" --tier "$HOST_TIER" \
		--comm "$wl" --events --events-buffer 4; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/drop.rep.err")"
		return
	fi
	# Stopped, the tracer reads nothing while the forks run: a
	# consumer that cannot keep up, without depending on timing.
	kill -STOP "$tracer_pid"
	bounded "$TMP/$wl" 2000 0 0 >"$TMP/drop.truth" 2>"$TMP/drop.werr"
	rc=$?
	kill -CONT "$tracer_pid"
	stop_tracer "$name" INT || return
	if [ "$rc" != 0 ]; then
		fail "$name" "$wl $(status $rc): $(head -c 300 "$TMP/drop.werr")"
		return
	fi
	check_with "$name" events_oracle drops "$TMP/drop.rep" \
		--name "$name" --forks 2000 --expect-drops
}

# A record does not wake the reader (bpf/events.bpf.h): that wake-up, and
# the reader printing on the traced task's CPU, cost the traced task tens
# of us per event (issue 13). The reader reads on a timer instead, so a
# lone event is still printed while tracing goes on, and 400 forks wake
# it a few times, not once per fork.
events_wakeups() {
	local name="host events reader wake-ups" wl=evwake$$ rc n
	local inst=/sys/kernel/tracing/instances/mmtrace-test-$$
	cp "$WORKLOADS/forkmix" "$TMP/$wl"
	if ! start_tracer fork "$TMP/wake.rep" --tier "$HOST_TIER" \
		--comm "$wl" --events; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/wake.rep.err")"
		return
	fi
	bounded "$TMP/$wl" 1 0 0 >/dev/null
	sleep 1
	n=$(grep -c '"event"' "$TMP/wake.rep")
	verdict "$name: a lone event is printed within a second" \
		"$([ "$n" = 1 ]; echo $?)" "$n events printed"
	if ! mkdir "$inst"; then
		fail "$name" "cannot create a tracefs instance"
		stop_tracer "$name" INT
		return
	fi
	echo "pid == $tracer_pid" >"$inst/events/sched/sched_wakeup/filter"
	echo 1 >"$inst/events/sched/sched_wakeup/enable"
	bounded "$TMP/$wl" 400 0 0 >/dev/null 2>"$TMP/wake.werr"
	rc=$?
	echo 0 >"$inst/events/sched/sched_wakeup/enable"
	n=$(grep -c 'sched_wakeup:' "$inst/trace")
	rmdir "$inst"
	stop_tracer "$name" INT || return
	if [ "$rc" != 0 ]; then
		fail "$name" "$wl $(status $rc): $(head -c 300 "$TMP/wake.werr")"
		return
	fi
	verdict "$name: 400 printed forks woke the reader $n times (<= 40)" \
		"$([ "$n" -le 40 ]; echo $?)" "once per event or so"
	check_with "$name" events_oracle drops "$TMP/wake.rep" \
		--name "$name" --forks 401 --expect-no-drops
}

# Every mmap_lock wait and contended wait of a 4-thread storm, as the
# report counts them; the ring is big enough for all of them.
events_locks() {
	local name="host events locks"
	storm_traced "$name" 4 2000 --events --events-buffer 65536 || return
	check_with "$name" events_oracle locks "$TMP/$name.rep" --name "$name"
}

host_events() {
	local sym=()
	kallsyms_readable && sym=(--symbolized)
	events_fork "pinned, --min-copies 64" --events 10 --copies 64 -- \
		--min-copies 64 -- "$WORKLOADS/pinfork" --pages 64 --forks 10
	events_fork "pinned, --min-copies 65" --events 0 -- \
		--min-copies 65 -- "$WORKLOADS/pinfork" --pages 64 --forks 10
	events_fork "pinned, --min-latency 1h or --min-copies 64" --events 10 \
		--copies 64 -- --min-latency 3600000000 --min-copies 64 -- \
		"$WORKLOADS/pinfork" --pages 64 --forks 10
	events_fork "forkmix, no threshold" --events 20 -- \
		-- "$WORKLOADS/forkmix" 20 3 3
	events_fork "forkmix, --stacks" --events 20 --stacks "${sym[@]}" -- \
		--stacks -- "$WORKLOADS/forkmix" 20 3 3
	events_drops
	events_wakeups
	events_locks
}
