#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare mmtrace reports with what a workload knows to be true.

Every check prints one line, PASS or FAIL, for run.sh to count. The
expected numbers come from the workload's own JSON, never from tuning.
A crash of the oracle itself prints a FAIL line too: it must never look
like a pass.

  oracle.py fork REPORTS TRUTH [--tier T] [--name N] [--busy-reports K]
                                    pinfork/forkmix runs; K reports with forks
  oracle.py rows REPORTS [--name N] a system-wide run: rows add up to totals
  oracle.py tiers PROBES VIEW OBS=TIER...      mmtrace probes --json
  oracle.py nokprobe PROBES VIEW OBS...        no kprobe PMU: OBS says so
  oracle.py hugetlb-none REPORTS [--name N]    hugetlb where nothing is seen
  oracle.py gup REPORTS TRUTH [--name N]      a gupwork vmsplice run
  oracle.py locks REPORTS TRUTH --threads T [--name N] [--expect-tiers
            OBS=TIER,...]                    an mmapstorm run (vm_locks.py)
  oracle.py vm CONSOLE_LOG KERNEL              a whole VM run
"""
import json
import os
import re
import sys
import traceback

failures = 0

# The JSON contract of README.md that the checks below read.
REPORT_FIELDS = ("final", "probes", "totals", "processes", "latency_us",
                 "copies_per_fork", "lost")
TOTAL_FIELDS = ("forks", "vforks", "threads", "failed", "pinned_copies",
                "thp_splits", "hugetlb_copies")
ROW_FIELDS = ("pid", "comm", "forks", "vforks", "threads", "failed",
              "pinned_copies", "thp_splits", "hugetlb_copies", "has_pinned")
LATENCY_FIELDS = ("has_pinned", "no_pinned", "vfork")
LOST_FIELDS = ("window_map_full", "proc_map_full")
# Counters a process row and the totals share: rows must add up to totals.
ROW_COUNTERS = ("forks", "vforks", "threads", "failed", "pinned_copies",
                "hugetlb_copies")
TRUTH_FIELDS = ("pid", "expected_pinned_copies", "expected_unit", "mode")
KPROBES_OFF = re.compile(r"kprobes?\b.*\b(not available|unavailable)", re.I)


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"PASS {name}")
    else:
        failures += 1
        print(f"FAIL {name}: {detail}")
    return bool(ok)


def read_json_lines(path):
    with open(path, encoding="utf-8") as f:  # strict: invalid UTF-8 fails
        return [json.loads(line) for line in f if line.strip()]


def last_line(path):
    """The last JSON line of @path, or {} for an empty file."""
    lines = read_json_lines(path)
    return lines[-1] if lines else {}


def report_problems(reports):
    """What the reports lack of the contract, as a list of strings."""
    if not reports:
        return ["no report"]
    missing = set()
    for r in reports:
        missing.update(f for f in REPORT_FIELDS if f not in r)
        parts = (("totals", TOTAL_FIELDS), ("latency_us", LATENCY_FIELDS),
                 ("lost", LOST_FIELDS))
        for part, fields in parts:
            missing.update(f"{part}.{f}" for f in fields
                           if f not in r.get(part, {}))
        for p in r.get("processes", []):
            missing.update(f"processes[].{f}" for f in ROW_FIELDS
                           if f not in p)
    return [f"reports lack {', '.join(sorted(missing))}"] if missing else []


def truth_problems(truth):
    if not truth:
        return ["no truth (empty workload output)"]
    missing = [f for f in TRUTH_FIELDS if f not in truth]
    if "forks_ok" not in truth and "forks" not in truth:
        missing.append("forks")
    return [f"truth lacks {', '.join(missing)}"] if missing else []


def sum_totals(reports, key):
    vals = [r["totals"][key] for r in reports]
    return None if None in vals else sum(vals)


def rows_of(reports, pid):
    return [p for r in reports for p in r["processes"] if p["pid"] == pid]


def check_common(name, reports):
    """Checks every run must pass: one final report, nothing lost."""
    finals = [r["final"] for r in reports]
    check(f"{name}: one final report, the last", finals.count(True) == 1
          and finals[-1], f"final flags {finals}")
    lost = [(i, r["lost"]) for i, r in enumerate(reports)
            if any(r["lost"][k] for k in LOST_FIELDS)]
    check(f"{name}: nothing lost", not lost, f"lost (report, counts) {lost}")


def check_fork(name, reports, truth, tier=None, busy=0):
    """Exact totals and per-process rows against pinfork/forkmix truth."""
    problems = report_problems(reports) + truth_problems(truth)
    if not check(f"{name}: reports and truth complete", not problems,
                 "; ".join(problems)):
        return
    check_common(name, reports)
    if tier:
        got = reports[-1]["probes"].get("fork.pinned_copies")
        check(f"{name}: pinned_copies tier {tier}", got == tier, f"got {got}")
    pid = truth["pid"]
    forks = truth.get("forks_ok", truth.get("forks"))
    rows = rows_of(reports, pid)
    check(f"{name}: forks == {forks}", sum_totals(reports, "forks") == forks,
          f"got {sum_totals(reports, 'forks')}")
    others = sorted({p["pid"] for r in reports for p in r["processes"]} -
                    {pid})
    check(f"{name}: rows of pid {pid} only, one per report",
          rows and not others and
          all(len(r["processes"]) <= 1 for r in reports),
          f"other pids {others}, rows {[len(r['processes']) for r in reports]}")
    check(f"{name}: row forks == {forks}",
          sum(p["forks"] for p in rows) == forks,
          f"got {[p['forks'] for p in rows]}")
    for key in ("vforks", "threads"):
        if key in truth:
            got = sum_totals(reports, key)
            check(f"{name}: {key} == {truth[key]}", got == truth[key],
                  f"got {got}")
    if busy:
        n = sum(1 for r in reports if r["totals"]["forks"])
        check(f"{name}: {busy}+ reports with forks", n >= busy,
              f"{n} of {len(reports)}: "
              f"{[r['totals']['forks'] for r in reports]}")
    check_copies(name, reports, truth, rows)
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


def check_copies(name, reports, truth, rows):
    """Pinned copies exact, or honestly unknown where no tier sees them."""
    unit = truth["expected_unit"]
    key = "pinned_copies" if unit == "base_pages" else "hugetlb_copies"
    got = sum_totals(reports, key)
    if reports[-1]["probes"].get(f"fork.{key}") == "none":
        # The tracepoint tier cannot see pool pages: it must say so.
        check(f"{name}: {key} unknown without a probe",
              got is None and all(p[key] is None for p in rows),
              f"got {got}, rows {[p[key] for p in rows]}")
        return
    # What the kernel really did, measured by pagemap PFNs in parent and
    # child, beats the model (N pages x F forks) where the two disagree.
    want = truth["expected_pinned_copies"]
    if truth.get("observed_copies") is not None:
        if truth["observed_copies"] != want:
            print(f"NOTE {name}: the kernel copied {truth['observed_copies']}"
                  f" pages, the model expected {want}")
        want = truth["observed_copies"]
    check(f"{name}: {key} == {want} ({unit})", got == want, f"got {got}")
    check(f"{name}: row {key} == {want}",
          sum(p[key] or 0 for p in rows) == want,
          f"got {[p[key] for p in rows]}")


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


def check_rows(name, reports):
    """A system-wide run: summed over reports, rows add up to the totals."""
    problems = report_problems(reports)
    if not check(f"{name}: reports complete", not problems,
                 "; ".join(problems)):
        return
    check_common(name, reports)
    forks = sum_totals(reports, "forks")
    check(f"{name}: saw forks", forks, f"totals.forks {forks}")
    for key in ROW_COUNTERS:
        total = sum_totals(reports, key)
        vals = [p[key] for r in reports for p in r["processes"]]
        per = [(sum(p[key] or 0 for p in r["processes"]), r["totals"][key])
               for r in reports]
        if total is None:
            check(f"{name}: {key} unknown in rows too",
                  all(v is None for v in vals), f"rows {set(vals)}")
            continue
        got = sum(v or 0 for v in vals)
        check(f"{name}: rows' {key} add up to totals ({total})",
              got == total, f"rows {got}; per report (rows, totals) {per}")


def check_tiers(name, probes, view, expect):
    obs = {o["name"]: o for o in probes["views"][view]}
    for item in expect:
        key, tier = item.split("=")
        got = obs.get(key, {}).get("tier")
        reasons = "; ".join(r["reason"] for r in obs.get(key, {}).get(
            "rejected", []))
        check(f"{name}: {key} tier {tier}", got == tier,
              f"got {got} ({reasons})")


def check_no_kprobes(name, probes, view, keys):
    """Without a kprobe PMU nothing may claim kprobes, and it must say why."""
    obs = {o["name"]: o for o in probes["views"][view]}
    for key in keys:
        o = obs.get(key, {})
        check(f"{name}: {key} not on kprobes", o.get("tier") not in
              ("kprobe", None), f"got {o.get('tier')}")
        why = [r.get("reason", "") for r in o.get("rejected", [])
               if r.get("tier") == "kprobe"]
        check(f"{name}: {key} says kprobes are not available",
              any(KPROBES_OFF.search(r) for r in why),
              f"kprobe rejections {why}")


def check_hugetlb_none(name, reports):
    """A hugetlb run where nothing is observable: every number is null."""
    if not check(f"{name}: one final report", len(reports) == 1 and
                 reports[0].get("final"), f"{len(reports)} reports"):
        return
    r = reports[0]
    tiers = {k: v for k, v in r["probes"].items() if k.startswith("hugetlb.")}
    check(f"{name}: no hugetlb observation has a probe",
          tiers and all(v == "none" for v in tiers.values()), f"{tiers}")
    totals = r["totals"]
    check(f"{name}: totals null, never 0",
          all(totals[k] is None for k in ("pmd_share_calls", "pmd_shared",
                                          "pmd_share_ns", "i_mmap_waits",
                                          "pmd_unshares", "retracts")),
          f"{totals}")
    check(f"{name}: no rows", r["processes"] == [], f"{r['processes']}")


def check_gup(name, reports, truth):
    """A gupwork vmsplice run on any kernel: what vmsplice does with it is
    the same from 5.10 to 7.x (see vm_gup.py)."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vm_gup
    if not check(f"{name}: one final report and a vmsplice truth",
                 len(reports) == 1 and reports[0].get("final") and
                 truth.get("work") == "vmsplice",
                 f"{len(reports)} reports, truth {truth}"):
        return
    rep = reports[0]
    check(f"{name}: nothing lost", not any(rep["lost"].values()),
          f"lost {rep['lost']}")
    split = rep["probes"].get("gup.slow_path") != "none"
    vm_gup.check_numbers(check, name, rep, truth, None, split)


def check_locks(name, reports, truth, threads, expect_tiers):
    """An mmapstorm run followed with -p: the checks live in vm_locks.py,
    which the VM tests share."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vm_locks
    if not check(f"{name}: a report and a truth", reports and truth,
                 f"{len(reports)} reports, truth {truth}"):
        return
    probes = reports[-1]["probes"]
    for item in filter(None, (expect_tiers or "").split(",")):
        key, tier = item.split("=")
        check(f"{name}: {key} tier {tier}", probes.get(key) == tier,
              f"got {probes.get(key)}")
    vm_locks.check_numbers(check, name, reports, truth, threads)


def check_holds(name, reports):
    """A storm followed from before it began until after it released all
    it took: every hold that began ended, once, whichever way mmtrace keeps
    a thread's state (task-local storage, or the hash by thread id)."""
    def total(key):
        return sum(r["totals"][key] or 0 for r in reports)

    def samples(kind):
        return sum(b["count"] for r in reports
                   for b in r["mmap_lock_ns"][kind] or [])

    misses = sum(n for r in reports for p, n in
                 r["lost"]["recursion_misses_by_program"].items()
                 if p.startswith("mmap_"))
    began = (total("mmap_read_acquired") + total("mmap_write_acquired") +
             total("mmap_downgrades") - total("mmap_nested"))
    ended = samples("read_hold") + samples("write_hold")
    if misses:
        check(f"{name}: holds ended ({ended}) == holds begun ({began}), "
              f"but for the {misses} events missed",
              abs(ended - began) <= misses, "")
    else:
        check(f"{name}: holds ended == holds begun ({began})",
              ended == began, f"{ended} ended")
    check(f"{name}: every release matched its acquisition",
          total("mmap_unmatched_releases") <= misses,
          f"{total('mmap_unmatched_releases')} unmatched")
    waits = samples("read_wait") + samples("write_wait")
    tried = (total("mmap_read_acquired") + total("mmap_write_acquired") +
             total("mmap_read_failed") + total("mmap_write_failed"))
    check(f"{name}: a wait per acquisition with a start, at most"
          f" ({waits} <= {tried})", 0 < waits <= tried, "")


def opt(argv, flag, default=None):
    return argv[argv.index(flag) + 1] if flag in argv else default


def main(argv):
    cmd = argv[1]
    if cmd == "fork":
        check_fork(opt(argv, "--name", "fork"), read_json_lines(argv[2]),
                   last_line(argv[3]), opt(argv, "--tier"),
                   int(opt(argv, "--busy-reports", 0)))
    elif cmd == "rows":
        check_rows(opt(argv, "--name", "rows"), read_json_lines(argv[2]))
    elif cmd == "tiers":
        check_tiers(f"probes {argv[3]}", last_line(argv[2]), argv[3],
                    argv[4:])
    elif cmd == "nokprobe":
        check_no_kprobes(f"probes {argv[3]} without kprobes",
                         last_line(argv[2]), argv[3], argv[4:])
    elif cmd == "hugetlb-none":
        check_hugetlb_none(opt(argv, "--name", "hugetlb"),
                           read_json_lines(argv[2]))
    elif cmd == "gup":
        check_gup(opt(argv, "--name", "gup"), read_json_lines(argv[2]),
                  last_line(argv[3]))
    elif cmd == "locks":
        check_locks(opt(argv, "--name", "locks"), read_json_lines(argv[2]),
                    last_line(argv[3]), int(opt(argv, "--threads", 1)),
                    opt(argv, "--expect-tiers"))
        if "--holds" in argv:
            check_holds(opt(argv, "--name", "locks"),
                        read_json_lines(argv[2]))
    elif cmd == "vm":
        sys.dont_write_bytecode = True  # no __pycache__ in the tree
        import glob
        import importlib
        import os
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, here)
        for path in sorted(glob.glob(os.path.join(here, "vm_*.py"))):
            view = importlib.import_module(os.path.basename(path)[:-3])
            view.check_console(argv[2], argv[3], check, check_fork,
                               check_tiers)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failures else 0


def crash_name(argv):
    """The name a crash is reported under: the case's, when known."""
    if "--name" in argv[:-1]:
        return opt(argv, "--name")
    if argv[1:2] == ["vm"] and len(argv) > 3:
        return f"vm {argv[3]}"
    return "oracle " + " ".join(argv[1:2])


if __name__ == "__main__":
    try:
        rc = main(sys.argv)
    except Exception as e:  # a crash must be a FAIL, never silence
        where = " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} "
                            f"{f.name}" for f in
                            reversed(traceback.extract_tb(e.__traceback__)))
        print(f"FAIL {crash_name(sys.argv)}: oracle crashed: "
              f"{type(e).__name__}: {e} (at {where})")
        rc = 1
    sys.exit(rc)
