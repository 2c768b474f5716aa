#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs first inside a test VM (busybox), before every guest_<view>.sh.
# Each output line is tagged "MMT|case|stream|" so that the host can pick
# them out of the console, whatever the kernel prints in between; the
# vm_<view>.py checkers read them.

tag() {
	sed "s/^/MMT|$1|$2|/" "$3"
}

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
