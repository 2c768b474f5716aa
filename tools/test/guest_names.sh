# SPDX-License-Identifier: GPL-2.0
# Process names in a test VM (issue #11, cases 2 and 2b), checked by
# vm_names.py; guest-lib.sh runs first (run_case, tag). Every view that
# keeps per-process rows, at the fentry tier: a process that execs under a
# new name (also from a second thread), and one whose helper thread acts
# before its main thread.

ln -s "$(command -v execname)" /tmp/renamed
for view in fork gup hugetlb locks; do
	run_case "$view" "names:exec@$view" fentry execname --name shlike \
		--faults 8 --forks 2 --vmsplice 3 --hugetlb --quiet-ms 0 \
		--exec /tmp/renamed
	run_case "$view" "names:thread@$view" fentry threadname --faults 8 \
		--vmsplice 3 --hugetlb
done
run_case fork "names:thread-exec@fork" fentry execname --name shlike \
	--forks 2 --quiet-ms 0 --from-thread --exec /tmp/renamed
