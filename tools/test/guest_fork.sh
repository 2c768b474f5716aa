# SPDX-License-Identifier: GPL-2.0
# The fork oracles, in a test VM; guest-lib.sh runs first (run_case, tag).

for tier in fentry kprobe tracepoint; do
	run_case fork "pin@$tier" $tier pinfork --pages 64 --forks 10
	run_case fork "dontfork@$tier" $tier pinfork --mode dontfork
	run_case fork "nopin@$tier" $tier pinfork --mode nopin
	run_case fork "hugetlb@$tier" $tier pinfork --hugetlb --pages 4 --forks 3
	run_case fork "thp@$tier" $tier pinfork --thp --pages 2 --forks 3
done
run_case fork pin_big fentry pinfork --pages 1000 --forks 3
run_case fork mix fentry forkmix 3 4 5
