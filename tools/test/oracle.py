#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare mmtrace reports with what a workload knows to be true.

Every check prints one line, PASS or FAIL, for run.sh to count. The
expected numbers come from the workload's own JSON, never from tuning.

  oracle.py fork REPORTS TRUTH [--tier T] [--name N]   pinfork/forkmix runs
  oracle.py tiers PROBES VIEW OBS=TIER...              mmtrace probes --json
  oracle.py vm CONSOLE_LOG KERNEL                      a whole VM run
"""
import json
import sys

failures = 0


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"PASS {name}")
    else:
        failures += 1
        print(f"FAIL {name}: {detail}")


def read_json_lines(path):
    with open(path, encoding="utf-8") as f:  # strict: invalid UTF-8 fails
        return [json.loads(line) for line in f if line.strip()]


def sum_totals(reports, key):
    vals = [r["totals"][key] for r in reports]
    return None if None in vals else sum(vals)


def rows_of(reports, pid):
    return [p for r in reports for p in r["processes"] if p["pid"] == pid]


def check_fork(name, reports, truth, tier=None):
    """Exact totals and per-process rows against pinfork/forkmix truth."""
    check(f"{name}: one final report", reports and reports[-1]["final"],
          f"{len(reports)} reports")
    if not reports:
        return
    if tier:
        got = reports[-1]["probes"]["fork.pinned_copies"]
        check(f"{name}: pinned_copies tier {tier}", got == tier, f"got {got}")
    forks = truth.get("forks_ok", truth.get("forks"))
    rows = rows_of(reports, truth["pid"])
    check(f"{name}: forks == {forks}", sum_totals(reports, "forks") == forks,
          f"got {sum_totals(reports, 'forks')}")
    check(f"{name}: one process row per report",
          rows and all(len(r["processes"]) <= 1 for r in reports),
          f"rows {[len(r['processes']) for r in reports]}")
    check(f"{name}: row forks == {forks}",
          sum(p["forks"] for p in rows) == forks,
          f"got {[p['forks'] for p in rows]}")
    for key in ("vforks", "threads"):
        if key in truth:
            got = sum_totals(reports, key)
            check(f"{name}: {key} == {truth[key]}", got == truth[key],
                  f"got {got}")
    if "expected_pinned_copies" not in truth:
        return
    # What the kernel really did, measured by pagemap PFNs in parent and
    # child, beats the model (N pages x F forks) where the two disagree.
    want = truth["expected_pinned_copies"]
    if truth.get("observed_copies") is not None:
        if truth["observed_copies"] != want:
            print(f"NOTE {name}: the kernel copied {truth['observed_copies']}"
                  f" pages, the model expected {want}")
        want = truth["observed_copies"]
    unit = truth["expected_unit"]
    key = "pinned_copies" if unit == "base_pages" else "hugetlb_copies"
    got = sum_totals(reports, key)
    check(f"{name}: {key} == {want} ({unit})", got == want, f"got {got}")
    check(f"{name}: row {key} == {want}",
          sum(p[key] or 0 for p in rows) == want,
          f"got {[p[key] for p in rows]}")
    if truth.get("thp"):
        check_thp_splits(name, reports, truth)
    pinned = truth["mode"] != "nopin"
    check(f"{name}: has_pinned == {pinned}",
          all(p["has_pinned"] == pinned for p in rows),
          f"got {[p['has_pinned'] for p in rows]}")
    hist = "has_pinned" if pinned else "no_pinned"
    got = sum(b["count"] for r in reports for b in r["latency_us"][hist])
    check(f"{name}: {forks} forks in the {hist} latency histogram",
          got == forks, f"got {got}")


def check_thp_splits(name, reports, truth):
    """Splits counted, or honestly unknown where no tier can see them."""
    want = truth["expected_thp_splits"]
    if truth.get("observed_thp_splits") is not None:
        want = truth["observed_thp_splits"]  # system-wide vmstat delta
    got = sum_totals(reports, "thp_splits")
    if reports[-1]["probes"]["fork.thp_splits"] == "none":
        check(f"{name}: thp_splits unknown without a probe", got is None,
              f"got {got}")
    else:
        check(f"{name}: thp_splits == {want}", got == want, f"got {got}")


def check_tiers(name, probes, view, expect):
    obs = {o["name"]: o for o in probes["views"][view]}
    for item in expect:
        key, tier = item.split("=")
        got = obs.get(key, {}).get("tier")
        reasons = "; ".join(r["reason"] for r in obs.get(key, {}).get(
            "rejected", []))
        check(f"{name}: {key} tier {tier}", got == tier,
              f"got {got} ({reasons})")


def main(argv):
    cmd = argv[1]
    if cmd == "fork":
        reports = read_json_lines(argv[2])
        truth = read_json_lines(argv[3])[-1]
        tier = argv[argv.index("--tier") + 1] if "--tier" in argv else None
        name = argv[argv.index("--name") + 1] if "--name" in argv else "fork"
        check_fork(name, reports, truth, tier)
    elif cmd == "tiers":
        check_tiers(f"probes {argv[3]}",
                    read_json_lines(argv[2])[-1], argv[3], argv[4:])
    elif cmd == "vm":
        import vm_expect
        vm_expect.check_console(argv[2], argv[3], check, check_fork,
                                check_tiers)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
