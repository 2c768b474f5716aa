#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs first inside a test VM (busybox), before every guest_<view>.sh.
# Each output line is tagged "MMT|case|stream|" so that the host can pick
# them out of the console, whatever the kernel prints in between; the
# vm_<view>.py checkers read them.

tag() {
	sed "s/^/MMT|$1|$2|/" "$3"
}

# How a case waits on a file's text or on a process it told to stop: with
# a bound, so that one stuck process fails its own case and shows where
# it is stuck, instead of taking the guest's whole time (the host's
# run.sh --timeout, which alone bounds commands that end by themselves,
# the workloads and mmtrace's -- COMMAND runs). A file, so
# that scripts a case runs in a shell of their own (guest_pidns.sh) can
# source them too.
cat >/tmp/guest-wait.sh <<'HELPERS'
# until_text FILE TEXT [PID]: until FILE holds TEXT, for about 120 s
# (TCG is slow to load BPF), or until PID, which should write it, is gone.
until_text() {
	local i=0
	while [ $i -lt 1200 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		[ -n "${3:-}" ] && ! alive "$3" && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# alive PID: PID runs (a zombie, exited but not yet waited for, does not).
# Shell builtins only: a wait's 1200 rounds of 0.1 s stay about 120 s.
alive() {
	local key value

	while read -r key value; do
		[ "$key" = State: ] || continue
		[ "${value%% *}" != Z ]
		return
	done 2>/dev/null <"/proc/$1/status"
	return 1
}

# stuck NAME PID WHAT: PID is stuck at WHAT; each of its threads' kernel
# stacks, as "MMT|NAME|hang|" lines (a FAIL of NAME on the host).
stuck() {
	local t

	echo "MMT|$1|hang|pid $2 $3"
	for t in /proc/"$2"/task/*; do
		echo "MMT|$1|hang|thread ${t##*/} $(cat "$t/comm"): $(cat "$t/wchan" 2>/dev/null)"
		sed "s/^/MMT|$1|hang|  /" "$t/stack" 2>/dev/null
	done
}

# gone PID ROUNDS: until PID no longer runs, for ROUNDS of 0.1 s; whether
# it is gone.
gone() {
	local i=0

	while alive "$1" && [ $i -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! alive "$1"
}

# reap NAME PID: waits for PID, a child told to stop, for about 120 s;
# its exit status. One still running then is shown (stuck) and killed;
# one that SIGKILL does not end either (asleep in the kernel) is left
# after 10 s more, with status 125.
reap() {
	if ! gone "$2" 1200; then
		stuck "$1" "$2" "still runs 120 s after it was told to stop"
		kill -KILL "$2"
		if ! gone "$2" 100; then
			stuck "$1" "$2" "still runs 10 s after SIGKILL: left"
			return 125
		fi
	fi
	wait "$2"
}
HELPERS
. /tmp/guest-wait.sh

# run_case VIEW NAME TIER COMMAND...: the workload's truth on stdout,
# mmtrace's report in a file of its own; TIER is the richest tier allowed.
run_case() {
	view=$1
	name=$2
	tier=$3
	shift 3
	mmtrace "$view" --json --tier "$tier" -o "/tmp/$name.rep" -- "$@" \
		>"/tmp/$name.truth" 2>"/tmp/$name.err"
	echo "MMT|$name|rc|$?"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
}

mmtrace probes --json >/tmp/probes.json 2>/tmp/probes.err
echo "MMT|probes|rc|$?"
tag probes json /tmp/probes.json
tag probes stderr /tmp/probes.err
