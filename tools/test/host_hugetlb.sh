# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Host tests of mmtrace hugetlb, on this machine's kernel. Sourced by
# run.sh, which calls host_hugetlb; helpers are in lib.sh.
#
# This host allows tracepoints only, and no tracepoint fires inside
# huge_pmd_share: the view must say that plainly and refuse to run.

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

# A view that can observe nothing refuses to run, with this kernel's
# reasons, rather than report nulls and exit 0 (text and JSON alike).
hugetlb_run() {
	local name="host hugetlb run" rc fmt json
	for fmt in json text; do
		json=
		[ "$fmt" = json ] && json=--json
		: >"$TMP/hr.rep"
		# shellcheck disable=SC2086
		# No --tier: the reasons are then the kernel's, as in probes.
		bounded "$MMTRACE" hugetlb $json -o "$TMP/hr.rep" -- true \
			>"$TMP/hr.out" 2>"$TMP/hr.err"
		rc=$?
		[ "$rc" = 1 ] && [ ! -s "$TMP/hr.rep" ] && [ ! -s "$TMP/hr.out" ]
		verdict "$name $fmt: exits 1, reports nothing" $? \
			"$(status $rc): $(head -c 300 "$TMP/hr.rep" "$TMP/hr.err")"
	done
	check_with "$name" oracle reasons "$TMP/hr.err" "$TMP/hp.json" \
		hugetlb --refused --name "$name"
}

host_hugetlb() {
	hugetlb_probes
	hugetlb_run
}
