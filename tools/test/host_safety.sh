# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# "Operating safely" on hostile ground: a reader that stops reading,
# process names with control characters, hybrid cgroup hosts, debugfs,
# hidden kallsyms. Sourced by run.sh (host_safety); helpers in lib.sh.

# safety_in_mount_ns SCRIPT: SCRIPT (sh) in a new, private mount namespace.
safety_in_mount_ns() {
	bounded unshare --mount --propagation private sh -c "$1"
}

# stalled_stop VIEW SIG WHERE WORKLOAD ARGS...: mmtrace VIEW --events
# writes to a FIFO (stdout, or -o FIFO) whose reader lives but never
# reads, while WORKLOAD fills the pipe. SIG must stop it at once: exit 0
# within the grace, every program gone, the dropped output said.
stalled_stop() {
	local view=$1 sig=$2 where=$3 wl=stall$$ rc ids left ms t0 reader
	local name="host safety: $view --events, reader stalled ($where), SIG$sig"
	local fifo=$TMP/stall.fifo err=$TMP/stall.err
	shift 3
	rm -f "$fifo"
	mkfifo "$fifo"
	cp "$WORKLOADS/$1" "$TMP/$wl"
	shift
	: >"$err"
	# The reader: open, alive, never reading.
	# shellcheck disable=SC2217
	sleep 1000 <"$fifo" &
	reader=$!
	if [ "$where" = stdout ]; then
		"$MMTRACE" "$view" --tier "$HOST_TIER" --events --comm "$wl" \
			>"$fifo" 2>"$err" &
	elif [ "$where" = "stdout 2>&1" ]; then
		# The banner goes to the FIFO too: attached once it holds links.
		"$MMTRACE" "$view" --tier "$HOST_TIER" --events --comm "$wl" \
			>"$fifo" 2>&1 &
		tracer_pid=$!
		for _ in $(seq 100); do
			[ -n "$(held_prog_ids "$tracer_pid")" ] && break
			sleep 0.1
		done
		echo 'Ctrl-C to stop (in the FIFO)' >"$err"
	else
		"$MMTRACE" "$view" --tier "$HOST_TIER" --events --comm "$wl" \
			-o "$fifo" 2>"$err" &
	fi
	tracer_pid=$!
	if ! wait_line "$err" 'Ctrl-C to stop' "$tracer_pid"; then
		fail "$name" "did not attach: $(head -c 300 "$err")"
		kill -KILL "$tracer_pid" "$reader" 2>/dev/null
		return
	fi
	bounded "$TMP/$wl" "$@" >/dev/null 2>&1
	ids=$(held_prog_ids "$tracer_pid")
	t0=$(date +%s%N)
	kill -"$sig" "$tracer_pid"
	wait_for "$tracer_pid" 10
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	# Detach (about 0.5 s of the kernel's) and the report's 1 s grace.
	[ "$rc" = 0 ] && [ "$ms" -lt 3000 ]
	verdict "$name: exits at once" $? \
		"$(status $rc) after $ms ms: $(head -c 300 "$err")"
	if [ "$where" != "stdout 2>&1" ]; then
		grep -q 'output stalled: the reader did not take [1-9][0-9]* bytes' "$err"
		verdict "$name: says what it dropped" $? "$(tail -c 300 "$err")"
	fi
	left=$(progs_left "$ids")
	[ -n "$ids" ] && [ -z "$left" ]
	verdict "$name: no program left" $? "held '$ids', left '$left'"
}

safety_stalled() {
	stalled_stop fork INT stdout forkmix 2000 0 0
	stalled_stop fork TERM "-o FIFO" forkmix 2000 0 0
	stalled_stop locks TERM stdout mmapstorm --threads 2
	stalled_stop locks INT "-o FIFO" mmapstorm --threads 2
	# Messages to the same stalled reader do not hold the stop up either.
	stalled_stop fork INT "stdout 2>&1" forkmix 2000 0 0
}

# The issue's name: quote, backslash, newline, tab, ESC [31m. The kernel
# keeps 15 bytes of a comm, all of these; exec names a process after its
# file as PR_SET_NAME would.
ODD_NAME=$'a"b\\c\nd\te\x1b[31mR'
ODD_TEXT='a"b\\c\nd\te\x1b[31mR'

# no_raw_controls FILE: nothing but newlines below 0x20, and no DEL.
no_raw_controls() {
	! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"
}

# odd_text NAME VIEW PATTERN ARGS...: text output of mmtrace VIEW around
# the odd-named forkmix: escaped, one record a line, PATTERN there.
odd_text() {
	local name="host safety: text $1" view=$2 pattern=$3 rc out
	shift 3
	out=$TMP/odd.$view.out
	bounded "$MMTRACE" "$view" --tier "$HOST_TIER" "$@" -- \
		"$TMP/$ODD_NAME" 3 0 0 >"$out" 2>"$TMP/odd.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "mmtrace $(status $rc): $(head -c 300 "$TMP/odd.err")"
		return
	fi
	no_raw_controls "$out" && LC_ALL=C grep -qE -- "$pattern" "$out"
	verdict "$name: escaped, one line" $? "$(LC_ALL=C grep -F 'a"b' "$out" |
		od -c | head -n 5)"
}

# JSON keeps its own escaping: the name comes back exact.
odd_json() {
	local name="host safety: JSON keeps the name" rc
	bounded "$MMTRACE" fork --json --events --tier "$HOST_TIER" -- \
		"$TMP/$ODD_NAME" 3 0 0 >"$TMP/odd.json" 2>"$TMP/odd.err"
	rc=$?
	[ "$rc" = 0 ] && python3 -c 'import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = sys.argv[2]
events = [l for l in lines if "event" in l]
rows = lines[-1]["processes"]
ok = len(events) == 3 and all(e["comm"] == want for e in events)
ok = ok and [r["comm"] for r in rows] == [want] and rows[0]["forks"] == 3
sys.exit(0 if ok else 1)' "$TMP/odd.json" "$ODD_NAME"
	verdict "$name" $? "$(status $rc): $(head -c 400 "$TMP/odd.json")"
}

# Messages that quote a COMMAND or an argument escape it too.
odd_messages() {
	local name="host safety: messages escaped" rc ok=0
	cp /bin/false "$TMP/$ODD_NAME.f"
	bounded "$MMTRACE" fork --tier "$HOST_TIER" -- "$TMP/$ODD_NAME.f" \
		>/dev/null 2>"$TMP/oddmsg.err"
	rc=$?
	[ "$rc" = 1 ] && no_raw_controls "$TMP/oddmsg.err" &&
		grep -qF "$ODD_TEXT.f exited with status 1" "$TMP/oddmsg.err" ||
		ok=1
	bounded "$MMTRACE" fork -- "$TMP/$ODD_NAME.none" 2>>"$TMP/oddmsg.err"
	[ "$?" = 127 ] && grep -qF "cannot run $TMP/$ODD_TEXT.none: No such" \
		"$TMP/oddmsg.err" || ok=1
	"$MMTRACE" probes "$ODD_NAME" 2>>"$TMP/oddmsg.err"
	[ "$?" = 2 ] && grep -qF "unknown argument '$ODD_TEXT'" \
		"$TMP/oddmsg.err" || ok=1
	"$MMTRACE" fork --cgroup "$TMP/$ODD_NAME" 2>>"$TMP/oddmsg.err"
	no_raw_controls "$TMP/oddmsg.err" || ok=1
	verdict "$name" "$ok" "$(od -c "$TMP/oddmsg.err" | head -n 20)"
}

safety_odd_names() {
	local re
	# shellcheck disable=SC2001 # one sed for a whole set of characters
	re=$(sed 's/[][\\.*^$+?(){}|]/\\&/g' <<<"$ODD_TEXT")
	cp "$WORKLOADS/forkmix" "$TMP/$ODD_NAME"
	odd_text "fork table" fork "^[0-9]+ +$re +3 "
	odd_text "fork events" fork \
		"^[0-9:.]+ fork pid [0-9]+ comm $re latency" --events
	odd_text "locks table" locks "^[0-9]+ +$re +[0-9]+ "
	odd_json
	odd_messages
}

# cgroup_says NAME EXPECT ARGS...: mmtrace fork ARGS exits 2 with one
# line on stderr that contains EXPECT.
cgroup_says() {
	local name="host safety: --cgroup, $1" expect=$2 rc
	shift 2
	"$@" >/dev/null 2>"$TMP/cg.err"
	rc=$?
	[ "$rc" = 2 ] && [ "$(wc -l <"$TMP/cg.err")" = 1 ] &&
		grep -qF -- "$expect" "$TMP/cg.err"
	verdict "$name" $? "$(status $rc): $(head -c 400 "$TMP/cg.err")"
}

# A hybrid host (v1 controllers in /sys/fs/cgroup, v2 beside them): the
# error names the v2 mount that exists, and the directory that mirrors
# the one given when there is one; with no v2 mounted, how to mount it.
safety_cgroup_hint() {
	local v1 v2 dir=mmtrace-hint.$$
	v2=$(cgroup2_root)
	v1=$(awk '$3 == "cgroup" { print $2; exit }' /proc/self/mounts)
	if [ -z "$v1" ] || [ -z "$v2" ]; then
		skip "host safety: --cgroup hints" "not a hybrid cgroup host"
		return
	fi
	mkdir -p "$v1/$dir" "$v2/$dir"
	cgroup_says "v1 directory" \
		"'$v1/$dir': not a cgroup v2 directory: it is in the cgroup v1 hierarchy at $v1; cgroup v2 is mounted at $v2: try $v2/$dir" \
		"$MMTRACE" fork --cgroup "$v1/$dir"
	rmdir "$v2/$dir"
	cgroup_says "v1 directory, none mirrored" \
		"hierarchy at $v1; cgroup v2 is mounted at $v2" \
		"$MMTRACE" fork --cgroup "$v1/$dir"
	! grep -q 'try' "$TMP/cg.err"
	verdict "host safety: --cgroup, no mirror, no try" $? \
		"$(cat "$TMP/cg.err")"
	rmdir "$v1/$dir"
	cgroup_says "missing directory" \
		"No such file or directory: cgroup v2 is mounted at $v2" \
		"$MMTRACE" fork --cgroup "/sys/fs/cgroup/$dir"
	cgroup_says "no cgroup v2 mounted" \
		"no cgroup v2 is mounted here: mount one with 'mount -t cgroup2 none" \
		safety_in_mount_ns "for m in \$(awk '\$3 == \"cgroup2\" { print \$2 }' \
			/proc/self/mounts); do umount \$m || exit 3; done
			exec $MMTRACE fork --cgroup $v1"
}

# With debugfs mounted, looking under /sys/kernel/debug/tracing mounts
# tracefs there: mmtrace and libbpf must not look. The numbers stay exact
# and the mount table stays as it was, or grows by the one mount mmtrace
# announces when no tracefs was mounted.
safety_tracefs() {
	local name="host safety: tracefs with debugfs mounted" rc
	local pf=$WORKLOADS/pinfork prep
	prep="for m in \$(awk '\$3 == \"tracefs\" { print \$2 }' /proc/mounts |
			sort -r); do umount \$m || exit 3; done
		mountpoint -q /sys/kernel/debug ||
			mount -t debugfs none /sys/kernel/debug || exit 3"
	safety_in_mount_ns "$prep
		mount -t tracefs none /sys/kernel/tracing || exit 3
		before=\$(cat /proc/self/mountinfo | wc -l)
		$MMTRACE probes >/dev/null 2>&1 || exit 4
		$MMTRACE fork --json --tier $HOST_TIER -o $TMP/tfs.rep \
			-- $pf --pages 8 --forks 2 || exit 4
		[ \$(cat /proc/self/mountinfo | wc -l) = \$before ] || {
			grep tracefs /proc/self/mountinfo >&2; exit 5; }" \
		>"$TMP/tfs.truth" 2>"$TMP/tfs.err"
	rc=$?
	verdict "$name: no mount left behind" "$rc" \
		"$(status $rc): $(grep -v warning "$TMP/tfs.err" | head -c 400)"
	[ "$rc" = 0 ] && check_with "$name" oracle fork "$TMP/tfs.rep" \
		"$TMP/tfs.truth" --name "$name" --tier "$HOST_TIER"
	name="host safety: tracefs not mounted, debugfs mounted"
	safety_in_mount_ns "$prep
		$MMTRACE fork -d 1 >/dev/null || exit 4
		grep tracefs /proc/self/mountinfo >&2" 2>"$TMP/tfs2.err"
	rc=$?
	[ "$rc" = 0 ] &&
		grep -q 'mmtrace: mounted tracefs on /sys/kernel/tracing' \
			"$TMP/tfs2.err" &&
		[ "$(grep -c ' - tracefs ' "$TMP/tfs2.err")" = 1 ] &&
		grep -q ' /sys/kernel/tracing .* - tracefs ' "$TMP/tfs2.err"
	verdict "$name: the one mount it announces" $? \
		"$(status $rc): $(grep -v warning "$TMP/tfs2.err" | head -c 400)"
}

# hidden_run NAME VIEW ARGS...: mmtrace VIEW --events ARGS around a small
# forkmix, with /proc/kallsyms showing zeros as under kptr_restrict=2 (a
# bind mount in a private namespace: the host's stays readable).
hidden_run() {
	local name=$1 view=$2 rc
	shift 2
	safety_in_mount_ns "mount --bind $TMP/kallsyms.hidden /proc/kallsyms &&
		exec $MMTRACE $view --tier $HOST_TIER --events $* -- \
			$WORKLOADS/forkmix 3 0 0" >"$TMP/hid.out" 2>"$TMP/hid.err"
	rc=$?
	[ "$rc" = 0 ] &&
		[ "$(grep -c 'hides kernel addresses' "$TMP/hid.err")" = 1 ]
	verdict "$name: said once" $? "$(status $rc): $(head -c 400 "$TMP/hid.err")"
}

# raw_stacks FILE: text events, each with a stack of raw addresses only
# (the lines under an event line, up to the next unindented one).
raw_stacks() {
	awk '/^[0-9][0-9:.]* [a-z_]+ pid / { ev++; in_stack = 1; next }
		in_stack && /^    / { frames++; if ($0 !~ /^    0x[0-9a-f]+$/) bad++; next }
		{ in_stack = 0 }
		END { exit !(ev && frames && !bad) }' "$1"
}

# Hidden kernel addresses: one warning for the whole program, and every
# frame a raw address, in text and JSON, in every view with stacks. (gup's
# callers are only observable at the fentry tier: the VM tests them.)
safety_hidden_kallsyms() {
	local name
	if ! sed 's/^[0-9a-f]*/0000000000000000/' /proc/kallsyms \
		>"$TMP/kallsyms.hidden"; then
		fail "host safety: hidden kallsyms" "cannot read /proc/kallsyms"
		return
	fi
	# --stacks: fork's events take none by default.
	for view in fork locks; do
		name="host safety: hidden kallsyms, $view --events text"
		hidden_run "$name" "$view" --stacks
		raw_stacks "$TMP/hid.out"
		verdict "$name: raw frames" $? "$(grep -m 3 '^    ' "$TMP/hid.out")"
		name="host safety: hidden kallsyms, $view --events JSON"
		hidden_run "$name" "$view" --stacks --json
		python3 -c 'import json, re, sys
ev = [e for e in map(json.loads, open(sys.argv[1])) if "event" in e]
ok = ev and all(e["stack"] and all(re.fullmatch("0x[0-9a-f]+", f)
                                   for f in e["stack"]) for e in ev)
sys.exit(0 if ok else 1)' "$TMP/hid.out"
		verdict "$name: raw frames" $? "$(grep -m 1 '"event"' "$TMP/hid.out")"
	done
}

host_safety() {
	# MMTRACE_SAFETY_ONLY=safety_tracefs runs one group, for development.
	if [ -n "${MMTRACE_SAFETY_ONLY:-}" ]; then
		"$MMTRACE_SAFETY_ONLY"
		return
	fi
	safety_stalled
	safety_odd_names
	safety_cgroup_hint
	safety_tracefs
	safety_hidden_kallsyms
	safety_hidden_callers
	safety_missed_free
}

# A followed process whose sched_process_free the BPF side missed (a
# recursion miss, a busy hash bucket): made by hand, a dead pid put in the
# traced map and counted. The run still ends with the last live process
# it follows, with its report.
safety_missed_free() {
	local name="host safety: a missed sched_process_free" tracer rc
	local traced data dead value
	true &
	dead=$!
	wait "$dead"
	"$MMTRACE" fork --tier "$HOST_TIER" --json -o "$TMP/mf.rep" -- \
		sleep 3 2>"$TMP/mf.err" &
	tracer=$!
	wait_line "$TMP/mf.err" 'Ctrl-C to stop' "$tracer"
	traced=$(held_map traced "$tracer")
	data=$(held_map .data.tasks "$tracer")
	# struct task_state: pidns_addr, pidns_level, seeded, traced (s64),
	# then more: traced is at bytes 16-23.
	value=$(bpftool -j map lookup id "$data" key 0 0 0 0 | python3 -c '
import json, struct, sys
v = bytearray(int(b, 16) for b in json.load(sys.stdin)["value"])
n, = struct.unpack_from("<q", v, 16)
struct.pack_into("<q", v, 16, n + 1)
print(" ".join(str(b) for b in v))')
	# shellcheck disable=SC2086
	bpftool map update id "$traced" key $(le32 "$dead") value 1 0 0 0 &&
		bpftool map update id "$data" key 0 0 0 0 value $value
	verdict "$name: a dead pid followed" $? "maps $traced $data"
	wait_for "$tracer" 15
	rc=$?
	verdict "$name: the run ends with COMMAND" "$rc" \
		"$(status $rc): $(head -c 300 "$TMP/mf.err")"
	grep -q '"forks"' "$TMP/mf.rep"
	verdict "$name: the final report" $? "$(head -c 200 "$TMP/mf.rep")"
}

# le32 N: N as four little-endian bytes, for bpftool.
le32() {
	printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

# Hidden kernel addresses and contention by caller: no caller is named
# (null, raw stacks), one warning, and the rows still add up to the
# mmap_lock contention.
safety_hidden_callers() {
	local name="host safety: hidden kallsyms, locks callers" rc
	[ -s "$TMP/kallsyms.hidden" ] ||
		sed 's/^[0-9a-f]*/0000000000000000/' /proc/kallsyms \
			>"$TMP/kallsyms.hidden" || return
	safety_in_mount_ns "mount --bind $TMP/kallsyms.hidden /proc/kallsyms &&
		exec $MMTRACE locks --tier $HOST_TIER --json -- \
			$WORKLOADS/mmapstorm --threads 4 --count 2000" \
		>"$TMP/hidc.out" 2>"$TMP/hidc.err"
	rc=$?
	[ "$rc" = 0 ] &&
		[ "$(grep -c 'hides kernel addresses' "$TMP/hidc.err")" = 1 ]
	verdict "$name: said once" $? "$(status $rc): $(head -c 400 "$TMP/hidc.err")"
	python3 -c 'import json, re, sys
r = [json.loads(l) for l in open(sys.argv[1]) if "\"final\"" in l][-1]
rows = [c for c in r["contention_by_caller"] if c["lock"] == "mmap_lock"]
raw = all(c["caller"] is None and c["stack"] and
          all(re.fullmatch("0x[0-9a-f]+", f) for f in c["stack"])
          for c in r["contention_by_caller"])
total = sum(c["contended"] for c in rows)
sys.exit(0 if rows and raw and total == r["totals"]["mmap_contended"] else 1)' \
		"$TMP/hidc.out"
	verdict "$name: null callers, raw stacks, rows add up" $? \
		"$(grep -o '"contention_by_caller":.\{0,300\}' "$TMP/hidc.out")"
}
