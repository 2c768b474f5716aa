# SPDX-License-Identifier: GPL-2.0
# The locks oracles, in a test VM; guest-lib.sh runs first (tag).
#
# The tracer follows mmapstorm with -p from before its storm until after it
# printed its truth, so that both count the same events (vm_locks.py).

# locks_case NAME TIER MMAPSTORM_ARGS...
locks_case() {
	case_name=$1
	case_tier=$2
	shift 2
	locks_follow "$case_name" "$case_tier" mmapstorm "$@"
}

# locks_follow NAME TIER WORKLOAD ARGS...: WORKLOAD runs with --wait-start.
locks_follow() {
	name=$1
	tier=$2
	shift 2
	workload=$1
	shift
	"$workload" --wait-start "$@" >"/tmp/$name.truth" 2>"/tmp/$name.wl" &
	wl=$!
	until_text "/tmp/$name.wl" ready
	mmtrace locks --json --tier "$tier" -p "$wl" -o "/tmp/$name.rep" \
		2>"/tmp/$name.err" &
	tracer=$!
	# A view that can observe nothing here exits at once, and says why.
	until_text "/tmp/$name.err" 'Ctrl-C to stop' "$tracer"
	kill -USR1 "$wl"
	until_text "/tmp/$name.wl" "done,"
	kill -INT "$tracer"
	reap "$name" "$tracer"
	echo "MMT|$name|rc|$?"
	kill -USR1 "$wl"
	reap "$name" "$wl"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
	tag "$name" stderr "/tmp/$name.wl"
}

locks_case locks:storm4 fentry --threads 4 --count 2000
locks_case locks:storm1 fentry --threads 1 --count 2000
locks_case locks:storm4@tracepoint tracepoint --threads 4 --count 2000

# Why faults left the VMA lock: vmafault knows how many aborted, were
# retried and were refused (vm_locks.py, check_vma_causes).
for tier in fentry kprobe tracepoint; do
	locks_follow "locks:vmafault@$tier" "$tier" vmafault --pages 64 \
		--aborts 24 --access-errors 8 --retries 16
done

# VMA write locks alone: vmafault's mprotect() calls (check_vma_write).
for tier in fentry kprobe; do
	locks_follow "locks:vmawrite@$tier" "$tier" vmafault --pages 0 \
		--aborts 0 --access-errors 0 --retries 0 --mprotects 64
done

# One thread holds mmap_lock for writing while three fault behind it
# (vm_locks.check_owners); 64 MiB, as TCG rewrites PTEs slowly.
locks_follow locks:owner fentry lockhold --pages 16384 --rounds 10
# Its child reads its /proc/PID/cmdline meanwhile: another mm's mmap_lock
# (a COMMAND, so that the child is followed).
run_case locks locks:other fentry lockhold --peeker --pages 16384 --rounds 10
