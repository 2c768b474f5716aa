# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of mmtrace hugetlb, on this machine's kernel. Sourced by
# run.sh, which calls host_hugetlb; helpers are in lib.sh.
#
# This host allows tracepoints only, and no tracepoint fires inside
# huge_pmd_share: the view must say that plainly and report null, not 0.

HUGETLB_OBS="hugetlb.pmd_share hugetlb.i_mmap_waits hugetlb.pmd_unshare
	hugetlb.retract"

hugetlb_probes() {
	local name="host probes hugetlb" rc obs expect=()
	bounded "$MMTRACE" probes hugetlb >"$TMP/hp.txt" 2>"$TMP/hp.err"
	rc=$?
	[ "$rc" = 0 ] &&
		grep -q 'UNAVAILABLE: huge_pmd_share is not observable' "$TMP/hp.txt"
	verdict "$name: exit 0, says huge_pmd_share is not observable" $? \
		"$(status $rc): $(head -c 300 "$TMP/hp.txt" "$TMP/hp.err")"
	bounded "$MMTRACE" probes --json hugetlb >"$TMP/hp.json" 2>"$TMP/hp.err"
	rc=$?
	verdict "$name --json" "$rc" "$(status $rc): $(head -c 300 "$TMP/hp.err")"
	for obs in $HUGETLB_OBS; do
		expect+=("$obs=none")
	done
	check_with "$name" oracle tiers "$TMP/hp.json" hugetlb "${expect[@]}"
	# shellcheck disable=SC2086
	check_with "$name" oracle nokprobe "$TMP/hp.json" hugetlb $HUGETLB_OBS
}

# The view still runs, and reports what it cannot see as null.
hugetlb_run() {
	local name="host hugetlb run" rc
	bounded "$MMTRACE" hugetlb --json --tier "$HOST_TIER" \
		-o "$TMP/hr.rep" -- true >/dev/null 2>"$TMP/hr.err"
	rc=$?
	verdict "$name: exit 0" "$rc" "$(status $rc): $(head -c 300 "$TMP/hr.err")"
	grep -q 'hugetlb.pmd_share unavailable' "$TMP/hr.err"
	verdict "$name: warns that huge_pmd_share is unavailable" $? \
		"$(head -c 300 "$TMP/hr.err")"
	check_with "$name" oracle hugetlb-none "$TMP/hr.rep" --name "$name"
	bounded "$MMTRACE" hugetlb --tier "$HOST_TIER" -- true \
		>"$TMP/hr.txt" 2>/dev/null
	grep -q 'huge_pmd_share is not observable on this kernel' "$TMP/hr.txt"
	verdict "$name: text report says so" $? "$(head -c 300 "$TMP/hr.txt")"
}

host_hugetlb() {
	hugetlb_probes
	hugetlb_run
}
