#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside a test VM (busybox): mmtrace probes, then every fork oracle.
# Each output line is tagged "MMT|case|stream|" so that the host can pick
# them out of the console, whatever the kernel prints in between.

tag() {
	sed "s/^/MMT|$1|$2|/" "$3"
}

mmtrace probes --json >/tmp/probes.json 2>/tmp/probes.err
echo "MMT|probes|rc|$?"
tag probes json /tmp/probes.json
tag probes stderr /tmp/probes.err

# run_case NAME TIER COMMAND...: the workload's truth on stdout, mmtrace's
# report in a file of its own; TIER is the richest tier mmtrace may use.
run_case() {
	name=$1
	tier=$2
	shift 2
	mmtrace fork --json --tier "$tier" -o "/tmp/$name.rep" -- "$@" \
		>"/tmp/$name.truth" 2>"/tmp/$name.err"
	echo "MMT|$name|rc|$?"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
}

for tier in fentry kprobe tracepoint; do
	run_case "pin@$tier" $tier pinfork --pages 64 --forks 10
	run_case "dontfork@$tier" $tier pinfork --mode dontfork
	run_case "nopin@$tier" $tier pinfork --mode nopin
	run_case "hugetlb@$tier" $tier pinfork --hugetlb --pages 4 --forks 3
	run_case "thp@$tier" $tier pinfork --thp --pages 2 --forks 3
done
run_case pin_big fentry pinfork --pages 1000 --forks 3
run_case mix fentry forkmix 3 4 5
exit 0
