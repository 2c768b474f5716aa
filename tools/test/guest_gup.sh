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
