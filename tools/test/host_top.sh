# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of mmtrace top, used as a person uses it: in an 80x24 tmux
# pane (send-keys to type, capture-pane to read the screen), with
# workloads of names of their own in a cgroup of their own (other tests
# run at the same time); and its plain table, whose counts add up to a
# workload's truth. Sourced by run.sh, which calls host_top.

TOP_SESSION=mmtrace-top-$$

# The screen as the person sees it now.
top_screen() {
	tmux capture-pane -p -t "$TOP_SESSION" 2>/dev/null
}

# top_wait_screen REGEX: until the screen matches (10 s at most).
top_wait_screen() {
	local i
	for ((i = 0; i < 100; i++)); do
		top_screen | grep -q -E -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# The COMM of the first table row (under the PID COMM header).
top_first_row() {
	top_screen | awk 'f && NF { print $2; exit } /^ *PID +COMM/ { f = 1 }'
}

# Every table row's COMM, one per line.
top_row_comms() {
	top_screen | awk '/^ *PID +COMM/ { f = 1; next } f && /^ *[0-9]+ / { print $2 }'
}

# The cell of COLUMN (a header) in the row of COMM.
top_cell() {
	top_screen | awk -v col="$1" -v comm="$2" '
		/^ *PID +COMM/ { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		c && $2 == comm { print $c; exit }'
}

top_tests_screen() {
	local name="host top screen" root pid ids left cell lines width t0 t1
	local limit
	if ! command -v tmux >/dev/null; then
		fail "$name" "tmux is not installed (make deps)"
		return
	fi
	root=$(cgroup2_root)
	CGROUP_DIR=$root/mmtrace-top.$$
	if ! mkdir "$CGROUP_DIR"; then
		fail "$name" "cannot make a test cgroup under $root"
		CGROUP_DIR=""
		return
	fi
	cp "$WORKLOADS/pinfork" "$TMP/topwork"
	cp "$WORKLOADS/mmapstorm" "$TMP/topstorm"
	# About 20 s of each: pinned forks, and mmap_lock traffic.
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --pages 256 --forks 200 --delay-ms 100' \
		sh "$CGROUP_DIR" "$TMP/topwork" >/dev/null 2>&1 &
	local work=$!
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --threads 2 --count 300000' \
		sh "$CGROUP_DIR" "$TMP/topstorm" >/dev/null 2>&1 &
	local storm=$!
	tmux kill-session -t "$TOP_SESSION" 2>/dev/null
	tmux new-session -d -s "$TOP_SESSION" -x 80 -y 24 \
		"exec $MMTRACE top -i 1 --cgroup $CGROUP_DIR 2>$TMP/top.err"
	pid=$(tmux display-message -p -t "$TOP_SESSION" '#{pane_pid}')
	if ! top_wait_screen '^ *[0-9]+ topwork ' ||
	   ! top_wait_screen '^ *[0-9]+ topstorm '; then
		fail "$name" "no rows of the workloads: $(top_screen | head -c 2000) $(head -c 500 "$TMP/top.err")"
		tmux kill-session -t "$TOP_SESSION" 2>/dev/null
		kill "$work" "$storm" 2>/dev/null
		wait "$work" "$storm" 2>/dev/null
		cgroup_remove
		return
	fi
	ids=$(held_prog_ids "$pid")
	top_screen >"$TMP/top.screen1"
	lines=$(wc -l <"$TMP/top.screen1")
	width=$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$TMP/top.screen1")
	verdict "$name: 80x24, nothing past the edge" \
		"$([ "$lines" -le 24 ] && [ "$width" -le 80 ]; echo $?)" \
		"$lines lines, $width columns"
	verdict "$name: header with host totals and tiers" \
		"$(grep -q '^traced: [0-9]* procs  FORK/s' "$TMP/top.screen1" &&
		   grep -q 'tracepoint: fork.clones fork.syscalls fork.pinned_copies locks' "$TMP/top.screen1" &&
		   grep -q 'none: .*hugetlb gup' "$TMP/top.screen1"; echo $?)" \
		"$(head -6 "$TMP/top.screen1")"
	cell=$(top_cell PIN/s topwork)
	verdict "$name: topwork copies pinned pages (PIN/s $cell)" \
		"$(awk -v c="$cell" 'BEGIN { exit !(c + 0 > 0) }'; echo $?)" \
		"$(cat "$TMP/top.screen1")"
	# gup and hugetlb cannot run on this kernel: unavailable, never 0.
	verdict "$name: columns this kernel cannot give show '-'" \
		"$([ "$(top_cell SLOW/s topwork)" = - ] &&
		   [ "$(top_cell PMDms topstorm)" = - ]; echo $?)" \
		"$(cat "$TMP/top.screen1")"
	# Sort: LOST -> FORKms -> FORK/s -> PIN/s, then MMAPms.
	tmux send-keys -t "$TOP_SESSION" '>' '>' '>'
	top_wait_screen 'sort PIN/s' && sleep 0.3
	verdict "$name: sort by PIN/s puts topwork first" \
		"$([ "$(top_first_row)" = topwork ]; echo $?)" \
		"$(top_screen)"
	tmux send-keys -t "$TOP_SESSION" '>'
	top_wait_screen 'sort MMAPms' && sleep 0.3
	verdict "$name: sort by MMAPms puts topstorm first" \
		"$([ "$(top_first_row)" = topstorm ]; echo $?)" \
		"$(top_screen)"
	# The name filter: '/', the name, Enter.
	tmux send-keys -t "$TOP_SESSION" '/'
	top_wait_screen '^name \(Enter'
	tmux send-keys -t "$TOP_SESSION" 'topstorm' Enter
	top_wait_screen 'name topstorm' && sleep 1.2
	verdict "$name: the name filter keeps topstorm alone" \
		"$([ "$(top_row_comms | sort -u)" = topstorm ]; echo $?)" \
		"$(top_screen)"
	# Pause: the rows stay as they were across two intervals.
	tmux send-keys -t "$TOP_SESSION" 'p'
	top_wait_screen 'PAUSED' && sleep 0.2
	top_screen | grep -E '^ *[0-9]+ ' >"$TMP/top.paused1"
	sleep 2.5
	top_screen | grep -E '^ *[0-9]+ ' >"$TMP/top.paused2"
	verdict "$name: pause holds the table" \
		"$(cmp -s "$TMP/top.paused1" "$TMP/top.paused2"; echo $?)" \
		"$(diff "$TMP/top.paused1" "$TMP/top.paused2" | head -5)"
	tmux send-keys -t "$TOP_SESSION" 'i'
	verdict "$name: 'i' changes the interval" \
		"$(top_wait_screen 'every 2s'; echo $?)" "$(top_screen | head -1)"
	# Quit: gone, and nothing of it stays attached. How fast is the
	# bench's business, not a test's (a loaded machine took 2.5 s): the
	# bound only tells a hang from an exit.
	limit=10000
	t0=$(date +%s%N)
	tmux send-keys -t "$TOP_SESSION" 'q'
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	t1=$(date +%s%N)
	verdict "$name: q quits (a hang guard of $limit ms)" \
		"$(! kill -0 "$pid" 2>/dev/null &&
		   [ $(((t1 - t0) / 1000000)) -lt $limit ]; echo $?)" \
		"still running after $(((t1 - t0) / 1000000)) ms"
	left=$(progs_left "$ids")
	verdict "$name: no program left after q (held: $(wc -w <<<"$ids"))" \
		"$([ -n "$ids" ] && [ -z "$left" ]; echo $?)" \
		"held '$ids', left '$left'"
	tmux kill-session -t "$TOP_SESSION" 2>/dev/null
	kill "$work" "$storm" 2>/dev/null
	wait "$work" "$storm" 2>/dev/null
	cgroup_remove
}

# top_plain_start NAME COMM FILE: top with stdout the file FILE, so its
# plain table, of the processes named COMM, every second (its stderr in
# FILE.err), attached; its pid in $tpid. Fails, said, when it did not
# start.
top_plain_start() {
	: >"$3.err"
	"$MMTRACE" top -i 1 --comm "$2" >"$3" 2>>"$3.err" &
	tpid=$!
	wait_line "$3.err" 'Ctrl-C to stop' "$tpid" && return 0
	fail "$1" "did not start: $(head -c 500 "$3.err")"
	kill -KILL "$tpid" 2>/dev/null
	return 1
}

# The plain table, stdout not a terminal: summed over the tables, the
# rows of a pinfork run under a name of its own give its truth exactly.
top_tests_plain() {
	local name="host top plain" tpid wl
	cp "$WORKLOADS/pinfork" "$TMP/topexact"
	top_plain_start "$name" topexact "$TMP/plain.out" || return
	bounded "$TMP/topexact" --pages 64 --forks 10 >"$TMP/plain.truth"
	wl=$?
	sleep 1.5
	kill -INT "$tpid"
	wait_for "$tpid" 10
	verdict "$name: exits 0 on SIGINT" "$?" "$(head -c 300 "$TMP/plain.out.err")"
	if [ "$wl" != 0 ]; then
		fail "$name" "pinfork $(status "$wl")"
		return
	fi
	check_with "$name" python3 tools/test/top_check.py plain \
		"$TMP/plain.out" "$TMP/plain.truth" --name "$name"
	# Options shared with every subcommand, and usage errors.
	"$MMTRACE" top --sort nosuch >/dev/null 2>"$TMP/plain.usage"
	verdict "$name: --sort nosuch exits 2" "$([ $? = 2 ]; echo $?)" \
		"$(cat "$TMP/plain.usage")"
}

# top reads no calling path, so it walks no waiter's stack: before, each
# contention of a traced task paid a kernel stack walk (about 2.4 us) that
# nothing read. The storm's waits must still show in its row.
top_tests_no_paths() {
	local name="host top no paths" tpid id kept cont
	cp "$WORKLOADS/mmapstorm" "$TMP/topstorm"
	top_plain_start "$name" topstorm "$TMP/paths.out" || return
	bounded "$TMP/topstorm" --threads 4 --count 4000 >"$TMP/paths.truth"
	sleep 1.5
	id=$(held_map lock_stacks "$tpid")
	kept=$(bpftool -j map dump id "$id" 2>/dev/null | python3 -c '
import json, sys
print(len(json.load(sys.stdin)))' 2>/dev/null)
	kill -INT "$tpid"
	wait_for "$tpid" 10
	verdict "$name: exits 0 on SIGINT" "$?" "$(head -c 300 "$TMP/paths.out.err")"
	cont=$(awk '/^ *PID +COMM/ { for (i = 1; i <= NF; i++) if ($i == "CONTms") c = i; next }
		c && $2 == "topstorm" { s += $c } END { print s + 0 }' "$TMP/paths.out")
	awk -v c="$cont" 'BEGIN { exit !(c > 0) }'
	verdict "$name: the storm's contention shows in its row (CONTms $cont)" $? \
		"$(head -c 600 "$TMP/paths.out")"
	[ -n "$id" ] && [ "$kept" = 0 ]
	verdict "$name: no waiter's path kept (lock_stacks map $id: ${kept:-?} paths)" $? \
		"top walked the stacks of waits it never shows"
}

host_top() {
	top_tests_screen
	top_tests_plain
	top_tests_no_paths
}
