# SPDX-License-Identifier: GPL-2.0
# Where GUP-fast meets fork, in a test VM; guest-lib.sh runs first (tag).
# vm_races.py compares mmtrace with an independent trace of the same run:
# a tracefs instance of its own with kprobes on the GUP-fast core and its
# fallback and kprobe/kretprobe on copy_page_range (the copy window of one
# VMA). Only 6.12 and 7.3 pin io_uring buffers through GUP-fast (x86-64
# 6.12 and 7.3, arm64 6.12).

RT=/sys/kernel/tracing
RI=$RT/instances/mmtrace_races

# The probes, defined once; the instance enables them only for a case.
# copy_page_range(dst_vma, src_vma): the VMA's flags tell a COW mapping,
# its mm which process forks (BTF arguments, 6.7+).
# The first three arguments' registers: x86-64's, or arm64's (x0..x2).
races_trace_setup() {
	a1=%di a2=%si a3=%dx
	[ "$(uname -m)" = aarch64 ] && a1=%x0 a2=%x1 a3=%x2
	[ -d "$RT/instances" ] || mount -t tracefs nodev "$RT" 2>/dev/null
	{
		echo "p:mmtrace_races/gupin gup_fast_fallback start=$a1 nr=$a2 flags=$a3:u32"
		echo "p:mmtrace_races/gupslow __gup_longterm_locked start=$a2 seq=mm->write_protect_seq.sequence"
		echo 'r:mmtrace_races/gupret gup_fast_fallback ret=$retval:s64'
		echo 'p:mmtrace_races/cpr copy_page_range vmflags=src_vma->vm_flags:x64 mm=src_vma->vm_mm'
		echo 'r:mmtrace_races/cprret copy_page_range'
	} >>"$RT/kprobe_events" 2>/tmp/races_kprobes.err || return 1
	# Page-table retraction (6.5+): one pmdp_collapse_flush per table of
	# each mm mapping the collapsed range, inside retract_page_tables.
	{
		echo 'p:mmtrace_races/retract retract_page_tables'
		echo 'r:mmtrace_races/retractret retract_page_tables'
		echo 'p:mmtrace_races/pmdflush pmdp_collapse_flush mm=vma->vm_mm'
		echo 'r:mmtrace_races/pmdflushret pmdp_collapse_flush'
		# Page faults: handle_mm_fault(vma, ...) entry to return.
		echo 'p:mmtrace_races/fault handle_mm_fault mm=vma->vm_mm'
		echo 'r:mmtrace_races/faultret handle_mm_fault'
	} >>"$RT/kprobe_events" 2>/tmp/races_retract.err
	echo "MMT|races:retract_setup|rc|$?"
	mkdir -p "$RI" || return 1
	# One clock for every CPU: calls and windows are compared in time.
	echo mono >"$RI/trace_clock" && echo 16384 >"$RI/buffer_size_kb" &&
	# When a forker is off the CPU, its copy_page_range calls last longer
	# than their work: the oracle takes those times out.
	echo 'prev_comm == "pinrace" || next_comm == "pinrace" || prev_comm == "gupcollapse" || next_comm == "gupcollapse"' \
		>"$RI/events/sched/sched_switch/filter" || return 1
	# Every fault of the guest would flood the buffer: gupcollapse's only.
	for e in fault faultret; do
		[ ! -d "$RI/events/mmtrace_races/$e" ] ||
			echo 'comm == "gupcollapse"' \
				>"$RI/events/mmtrace_races/$e/filter"
	done
}

# The trace of a case, shortened in the guest: every window, and the GUP
# calls that fell back or overlapped some copy_page_range (the others
# cannot have met a window), or that gupcollapse made. Times in
# microseconds, as the trace prints; "before" and "after" are the times of
# the thread's trace events just before and after ("-": none), between
# which mmtrace's own handlers on the same probes ran.
#   W tid start end vmflags mm       one copy_page_range call
#   C tid t0 t1|- tret flags start slow_start|- ret seq|- before after
#                                    (seq: write_protect_seq where the
#                                    slow path starts, read by the kprobe)
#   S ts prev_tid next_tid           a context switch of a pinrace thread
#   R tid ts mm tret before          a PTE table retracted from mm, in
#                                    pmdp_collapse_flush from ts to tret
#   F tid ts mm tret before after    a page fault on mm, in
#                                    handle_mm_fault from ts to tret
races_trace_dump() {
	awk '
	function tidof(s) { sub(/^.*-/, "", s); return s }
	{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+:$/)
				break
		if (i > NF)
			next
		tid = tidof($(i - 2)); if ($(i - 2) ~ /^\[/) tid = tidof($(i - 3))
		task = $(i - 2); if (task ~ /^\[/) task = $(i - 3)
		ts = substr($i, 1, length($i) - 1); ev = $(i + 1)
		delete kv
		for (j = i + 2; j <= NF; j++)
			if (split($j, p, "=") == 2)
				kv[p[1]] = p[2]
		# A thread switched in has an event here too.
		nt = (ev == "sched_switch:") ? kv["next_pid"] : tid
		before = (tid in prev) ? prev[tid] : "-"
		for (k = 0; k < 2; k++) {
			t = k ? nt : tid
			if (t in after) {
				print after[t], ts
				delete after[t]
			}
			prev[t] = ts
		}
	}
	ev == "cpr:" { cs[tid] = ts; cf[tid] = kv["vmflags"]; cm[tid] = kv["mm"]; open_n++; last = ts }
	ev == "cprret:" && (tid in cs) {
		print "W", tid, cs[tid], ts, cf[tid], cm[tid]; delete cs[tid]; open_n--; last = ts
	}
	ev == "retract:" { rw[tid] = 1 }
	ev == "retractret:" { delete rw[tid] }
	ev == "pmdflush:" && (tid in rw) { rs[tid] = ts; rm[tid] = kv["mm"]; rb[tid] = before; last = ts }
	ev == "pmdflushret:" && (tid in rs) {
		print "R", tid, rs[tid], rm[tid], ts, rb[tid]; delete rs[tid]; last = ts
	}
	ev == "fault:" { fs[tid] = ts; fm[tid] = kv["mm"]; fb[tid] = before }
	ev == "faultret:" && (tid in fs) {
		after[tid] = "F " tid " " fs[tid] " " fm[tid] " " ts " " fb[tid]; delete fs[tid]
	}
	ev == "sched_switch:" { print "S", ts, kv["prev_pid"], kv["next_pid"] }
	ev == "gupin:" { g0[tid] = ts; gb[tid] = before; gw[tid] = open_n > 0; gf[tid] = kv["flags"]; gs[tid] = kv["start"]; g1[tid] = "-"; gss[tid] = "-"; gq[tid] = "-" }
	ev == "gupslow:" && (tid in g0) && g1[tid] == "-" { g1[tid] = ts; gss[tid] = kv["start"]; gq[tid] = kv["seq"] }
	ev == "gupret:" && (tid in g0) {
		if (g1[tid] != "-" || gw[tid] || last + 0 >= g0[tid] + 0 || task ~ /^gupcollapse-/)
			after[tid] = "C " tid " " g0[tid] " " g1[tid] " " ts " " gf[tid] " " gs[tid] " " gss[tid] " " kv["ret"] " " gq[tid] " " gb[tid]
		delete g0[tid]
	}
	END {
		for (t in after)
			print after[t], "-"
	}
	' "$RI/trace"
}

# races_case NAME VIEW TIER MMTRACE_ARGS -- COMMAND...: mmtrace VIEW
# around COMMAND, traced by the instance; the trace goes out as "trace".
races_case() {
	name=$1 view=$2 tier=$3
	shift 3
	margs=
	while [ "$1" != -- ]; do
		margs="$margs $1"
		shift
	done
	shift
	echo >"$RI/trace"
	echo 1 >"$RI/events/mmtrace_races/enable"
	echo 1 >"$RI/events/sched/sched_switch/enable"
	# shellcheck disable=SC2086
	mmtrace "$view" --json --tier "$tier" $margs -o "/tmp/$name.rep" -- \
		"$@" >"/tmp/$name.truth" 2>"/tmp/$name.err"
	echo "MMT|$name|rc|$?"
	echo 0 >"$RI/events/mmtrace_races/enable"
	echo 0 >"$RI/events/sched/sched_switch/enable"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
	races_trace_dump >"/tmp/$name.trace"
	tag "$name" trace "/tmp/$name.trace"
	grep -h "entries-in-buffer" "$RI/trace" >"/tmp/$name.entries"
	tag "$name" entries "/tmp/$name.entries"
}

# The pinning cases of x86-64 (both tiers, nobody or another process
# forking, the text report); an arm64 guest emulates another ISA, about
# four minutes a pinrace case: there, the fentry tier of each view only.
races_pins() {
	for tier in $1; do
		races_case "races:gup_same@$tier" gup "$tier" -- \
			pinrace --mode same --forks 20
		races_case "races:fork_same@$tier" fork "$tier" --events -- \
			pinrace --mode same --forks 20
	done
	[ "$2" = all ] || return 0
	races_case races:gup_none@fentry gup fentry -- \
		pinrace --mode none --regs 300
	races_case races:gup_other@fentry gup fentry -- \
		pinrace --mode other --forks 20
	races_case races:fork_other@fentry fork fentry --events -- \
		pinrace --mode other --forks 20
	# Text: the pushed calls and who forked; the fork events.
	mmtrace gup --tier fentry -o /tmp/races_text.rep -- \
		pinrace --mode same --forks 20 >/tmp/races_text.truth \
		2>/tmp/races_text.err
	echo "MMT|races:gup_text|rc|$?"
	tag races:gup_text report /tmp/races_text.rep
	tag races:gup_text truth /tmp/races_text.truth
}

# GUP-fast walks, then page faults, on an mm whose PTE tables are
# retracted; the same faults with nothing retracted. The other thread's
# references fail most collapses with EAGAIN (SCAN_PAGE_COUNT; retries
# fail alike): an x86-64 6.12 guest collapsed 2 to 18 of 32 ranges, and
# CI once none, so 64 ranges there, gupcollapse's most. An arm64 guest
# emulates another ISA, its lane is CI's longest: with 64 ranges there
# too CI took 62 minutes (43-48 before), so 32 (it never collapsed none).
races_retract() {
	ranges=64
	[ "$(uname -m)" = aarch64 ] && ranges=32
	races_case races:retract@kprobe gup kprobe -- \
		gupcollapse --ranges $ranges
	races_case races:retract_fault@kprobe hugetlb kprobe -- \
		gupcollapse --ranges $ranges --fault
	races_case races:retract_none@kprobe hugetlb kprobe -- \
		gupcollapse --ranges 8 --fault --no-collapse
}

# Where io_uring pins through GUP-fast (6.12 on), on both architectures.
pins=
case $(uname -m)-$(uname -r) in
x86_64-6.12* | x86_64-7.*) pins="fentry kprobe:all" ;;
aarch64-6.12*) pins="fentry:some" ;;
esac
if [ -n "$pins" ]; then
	if races_trace_setup; then
		echo "MMT|races:setup|rc|0"
		races_pins "${pins%:*}" "${pins#*:}"
		races_retract
	else
		echo "MMT|races:setup|rc|1"
		tag races:setup stderr /tmp/races_kprobes.err
	fi
fi
