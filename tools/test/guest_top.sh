# SPDX-License-Identifier: GPL-2.0
# mmtrace top's plain table and the findings of the views that need
# fentry or kprobes, in a test VM; guest-lib.sh runs first (tag). One
# kernel is enough for these (6.12): the views' numbers are checked on
# every kernel by their own cases. vm_top.py checks them.

# top_case NAME COMM COMMAND...: mmtrace top's plain table (stdout is a
# file: no terminal) around COMMAND, then SIGINT for the last table.
top_case() {
	name=$1
	comm=$2
	shift 2
	mmtrace top -i 1 --comm "$comm" >"/tmp/$name.rep" 2>"/tmp/$name.err" &
	tracer=$!
	until_text "/tmp/$name.err" 'Ctrl-C to stop' "$tracer"
	"$@" >"/tmp/$name.truth" 2>"/tmp/$name.werr"
	echo "MMT|$name|wrc|$?"
	sleep 1
	kill -INT "$tracer"
	reap "$name" "$tracer"
	echo "MMT|$name|rc|$?"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
}

# finding_case NAME VIEW COMM COMMAND...: mmtrace VIEW --json around
# COMMAND (a shell line), tracing processes named COMM.
finding_case() {
	name=$1
	view=$2
	comm=$3
	shift 3
	mmtrace "$view" --json --comm "$comm" -o "/tmp/$name.rep" \
		2>"/tmp/$name.err" &
	tracer=$!
	until_text "/tmp/$name.err" 'Ctrl-C to stop' "$tracer"
	sh -c "$*" >"/tmp/$name.truth" 2>"/tmp/$name.werr"
	echo "MMT|$name|wrc|$?"
	kill -INT "$tracer"
	reap "$name" "$tracer"
	echo "MMT|$name|rc|$?"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
}

case $(uname -r) in
6.12*)
	top_case "top:pinfork" pinfork pinfork --pages 64 --forks 10
	top_case "top:gupwork" gupwork gupwork vmsplice --pages 256 --untouched
	top_case "top:pmdshare" pmdshare pmdshare --procs 4 --pages 2
	# gup.slow_path: 256 untouched pages all slow; touched, all fast.
	finding_case "findings:gup_slow" gup gupwork \
		gupwork vmsplice --pages 256 --untouched
	finding_case "findings:gup_fast" gup gupwork \
		gupwork vmsplice --pages 256
	# hugetlb.pmd_not_shared: two runs one after the other, each
	# building its own table; four together share one.
	finding_case "findings:pmd_alone" hugetlb pmdshare \
		"pmdshare --procs 1 --pages 2; pmdshare --procs 1 --pages 2"
	finding_case "findings:pmd_shared" hugetlb pmdshare \
		pmdshare --procs 4 --pages 2
	;;
esac
