# SPDX-License-Identifier: GPL-2.0
# The hugetlb oracles, in a test VM; guest-lib.sh runs first (tag).
#
# pmdshare's processes are traced by --comm, with the tracer started
# first and armed ("Ctrl-C to stop") before the workload runs; guest_pidns.sh
# traces them as a COMMAND's children.

# hugetlb_case NAME TIER "MMTRACE OPTIONS" COMMAND...
hugetlb_case() {
	name=$1
	tier=$2
	opts=$3
	shift 3
	# shellcheck disable=SC2086
	mmtrace hugetlb --json --tier "$tier" --comm pmdshare $opts \
		-o "/tmp/$name.rep" 2>"/tmp/$name.err" &
	tracer=$!
	until_text "/tmp/$name.err" 'Ctrl-C to stop' "$tracer"
	"$@" >"/tmp/$name.truth" 2>"/tmp/$name.werr"
	echo "MMT|$name|wrc|$?"
	kill -INT "$tracer"
	reap "$name" "$tracer"
	echo "MMT|$name|rc|$?"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
	tag "$name" werr "/tmp/$name.werr"
}

for tier in fentry kprobe tracepoint; do
	hugetlb_case "hugetlb:share@$tier" $tier "" pmdshare --procs 4 --pages 4
done
hugetlb_case "hugetlb:private@fentry" fentry "" pmdshare --procs 3 --pages 4 \
	--private
# Reports every second while processes come and go: rows are diffed, and
# summed over the reports they must give the same exact numbers.
hugetlb_case "hugetlb:interval@fentry" fentry "-i 1" pmdshare --procs 5 \
	--pages 3 --delay-ms 700
# khugepaged's retraction, driven by MADV_COLLAPSE of shmem (one process).
for tier in fentry kprobe; do
	run_case hugetlb "hugetlb:retract@$tier" $tier shmcollapse 2
done
# A process named with a newline, a tab and ESC [31m: each of its rows in
# the text table stays one line, escaped (hugetlb rows need fentry).
odd=$(printf 'a"b\\c\nd\te\033[31mR')
cp "$(command -v pmdshare)" "/tmp/$odd"
mmtrace hugetlb --tier fentry -- "/tmp/$odd" --procs 2 --pages 2 \
	>/tmp/hodd.txt 2>/tmp/hodd.err
echo "MMT|hugetlb:odd_text|rc|$?"
tag hugetlb:odd_text report /tmp/hodd.txt
tag hugetlb:odd_text stderr /tmp/hodd.err
