# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of the findings (user/findings.c) that the tracepoint tier
# can see: each rule triggered exactly by a workload made for it, and
# silent on a healthy one. gup.slow_path and hugetlb.pmd_not_shared need
# fentry or kprobes: guest_top.sh tests them. Sourced by run.sh, which
# calls host_findings; checks in top_check.py.

# findings_case NAME EXPECT WORKLOAD ARGS...: mmtrace fork --json around
# the workload; its final report's findings must be EXPECT (an id, or
# none), with the workload's truth as evidence.
findings_case() {
	local name=$1 expect=$2 rc
	shift 2
	bounded "$MMTRACE" fork --json --tier "$HOST_TIER" \
		-o "$TMP/$name.rep" -- "$@" \
		>"$TMP/$name.truth" 2>"$TMP/$name.err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name" "mmtrace $(status $rc): $(head -c 500 "$TMP/$name.err")"
		return
	fi
	check_with "$name" python3 tools/test/top_check.py findings \
		"$TMP/$name.rep" "$TMP/$name.truth" --expect "$expect" \
		--name "$name"
}

host_findings() {
	local pinfork=$WORKLOADS/pinfork name out
	# 64 pinned pages, 10 forks: 640 copies, 2.5 MiB, over the 1 MiB.
	findings_case "host findings pinned copies" fork.pinned_copies \
		"$pinfork" --pages 64 --forks 10
	# The same buffer MADV_DONTFORK: nothing copied, nothing to say.
	findings_case "host findings pinned copies, dontfork" none \
		"$pinfork" --mode dontfork --pages 64 --forks 10
	# 512 MiB of touched 4 KiB pages, not pinned: forks of about 10 ms,
	# all page-table copy (over the 2 ms threshold by 5x).
	findings_case "host findings page-table copy" fork.page_table_copy \
		"$pinfork" --mode nopin --pages 131072 --forks 3
	# 256 KiB: forks of well under 2 ms.
	findings_case "host findings page-table copy, small" none \
		"$pinfork" --mode nopin --pages 64 --forks 10
	# The text report ends with the block, its numbers and its remedy.
	name="host findings text"
	out=$(bounded "$MMTRACE" fork --tier "$HOST_TIER" -- "$pinfork" \
		--pages 64 --forks 10 2>/dev/null)
	verdict "$name" "$(grep -A2 '^findings:$' <<<"$out" | grep -q \
		'warning fork.pinned_copies: pid [0-9]* (pinfork) copied 2.5 MiB of maybe-pinned pages in 10 forks (256 KiB per fork)' &&
		grep -q -- '-> mark its DMA buffers MADV_DONTFORK' <<<"$out"; echo $?)" \
		"$(tail -5 <<<"$out")"
	# --no-findings: no block, no key; -i reports too.
	name="host findings off"
	bounded "$MMTRACE" fork --json --no-findings -i 1 --tier "$HOST_TIER" \
		-o "$TMP/off.rep" -- "$pinfork" --pages 64 --forks 10 \
		--delay-ms 150 >/dev/null 2>&1
	check_with "$name" python3 tools/test/top_check.py nofindings \
		"$TMP/off.rep" --name "$name"
	out=$(bounded "$MMTRACE" locks --no-findings --tier "$HOST_TIER" -- \
		"$pinfork" --pages 64 --forks 2 2>/dev/null)
	verdict "$name: text" "$(! grep -q '^findings' <<<"$out"; echo $?)" \
		"$(tail -5 <<<"$out")"
	# Every view's text report ends with the block.
	out=$(bounded "$MMTRACE" locks --tier "$HOST_TIER" -- \
		"$pinfork" --pages 64 --forks 2 2>/dev/null)
	verdict "host findings locks text" \
		"$([ "$(tail -1 <<<"$out")" = "findings: none" ]; echo $?)" \
		"$(tail -3 <<<"$out")"
}
