# SPDX-License-Identifier: GPL-2.0
# A kernel whose BTF is not in /sys (as on kernels built without it), and
# its BTF given with --btf, as BTFHub's files are; guest-lib.sh runs first
# (tag). vm_btf.py checks the tiers and the numbers. /sys/kernel/btf is
# hidden under a tmpfs and shown again after, for the scripts that follow.

cp /sys/kernel/btf/vmlinux /tmp/vmlinux.btf
mount -t tmpfs none /sys/kernel/btf

# btf_case NAME VIEW TIER COMMAND...: as run_case, with --btf.
btf_case() {
	name=$1
	view=$2
	tier=$3
	shift 3
	mmtrace "$view" --json --tier "$tier" --btf /tmp/vmlinux.btf \
		--no-children -o "/tmp/$name.rep" -- "$@" \
		>"/tmp/$name.truth" 2>"/tmp/$name.err"
	echo "MMT|$name|rc|$?"
	tag "$name" report "/tmp/$name.rep"
	tag "$name" truth "/tmp/$name.truth"
	tag "$name" stderr "/tmp/$name.err"
}

mmtrace fork -d 1 >/tmp/btf_none.out 2>/tmp/btf_none.err
echo "MMT|btf:none|rc|$?"
tag btf:none stderr /tmp/btf_none.err
tag btf:none report /tmp/btf_none.out
mmtrace probes --json --btf /tmp/vmlinux.btf >/tmp/btf_probes.json \
	2>/tmp/btf_probes.err
echo "MMT|btf:probes|rc|$?"
tag btf:probes json /tmp/btf_probes.json
btf_case btf:pin@fentry fork fentry pinfork --pages 64 --forks 10
btf_case btf:pin@tracepoint fork tracepoint pinfork --pages 64 --forks 10
btf_case btf:gup@fentry gup fentry gupwork vmsplice --pages 16

umount /sys/kernel/btf
