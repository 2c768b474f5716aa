# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of mmtrace fork, on this machine's kernel. Sourced by run.sh,
# which calls host_fork; helpers are in lib.sh.

PINFORK=$WORKLOADS/pinfork
FORKMIX=$WORKLOADS/forkmix

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

# Noise no filter may count: it pins and forks under a name of its own,
# so a leak would show in the copies too, and forkmix adds vforks and
# threads.
pinning_noise() {
	cp "$PINFORK" "$TMP/pfnoise"
	noise_start "$TMP/pfnoise" --pages 16 --forks 5
	noise_start "$FORKMIX" 5 2 2
}

fork_pid_filter() {
	local name="host -p" wl rc
	# Emptied first: wait_line must not read a line left by the san tier.
	: >"$TMP/pid.start"
	"$PINFORK" --wait-start >"$TMP/pid.truth" 2>>"$TMP/pid.start" </dev/null &
	wl=$!
	# SIGUSR1 before pinfork is ready for it would kill it.
	if ! wait_line "$TMP/pid.start" 'waiting for SIGUSR1' "$wl"; then
		fail "$name" "pinfork not ready: $(cat "$TMP/pid.start")"
		kill -KILL "$wl" 2>/dev/null
		return
	fi
	if ! start_tracer fork "$TMP/pid.rep" --tier "$HOST_TIER" -p "$wl"; then
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

fork_comm_filter() {
	local name="host --comm" rc
	# A name nothing else on the host has: comm is pfcomm<pid>.
	local wl=pfcomm$$
	cp "$PINFORK" "$TMP/$wl"
	if ! start_tracer fork "$TMP/comm.rep" --tier "$HOST_TIER" --comm "$wl"; then
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

fork_filters() {
	pinning_noise
	fork_pid_filter
	fork_comm_filter
	noise_stop "host filters"
}

fork_intervals() {
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

fork_odd_comm() {
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
fork_rows() {
	local name="host rows add up" rc i
	for _ in 1 2 3 4; do
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

# --cgroup names a parent; the workload runs in a child of it, and must
# be counted exactly, while the noise outside must not.
fork_cgroup() {
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
	if ! start_tracer fork "$TMP/cg.rep" --tier "$HOST_TIER" \
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

# mmtrace stopping first (duration, SIGTERM) must kill and reap COMMAND.
fork_command_stop() {
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
	if ! start_tracer fork "$TMP/cmdt.rep" -- sleep "$tag"; then
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
fork_command_status() {
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
fork_command_noexec() {
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
fork_not_root() {
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

# After SIGKILL no program of the tracer may stay loaded: links die with
# the fd. The tracer runs at its richest tier, and its programs are the
# ones its own fds hold, whatever their names.
fork_detach() {
	local name="host SIGKILL" ours all loaded left
	if ! start_tracer fork "$TMP/kill.rep"; then
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
	left=$(progs_left "$ours")
	[ -z "$left" ]
	verdict "$name: its programs ($ours) are gone" $? \
		"programs$left still loaded"
}

fork_bad_input() {
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
fork --min-latency 5
fork --min-copies 1 -- true
fork --events-buffer 64
fork --events --min-latency abc
fork --events --min-latency -1
fork --events --min-copies 99999999999
fork --events --events-buffer 0
fork --events --events-buffer 2000000
locks --events --min-copies 1
hugetlb --events
gup --events --events-buffer 64
probes --bogus
EOF
}

# The tiers, checked against the kernel itself rather than mmtrace's own
# words: syscalls are always tracepoints, and without a kprobe PMU no
# observation may claim kprobes, and each must say they are missing.
fork_probes() {
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
		fork.clones=tracepoint fork.syscalls=tracepoint
	# The always-on counts: the tp_btf plan, not the classic record.
	python3 -c 'import json, sys
o = {o["name"]: o for o in json.load(open(sys.argv[1]))["views"]["fork"]}
p = o["fork.clones"]["points"][0]
sys.exit(not (p["program"] == "fork_clone_btf" and p["kind"] == "tp_btf"
              and not o["fork.clones"]["serve_detail"]
              and o["fork.syscalls"]["serve_detail"]))' "$TMP/probes.json"
	verdict "host probes: fork.clones on tp_btf task_newtask, always on; fork.syscalls detail" \
		$? "$(head -c 300 "$TMP/probes.json")"
	# serve's defaults: counts alone, unfiltered, the unarmed program.
	bounded "$MMTRACE" probes --serve --json fork >"$TMP/probes-serve.json" \
		2>"$TMP/probes.err"
	python3 -c 'import json, sys
o = {o["name"]: o for o in json.load(open(sys.argv[1]))["views"]["fork"]}
cli = {o["name"]: o for o in json.load(open(sys.argv[2]))["views"]["fork"]}
p = o["fork.clones"]["points"][0]
sys.exit(not (p["program"] == "fork_count_btf" and p["kind"] == "tp_btf"
              and o["fork.syscalls"]["tier"] == "none"
              and o["fork.children"]["left_out"].startswith("not needed")
              and cli["fork.children"]["tier"] == "tracepoint"
              and "serve" in cli["fork.clones"]["rejected"][0]["reason"]))' \
		"$TMP/probes-serve.json" "$TMP/probes.json"
	verdict "host probes --serve: fork.clones unarmed (fork_count_btf), detail and fork.children left out; the CLI says why not" \
		$? "$(head -c 300 "$TMP/probes-serve.json") $(head -c 300 "$TMP/probes.err")"
	if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
		check_with "host probes without kprobes" oracle nokprobe \
			"$TMP/probes.json" fork fork.pinned_copies
	fi
}

# A process table of 16 and 40 processes that each fork once: exactly 24
# forks find no row, and each one is counted as lost, never dropped.
fork_map_full() {
	local name="host map full" wl=mfull$$ i rc=0
	cp "$FORKMIX" "$TMP/$wl"
	if ! start_tracer fork "$TMP/full.rep" --tier "$HOST_TIER" \
		--comm "$wl" --max-procs 16; then
		fail "$name" "did not attach: $(head -c 300 "$TMP/full.rep.err")"
		return
	fi
	for ((i = 0; i < 40; i++)); do
		bounded "$TMP/$wl" 1 0 0 >/dev/null || rc=1
	done
	stop_tracer "$name" INT || return
	verdict "$name: workloads ran" "$rc" "a forkmix failed"
	check_with "$name" python3 -c 'import json, sys
r = json.loads(open(sys.argv[1]).readlines()[-1])
got = (r["totals"]["forks"], len(r["processes"]), r["lost"]["proc_map_full"])
print(("PASS" if got == (40, 16, 24) else "FAIL") + " host map full: "
      "40 forks, 16 rows, 24 lost: got %s" % (got,))' "$TMP/full.rep"
}

# A short run under valgrind: no invalid access, no leak. The suppressions
# cover only valgrind's model of bpf() (see valgrind.supp).
fork_valgrind() {
	local name="host valgrind" rc
	# ASan and valgrind exclude each other; the plain host tier runs it.
	[ -n "${SANITIZED:-}" ] && return
	if ! command -v valgrind >/dev/null; then
		skip "$name" "valgrind is not installed"
		return
	fi
	bounded valgrind --error-exitcode=9 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--suppressions=tools/test/valgrind.supp \
		"$MMTRACE" fork --tier "$HOST_TIER" --json -o "$TMP/vg.rep" -- \
		"$FORKMIX" 2 1 1 >"$TMP/vg.truth" 2>"$TMP/vg.err"
	rc=$?
	verdict "$name: no memory error, no leak" "$rc" \
		"$(status $rc): $(grep -m 5 -E 'Invalid|uninitialised|lost:|ERROR SUMMARY' "$TMP/vg.err")"
	[ "$rc" = 0 ] && check_with "$name" oracle fork "$TMP/vg.rep" \
		"$TMP/vg.truth" --name "$name" --tier "$HOST_TIER"
}

# Each observation this kernel cannot attach gets one warning, whose reason
# is this kernel's own (what `mmtrace probes` found), not a guess.
fork_warnings() {
	local name="host fork warnings" rc
	# No --tier: the reasons are then the kernel's, as in probes.
	bounded "$MMTRACE" fork -- true >/dev/null 2>"$TMP/fw.err"
	rc=$?
	verdict "$name: exit 0" "$rc" "$(status $rc): $(head -c 300 "$TMP/fw.err")"
	check_with "$name" oracle reasons "$TMP/fw.err" "$TMP/probes.json" fork \
		--name "$name"
}

host_fork() {
	fork_probes
	fork_warnings
	fork_case pin "$PINFORK" --pages 64 --forks 10
	fork_case pin_big "$PINFORK" --pages 1000 --forks 3
	fork_case dontfork "$PINFORK" --mode dontfork
	fork_case nopin "$PINFORK" --mode nopin
	fork_case thp "$PINFORK" --thp --pages 2 --forks 3
	fork_case mix "$FORKMIX" 3 4 5
	fork_filters
	fork_intervals
	fork_odd_comm
	fork_rows
	fork_map_full
	fork_valgrind
	fork_cgroup
	fork_command_stop
	fork_command_status
	fork_command_noexec
	fork_not_root
	fork_detach
	fork_bad_input
}
