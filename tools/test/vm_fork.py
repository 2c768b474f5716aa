# SPDX-License-Identifier: GPL-2.0
"""What each kernel of the matrix must show, and the checks of a VM run.

The tiers follow ../shared/kernel-probe-map.md: fentry wherever the
function is out of line and the trampoline takes its arguments; 6.1 and
5.10 trampolines refuse more than 6 arguments, so copy_huge_pmd (7) falls
to kretprobe there.
"""
import json

from vmlib import arm64_tiers, case_json, exit_zero, parse_console

TIERS = {
    "5.10": {"fork.clones": "tracepoint", "fork.syscalls": "tracepoint",
             "fork.pinned_copies": "fentry", "fork.thp_splits": "kprobe",
             "fork.hugetlb_copies": "fentry"},
    "6.1": {"fork.clones": "tracepoint", "fork.syscalls": "tracepoint",
            "fork.pinned_copies": "fentry", "fork.thp_splits": "kprobe",
            "fork.hugetlb_copies": "fentry"},
    "6.12": {"fork.clones": "tracepoint", "fork.syscalls": "tracepoint",
             "fork.pinned_copies": "fentry", "fork.thp_splits": "fentry",
             "fork.hugetlb_copies": "fentry"},
    "7.3": {"fork.clones": "tracepoint", "fork.syscalls": "tracepoint",
            "fork.pinned_copies": "fentry", "fork.thp_splits": "fentry",
            "fork.hugetlb_copies": "fentry"},
}
# Debian's arm64 6.1 has no fentry; its 6.12 attaches what x86's does.
TIERS["arm64-6.1"] = arm64_tiers(TIERS["6.1"])
TIERS["arm64-6.12"] = dict(TIERS["6.12"])

TIER_ORDER = ("fentry", "kprobe", "tracepoint")


def cases():
    """(case name, --tier given) as guest_fork.sh runs them."""
    for tier in TIER_ORDER:
        for case in ("pin", "dontfork", "nopin", "hugetlb", "thp"):
            yield f"{case}@{tier}", tier
    yield "pin_big", "fentry"
    yield "mix", "fentry"


def expected_tier(kernel, obs, cap):
    """The kernel's tier for @obs, or the --tier cap if that is poorer."""
    best = TIERS[kernel][obs]
    if best == "none":
        return best
    if TIER_ORDER.index(best) >= TIER_ORDER.index(cap):
        return best
    # Capped: the next plan down; hugetlb and THP have no tracepoint plan.
    if cap == "tracepoint" and obs in ("fork.thp_splits",
                                       "fork.hugetlb_copies"):
        return "none"
    return cap


def check_case(check, check_fork, kernel, cname, run, cap):
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if reports is None:
        return
    if not reports or not truth:
        check(f"{cname}: has a report and a truth", False, str(run))
        return
    probes = reports[-1]["probes"]
    for obs in TIERS[kernel]:
        want = expected_tier(kernel, obs, cap)
        check(f"{cname}: {obs} tier {want}", probes.get(obs) == want,
              f"got {probes.get(obs)}")
    hugetlb = truth.get("expected_unit") == "huge_pages"
    # Where no probe sees hugetlb copies (tracepoint tier), check_fork
    # requires them reported unknown (null) instead of a number.
    check_fork(cname, reports, truth, None)
    if hugetlb:
        got = reports[-1]["totals"]["pinned_copies"]
        check(f"{cname}: no base-page copies", got == 0, f"got {got}")


def check_console(path, kernel, check, check_fork, check_tiers):
    runs = parse_console(path)
    name = f"vm {kernel}"
    probes = runs.get("probes", {})
    check(f"{name}: mmtrace probes exits 0", probes.get("rc") == ["0"],
          f"rc {probes.get('rc')} {probes.get('stderr')}")
    try:
        doc = json.loads("".join(probes.get("json", [])))
        check_tiers(name, doc, "fork",
                    [f"{k}={v}" for k, v in TIERS[kernel].items()])
    except (ValueError, KeyError) as e:
        check(f"{name}: probes JSON", False, repr(e))
    for case, cap in cases():
        check_case(check, check_fork, kernel, f"{name} {case}",
                   runs.get(case, {}), cap)
