# SPDX-License-Identifier: GPL-2.0
# Issue #11 cases 1 and 2c in a test VM (vm_pidns.py checks): every view
# inside a new pid namespace, with its workload as the COMMAND's child
# where a shell can start it; guest-lib.sh runs first (tag).

# pidns_case VIEW NAME TRUTH COMMAND...: mmtrace VIEW as init of a new pid
# namespace (with PIDNS=, in the initial one); the truth is COMMAND's
# stdout, or the file TRUTH if given.
pidns_case() {
	view=$1
	name=$2
	truth=$3
	shift 3
	${PIDNS-unshare -p -f --mount-proc} mmtrace "$view" --json \
		--tier fentry -o "/tmp/$name.rep" -- "$@" >"/tmp/$name.out" \
		2>"/tmp/$name.err"
	echo "MMT|$name|rc|$?"
	echo "MMT|$name|wrc|0"
	[ -n "$truth" ] || truth=/tmp/$name.out
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "$truth"
	tag "$name" stderr "/tmp/$name.err"
}

pidns_case fork pidns:fork "" pinfork --pages 16 --forks 3
pidns_case fork pidns:follow_fork /tmp/pidns_ff.truth \
	sh -c 'forkmix 4 2 0 >/tmp/pidns_ff.truth; true'
pidns_case gup pidns:follow_gup /tmp/pidns_fg.truth \
	sh -c 'gupwork vmsplice --pages 16 >/tmp/pidns_fg.truth; true'
pidns_case hugetlb pidns:follow_hugetlb "" pmdshare --procs 4 --pages 4
# Case 2c alone, in the initial namespace.
PIDNS= pidns_case fork follow:fork /tmp/follow_ff.truth \
	sh -c 'forkmix 4 2 0 >/tmp/follow_ff.truth; true'
PIDNS= pidns_case gup follow:gup /tmp/follow_fg.truth \
	sh -c 'gupwork vmsplice --pages 16 >/tmp/follow_fg.truth; true'
PIDNS= pidns_case hugetlb follow:hugetlb "" pmdshare --procs 4 --pages 4

# locks: mmapstorm --wait-start, followed from before its storm until
# after it printed, inside the namespace: by -p, and as the COMMAND's
# child with a report every second, the storm after one that came while
# it waited (vm_pidns.py checks the reports from then on).
cat >/tmp/pidns_locks.sh <<'SCRIPT'
name=$1
mode=$2
. /tmp/guest-wait.sh
: >"/tmp/$name.wl"
: >"/tmp/$name.rep"
if [ "$mode" = -p ]; then
	mmapstorm --wait-start --threads 4 --count 2000 >"/tmp/$name.truth" \
		2>"/tmp/$name.wl" &
	wl=$!
	until_text "/tmp/$name.wl" ready
	mmtrace locks --json --tier fentry -p "$wl" -o "/tmp/$name.rep" \
		2>"/tmp/$name.err" &
else
	mmtrace locks --json --tier fentry -i 1 -o "/tmp/$name.rep" -- sh -c \
		"mmapstorm --wait-start --threads 4 --count 2000 >/tmp/$name.truth 2>/tmp/$name.wl; true" \
		2>"/tmp/$name.err" &
fi
tracer=$!
# A view that can observe nothing here (locks on 5.10) exits at once,
# saying why: no storm to wait for.
if ! until_text "/tmp/$name.err" 'Ctrl-C to stop' "$tracer"; then
	kill -INT "$tracer" 2>/dev/null
	reap "$name" "$tracer"
	rc=$?
	[ -n "${wl:-}" ] && kill -KILL "$wl"
	echo 0 >"/tmp/$name.skip"
	exit $rc
fi
until_text "/tmp/$name.wl" ready
pid=$(sed -n 's/^mmapstorm: pid \([0-9]*\) .*/\1/p' "/tmp/$name.wl" | head -n 1)
n=$(wc -l <"/tmp/$name.rep")
if [ "$mode" = follow ]; then
	i=0
	while [ "$(wc -l <"/tmp/$name.rep")" = "$n" ] && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	n=$(wc -l <"/tmp/$name.rep")
fi
echo "$n" >"/tmp/$name.skip"
kill -USR1 "$pid"
until_text "/tmp/$name.wl" "done,"
kill -INT "$tracer"
reap "$name" "$tracer"
rc=$?
kill -USR1 "$pid"
sleep 0.2
exit $rc
SCRIPT
for mode in -p follow; do
	name=pidns:locks$mode
	unshare -p -f --mount-proc sh /tmp/pidns_locks.sh "$name" "$mode"
	echo "MMT|$name|rc|$?"
	echo "MMT|$name|skip|$(cat "/tmp/$name.skip")"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
	tag "$name" stderr "/tmp/$name.wl"
done
