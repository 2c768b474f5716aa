# SPDX-License-Identifier: GPL-2.0
# The gup oracles, in a test VM; guest-lib.sh runs first (run_case, tag).
# vm_gup.py knows what each kernel must report for each case.

for tier in fentry kprobe; do
	run_case gup "gup:vmsplice@$tier" $tier gupwork vmsplice --pages 16
	run_case gup "gup:vmsplice_hole@$tier" $tier \
		gupwork vmsplice --pages 8 --hole 4
	run_case gup "gup:vmsplice_untouched@$tier" $tier \
		gupwork vmsplice --pages 16 --untouched
	run_case gup "gup:iouring@$tier" $tier gupwork iouring --pages 16
	run_case gup "gup:iouring_hole@$tier" $tier \
		gupwork iouring --pages 8 --hole 4
	run_case gup "gup:iouring_untouched@$tier" $tier \
		gupwork iouring --pages 16 --untouched
done
run_case gup "gup:vmsplice_big@fentry" fentry gupwork vmsplice --pages 64
# The callers table in text: rows that would print the same are one row.
# --again registers twice, by two paths to io_pin_pages (6.x).
mmtrace gup --tier fentry -o /tmp/gup_text.rep -- gupwork iouring \
	--pages 16 --again >/tmp/gup_text.truth 2>/tmp/gup_text.err
echo "MMT|gup:iouring_text@fentry|rc|$?"
tag gup:iouring_text@fentry report /tmp/gup_text.rep
tag gup:iouring_text@fentry truth /tmp/gup_text.truth
tag gup:iouring_text@fentry stderr /tmp/gup_text.err
# kallsyms hiding addresses (kernel.kptr_restrict=2): the same numbers,
# one warning, and callers kept as raw stacks, in JSON and in text.
if restrict=$(cat /proc/sys/kernel/kptr_restrict) &&
	echo 2 >/proc/sys/kernel/kptr_restrict; then
	run_case gup "gup:vmsplice_hidden@fentry" fentry \
		gupwork vmsplice --pages 16
	mmtrace gup --tier fentry -- gupwork vmsplice --pages 16 \
		>/tmp/hidden.txt 2>/tmp/hidden.err
	echo "MMT|gup:hidden_text|rc|$?"
	tag gup:hidden_text report /tmp/hidden.txt
	tag gup:hidden_text stderr /tmp/hidden.err
	echo "$restrict" >/proc/sys/kernel/kptr_restrict
fi
# A process named with a newline, a tab and ESC [31m: its row in the text
# table stays one line, escaped (the fentry tier has gup rows to show).
odd=$(printf 'a"b\\c\nd\te\033[31mR')
cp "$(command -v gupwork)" "/tmp/$odd"
mmtrace gup --tier fentry -- "/tmp/$odd" vmsplice --pages 16 \
	>/tmp/odd.txt 2>/tmp/odd.err
echo "MMT|gup:odd_text|rc|$?"
tag gup:odd_text report /tmp/odd.txt
tag gup:odd_text stderr /tmp/odd.err
# No tracepoint sees GUP-fast: mmtrace must refuse, saying so.
run_case gup "gup:vmsplice@tracepoint" tracepoint gupwork vmsplice --pages 16

# O_DIRECT needs a real block device (tmpfs refuses it): brd, the RAM disk
# module of the booted kernel, which run.sh adds when its cache has it.
if insmod /lib/modules/brd.ko rd_nr=1 rd_size=1024 >/tmp/brd.err 2>&1 &&
	[ -b /dev/ram0 ]; then
	echo "MMT|gup:brd|rc|0"
	for tier in fentry kprobe; do
		run_case gup "gup:odirect@$tier" $tier \
			gupwork odirect --pages 16
		run_case gup "gup:odirect_untouched@$tier" $tier \
			gupwork odirect --pages 16 --untouched
	done
else
	echo "MMT|gup:brd|rc|1"
	tag gup:brd stderr /tmp/brd.err
fi
