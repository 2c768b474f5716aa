# SPDX-License-Identifier: GPL-2.0
"""The hugetlb checks of a VM run: tiers per kernel and exact PMD sharing.

Tiers follow ../shared/kernel-probe-map.md section 4: huge_pmd_share is
out of line everywhere (3 arguments on 5.10, 4 from 5.12); the unshare
helper is a compiler clone (kretprobe only); retract_page_tables is
inlined into collapse_file on 6.1; 5.10 has no lock:contention events.
"""
import json
import re

from vm_fork import TIER_ORDER
from vmlib import (arm64_tiers, case_json, check_in_buckets, check_losses,
                   check_units, parse_console, refused)

TIERS = {
    "5.10": {"hugetlb.pmd_share": "fentry", "hugetlb.i_mmap_waits": "none",
             "hugetlb.pmd_unshare": "kprobe", "hugetlb.retract": "fentry"},
    "6.1": {"hugetlb.pmd_share": "fentry", "hugetlb.i_mmap_waits": "fentry",
            "hugetlb.pmd_unshare": "kprobe", "hugetlb.retract": "none"},
    "6.12": {"hugetlb.pmd_share": "fentry", "hugetlb.i_mmap_waits": "fentry",
             "hugetlb.pmd_unshare": "kprobe", "hugetlb.retract": "fentry"},
    "7.3": {"hugetlb.pmd_share": "fentry", "hugetlb.i_mmap_waits": "fentry",
            "hugetlb.pmd_unshare": "kprobe", "hugetlb.retract": "fentry"},
}
TIERS["arm64-6.1"] = arm64_tiers(TIERS["6.1"])
TIERS["arm64-6.12"] = dict(TIERS["6.12"])
# arm64 finds a PMD table's struct page through mem_section, a data symbol
# Debian's 6.1 cloud-arm64 does not list (no CONFIG_KALLSYMS_ALL): that
# kernel cannot tell a shared table from a new one, and says so.
TIERS["arm64-6.1"]["hugetlb.pmd_share"] = "none"

# (case, --tier given), as guest_hugetlb.sh runs them.
CASES = [(f"hugetlb:share@{t}", t) for t in TIER_ORDER] + [
    ("hugetlb:private@fentry", "fentry"), ("hugetlb:interval@fentry", "fentry")]
COUNTS = ("pmd_share_calls", "pmd_shared", "pmd_unshares", "retracts")


def add(a, b):
    return None if a is None or b is None else a + b


def merged(reports):
    """Interval reports summed into one: totals and rows per pid."""
    totals = dict(reports[-1]["totals"])
    rows = {}
    for key in COUNTS:
        vals = [r["totals"][key] for r in reports]
        totals[key] = None if None in vals else sum(vals)
    for r in reports:
        for p in r["processes"]:
            row = rows.setdefault(p["pid"], dict(p, **{k: 0 for k in COUNTS
                                                        if p[k] is not None}))
            for key in COUNTS:
                row[key] = add(row[key], p[key])
    return dict(reports[-1], totals=totals, processes=list(rows.values()))


def expected_tier(kernel, obs, cap):
    """The kernel's tier for @obs under --tier @cap (no tracepoint plans)."""
    best = TIERS[kernel][obs]
    if best == "none" or TIER_ORDER.index(best) >= TIER_ORDER.index(cap):
        return best
    return "none" if cap == "tracepoint" else cap


def check_counts(check, name, report, truth, probes):
    totals, rows = report["totals"], report["processes"]
    kids = {c["pid"]: c for c in truth["children"]}
    others = sorted(p["pid"] for p in rows if p["pid"] not in kids)
    check(f"{name}: rows of pmdshare's processes only", not others,
          f"other pids {others}")
    by_pid = {p["pid"]: p for p in rows}
    if probes.get("hugetlb.pmd_share") == "none":
        check(f"{name}: PMD sharing unknown (null) without a probe",
              totals["pmd_share_calls"] is None and
              totals["pmd_shared"] is None and
              all(p["pmd_shared"] is None for p in rows),
              f"totals {totals}")
    else:
        want = truth["expected_shares"]
        if truth.get("observed_shares") not in (None, want):
            print(f"NOTE {name}: pmdshare measured "
                  f"{truth['observed_shares']} shares, model {want}")
        check(f"{name}: pmd_shared == {want}", totals["pmd_shared"] == want,
              f"got {totals['pmd_shared']}")
        if truth["expected_calls"] is not None:
            want = truth["expected_calls"]
            check(f"{name}: pmd_share_calls == {want}",
                  totals["pmd_share_calls"] == want,
                  f"got {totals['pmd_share_calls']}")
        for pid, kid in kids.items():
            row = by_pid.get(pid, {"pmd_share_calls": 0, "pmd_shared": 0})
            ok = row["pmd_shared"] == kid["expected_shares"] and (
                kid["expected_calls"] is None or
                row["pmd_share_calls"] == kid["expected_calls"])
            check(f"{name}: row {pid} calls/shared", ok,
                  f"got {row}, want {kid}")
    unshares = totals["pmd_unshares"]
    if probes.get("hugetlb.pmd_unshare") == "none":
        check(f"{name}: unshares unknown (null)", unshares is None,
              f"got {unshares}")
    else:
        want = truth["expected_unshares"]
        check(f"{name}: pmd_unshares == {want}", unshares == want,
              f"got {unshares}")
    waits = totals["i_mmap_waits"]
    if probes.get("hugetlb.i_mmap_waits") == "none":
        check(f"{name}: i_mmap waits unknown (null)", waits is None,
              f"got {waits}")
    else:
        check(f"{name}: i_mmap waits split by waiter and mode",
              isinstance(waits, dict) and
              set(waits) == {"huge_pmd_share", "other"} and
              all(set(v) == {"read", "write"} for v in waits.values()),
              f"got {waits}")
    if probes.get("hugetlb.retract") == "none":
        check(f"{name}: retracts unknown (null)",
              totals["retracts"] is None, f"got {totals['retracts']}")


def check_owners(check, name, reports, probes):
    """i_mmap_rwsem waits by holder (user/owners.c): every wait the totals
    count is charged once, to the writer the kernel recorded when it began
    or to the one row of no recorded holder; all rows name i_mmap_rwsem."""
    rows = [o for r in reports for o in r["owners"]]
    if probes.get("hugetlb.i_mmap_waits") == "none":
        check(f"{name}: no i_mmap waits seen: no holder rows", rows == [],
              f"got {rows}")
        return
    for key in ("waits", "wait_ns"):
        want = sum(m[key] for r in reports
                   for w in r["totals"]["i_mmap_waits"].values()
                   for m in w.values())
        got = sum(o[key] for o in rows)
        check(f"{name}: holders' {key} add up to the i_mmap waits' ({want})",
              got == want, f"got {got}")
    check(f"{name}: holder rows name i_mmap_rwsem, a holder by tid and name "
          f"or none", all(o["lock"] == "i_mmap_rwsem" and
                          (o["owner_comm"] is None) == (o["owner_pid"] is None)
                          for o in rows), f"rows {rows}")


def check_case(check, kernel, name, run, cap):
    if all(expected_tier(kernel, obs, cap) == "none" for obs in TIERS[kernel]):
        refused(check, name, run, "hugetlb")
        return
    check(f"{name}: tracer and workload exit 0",
          run.get("rc") == ["0"] and run.get("wrc") == ["0"],
          f"rc {run.get('rc')} wrc {run.get('wrc')} "
          f"stderr {run.get('stderr')} werr {run.get('werr')}")
    reports, truth = case_json(check, name, run)
    if reports is None:
        return
    finals = [r.get("final") for r in reports]
    if not check(f"{name}: one final report, the last, and a truth",
                 finals and finals.count(True) == 1 and finals[-1] and
                 truth.get("children"), f"{run}"):
        return
    if "interval" in name:
        check(f"{name}: several reports", len(reports) >= 3,
              f"{len(reports)} reports")
    check_units(check, name, reports)
    check_losses(check, name, reports)
    report = merged(reports)
    probes = report["probes"]
    if probes.get("hugetlb.pmd_share") != "none":
        check_in_buckets(check, name, "pmd_share_ns",
                         sum(r["totals"]["pmd_share_ns"] for r in reports),
                         [r["histograms"]["pmd_share_ns"] for r in reports])
    # Interval rows whose time alone grew are not shown (hugetlb.c).
    if probes.get("hugetlb.i_mmap_waits") != "none" and "interval" not in name:
        check_in_buckets(check, name, "rows' i_mmap_wait_ns",
                         sum(p["i_mmap_wait_ns"] for r in reports
                             for p in r["processes"]),
                         [h for r in reports for h in
                          r["histograms"]["i_mmap_wait_ns"].values()])
    for obs in TIERS[kernel]:
        want = expected_tier(kernel, obs, cap)
        check(f"{name}: {obs} tier {want}", probes.get(obs) == want,
              f"got {probes.get(obs)}")
    lost = [r["lost"] for r in reports if any(r["lost"].values())]
    check(f"{name}: nothing lost", not lost, f"lost {lost}")
    check_counts(check, name, report, truth, probes)
    check_owners(check, name, reports, probes)


def check_retract(check, kernel, name, run, cap):
    """shmcollapse: one retract_page_tables per successful collapse."""
    check(f"{name}: exit 0", run.get("rc") == ["0"],
          f"rc {run.get('rc')} stderr {run.get('stderr')}")
    reports, truth = case_json(check, name, run)
    if reports is None:
        return
    if not check(f"{name}: one final report and a truth",
                 len(reports) == 1 and reports[0].get("final") and
                 "expected_retracts" in truth, f"{run}"):
        return
    tier = reports[0]["probes"].get("hugetlb.retract")
    want_tier = expected_tier(kernel, "hugetlb.retract", cap)
    check(f"{name}: hugetlb.retract tier {want_tier}", tier == want_tier,
          f"got {tier}")
    got = reports[0]["totals"]["retracts"]
    rows = [p for p in reports[0]["processes"] if p["pid"] == truth["pid"]]
    if tier == "none":
        check(f"{name}: retracts unknown (null)", got is None, f"got {got}")
        return
    check_units(check, name, reports)
    check_losses(check, name, reports)
    check_in_buckets(check, name, "retract_ns", reports[0]["totals"]
                     ["retract_ns"], [reports[0]["histograms"]["retract_ns"]])
    want = truth["expected_retracts"]
    if truth.get("observed_pmd_mapped") not in (None, want):
        print(f"NOTE {name}: {truth['observed_pmd_mapped']} ranges PMD-mapped"
              f" after {want} collapses")
    check(f"{name}: retracts == {want}", got == want, f"got {got}")
    check(f"{name}: row retracts == {want}",
          sum(p["retracts"] for p in rows) == want,
          f"rows {reports[0]['processes']}")


def check_odd_text(check, name, runs):
    """A name with control characters: every row of it in the text table
    is one line, escaped, and no control character reaches the text."""
    run = runs.get("hugetlb:odd_text", {})
    want = 'a"b\\\\c\\nd\\te\\x1b[31mR'
    lines = run.get("report", [])
    rows = [line for line in lines
            if re.fullmatch(r"\d+ +" + re.escape(want) + r" +(\d+|n/a) .*",
                            line)]
    # It may also hold i_mmap_rwsem while another waits: a holder line
    # (waits, time, pid, name, lock; user/owners.c), escaped the same.
    holders = [line for line in lines
               if re.fullmatch(r" *\d+ +\d+ us +\d+ +" + re.escape(want) +
                               r" .*", line)]
    named = [line for line in lines if 'a"b' in line]
    check(f"{name} hugetlb:odd_text: escaped rows only, no raw control",
          run.get("rc") == ["0"] and rows and
          len(rows) + len(holders) == len(named) and
          not any(c < " " for line in lines for c in line),
          f"rc {run.get('rc')} rows {named} stderr {run.get('stderr')}")


def check_arm64_share(check, name, doc, kernel):
    """Where arm64 cannot tell shared PMD tables, probes says why."""
    obs = [o for o in doc["views"]["hugetlb"]
           if o["name"] == "hugetlb.pmd_share"][0]
    reasons = [r.get("reason", "") for r in obs.get("rejected", [])]
    check(f"{name}: probes says hugetlb.pmd_share needs mem_section",
          reasons and all("mem_section" in r and "KALLSYMS_ALL" in r
                          for r in reasons), f"rejected: {reasons}")


def check_console(path, kernel, check, check_fork, check_tiers):
    runs = parse_console(path)
    name = f"vm {kernel}"
    probes = runs.get("probes", {})
    try:
        doc = json.loads("".join(probes.get("json", [])))
        check_tiers(name, doc, "hugetlb",
                    [f"{k}={v}" for k, v in TIERS[kernel].items()])
        if kernel.startswith("arm64-") and \
                TIERS[kernel]["hugetlb.pmd_share"] == "none":
            check_arm64_share(check, name, doc, kernel)
    except (ValueError, KeyError) as e:
        check(f"{name}: hugetlb probes JSON", False, repr(e))
    for case, cap in CASES:
        check_case(check, kernel, f"{name} {case}", runs.get(case, {}), cap)
    check_odd_text(check, name, runs)
    for cap in ("fentry", "kprobe"):
        case = f"hugetlb:retract@{cap}"
        check_retract(check, kernel, f"{name} {case}", runs.get(case, {}),
                      cap)
