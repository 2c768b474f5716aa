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
  oracle.py reasons STDERR PROBES VIEW [--refused] [--name N]
            the warnings (or the refusal) give this kernel's own reasons
  oracle.py gup REPORTS TRUTH [--name N]      a gupwork vmsplice run
  oracle.py locks REPORTS TRUTH --threads T [--name N] [--expect-tiers
            OBS=TIER,...]                    an mmapstorm run (vm_locks.py)
  oracle.py vmafault REPORTS TRUTH [--name N]
                                             a vmafault run (vm_locks.py)
  oracle.py follow REPORTS TRUTH --clones K [--alone] [--absent-comm C]
            [--name N]      mmtrace fork -- SHELL running a workload: its
                            forks exact (--alone: not traced), plus the
                            shells' K clones; no row named C
  oracle.py owners REPORTS TRUTH [--name N]    a tools/lockhold run: who held
                                             mmap_lock (vm_locks.py)
  oracle.py boundary WHOLE INTERVALS --pid P --faults F --outcome exit|end
            [--name N]
            a faultspin run: -i reports add up to the whole, never wrapped
  oracle.py vm CONSOLE_LOG KERNEL              a whole VM run
"""
import json
import os
import re
import sys
import traceback

failures = 0

# The JSON contract of README.md that the checks below read.
REPORT_FIELDS = ("final", "probes", "totals", "processes", "latency_ns",
                 "copies_per_fork", "lost", "units")
TOTAL_FIELDS = ("forks", "vforks", "threads", "failed", "pinned_copies",
                "thp_splits", "hugetlb_copies")
ROW_FIELDS = ("pid", "comm", "forks", "vforks", "threads", "failed",
              "pinned_copies", "thp_splits", "hugetlb_copies", "has_pinned",
              "fork_total_ns", "fork_max_ns", "copy_page_range_ns")
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
        parts = (("totals", TOTAL_FIELDS), ("latency_ns", LATENCY_FIELDS),
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
            got = sum(p[key] for p in rows)
            check(f"{name}: row {key} == {truth[key]}", got == truth[key],
                  f"got {got}")
    # fork.clones counts, fork.syscalls times: each clone is both, once.
    if "vforks" in truth:
        got = sum(b["count"] for r in reports for b in r["latency_ns"]["vfork"])
        check(f"{name}: {truth['vforks']} vforks in the vfork latency histogram",
              got == truth["vforks"], f"got {got}")
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
    got = sum(b["count"] for r in reports for b in r["latency_ns"][hist])
    check(f"{name}: {forks} forks in the {hist} latency histogram",
          got == forks, f"got {got}")
    vmlib().check_units(check, name, reports)
    vmlib().check_losses(check, name, reports)
    vmlib().check_in_buckets(
        check, name, "rows' fork_total_ns", sum(p["fork_total_ns"]
                                                for p in rows),
        [r["latency_ns"][hist] for r in reports])


def vmlib():
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vmlib as lib
    return lib


def check_follow(name, reports, truth, clones, alone, absent_comm=None):
    """A workload run by a shell under mmtrace fork -- COMMAND: followed, its
    row has its exact forks; --no-children (@alone), it has none. The
    shells around it made @clones forks and vforks."""
    if not check(f"{name}: reports and a truth", reports and truth.get("pid"),
                 f"{len(reports)} reports, truth {truth}"):
        return
    check_common(name, reports)
    pid = truth["pid"]
    rows = rows_of(reports, pid)
    in_rows = sum(p["forks"] + p["vforks"] for r in reports
                  for p in r["processes"])
    total = sum_totals(reports, "forks") + sum_totals(reports, "vforks")
    mine = 0 if alone else truth["forks"] + truth.get("vforks", 0)
    if alone:
        check(f"{name}: no row of the workload (pid {pid})", not rows,
              f"rows {rows}")
    else:
        # A subshell that execs the workload keeps its pid: its own
        # clone (e.g. of sleep) is a vfork in the same row.
        check(f"{name}: the workload's row (pid {pid}): forks == "
              f"{truth['forks']}", rows and
              sum(p["forks"] for p in rows) == truth["forks"],
              f"rows {rows}")
    check(f"{name}: forks + vforks == {mine} + the shells' {clones}, "
          f"in rows too", total == mine + clones and in_rows == total,
          f"totals {total}, rows {in_rows}")
    if absent_comm:
        named = [p for r in reports for p in r["processes"]
                 if p["comm"] == absent_comm]
        check(f"{name}: no row of {absent_comm}", not named, f"{named}")


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


def check_reasons(name, err, probes, view, refused):
    """What mmtrace says on stderr about each observation it cannot attach
    must be why on this kernel: the reasons `mmtrace probes` gives for it,
    in its own warning line (or, for a view that refuses to run, after the
    refusal), not a guess about other kernels."""
    lines = err.splitlines()
    missing = [o for o in probes["views"][view] if o["tier"] == "none"]
    if refused:
        at = [i for i, line in enumerate(lines)
              if line.startswith(f"mmtrace: cannot trace {view}: ")]
        if not check(f"{name}: refuses to run, with its reasons", at,
                     f"stderr {err[:300]!r}"):
            return
        text = "\n".join(lines[at[0]:])
    for o in missing:
        reasons = {r["reason"] for r in o["rejected"]}
        if not refused:
            warn = [line for line in lines if line.startswith(
                f"mmtrace: warning: {o['name']} unavailable: ")]
            if not check(f"{name}: one warning for {o['name']}",
                         len(warn) == 1, f"{warn}"):
                continue
            text = warn[0]
        absent = sorted(r for r in reasons if r not in text)
        check(f"{name}: {o['name']}: says this kernel's reasons "
              f"({len(reasons)})", reasons and not absent,
              f"missing {absent} in {text[:400]!r}")
    if not refused:
        others = [line for line in lines if "warning:" in line and
                  "unavailable" in line and not any(
                      f" {o['name']} unavailable" in line for o in missing)]
        check(f"{name}: no warning for an attached observation", not others,
              f"{others}")


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


def check_vmafault(name, reports, truth):
    """A vmafault run followed with -p (vm_locks.check_vma_causes)."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vm_locks
    if not check(f"{name}: a report and a truth", reports and truth,
                 f"{len(reports)} reports, truth {truth}"):
        return
    vm_locks.check_vma_causes(check, name, reports, truth)


def check_owners(name, reports, truth):
    """A tools/lockhold run followed with -p (vm_locks.py checks it)."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vm_locks
    if not check(f"{name}: a report and a truth", reports and truth and
                 truth.get("errno") == 0,
                 f"{len(reports)} reports, truth {truth}"):
        return
    if truth.get("peeker_pid"):
        vm_locks.check_other_mm(check, name, reports, truth)
    else:
        vm_locks.check_owners(check, name, reports, truth)


def wrapped(value, where="report"):
    """Every number in @value that is negative or above 2^63, by path: a
    count computed as a difference that went below zero."""
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in wrapped(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [w for i, v in enumerate(value)
                for w in wrapped(v, f"{where}[{i}]")]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and \
            not 0 <= value < 2 ** 63:
        return [f"{where}={value}"]
    return []


BOUNDARY_FIELDS = ("faults", "vma_lock_faults", "vma_lock_fallbacks")


def check_boundary(name, whole, intervals, pid, faults, outcome):
    """faultspin: one fault, its outcome learnt at exit, reports later."""
    if not check(f"{name}: one whole-run report, 2+ interval reports",
                 len(whole) == 1 and whole[0].get("final") and
                 len(intervals) >= 3 and intervals[-1].get("final"),
                 f"{len(whole)} and {len(intervals)} reports"):
        return
    bad = [w for i, r in enumerate(intervals) for w in wrapped(r, f"[{i}]")]
    bad += wrapped(whole[0], "whole")
    check(f"{name}: no number negative or wrapped", not bad, "; ".join(bad))
    w = rows_of(whole, pid)
    check(f"{name}: faultspin faulted once after the start ({faults})",
          faults == 1 and sum(p["faults"] for p in w) == faults,
          f"minflt grew by {faults}, rows {w}")
    for key in BOUNDARY_FIELDS:
        got = [p[key] for p in rows_of(intervals, pid)]
        want = sum(p[key] for p in w)
        check(f"{name}: rows' {key} over the intervals == whole run ({want})",
              None not in got and sum(got) == want, f"got {got}")
        got = [r["totals"][key] for r in intervals]
        want = whole[0]["totals"][key]
        check(f"{name}: totals' {key} over the intervals == whole run "
              f"({want})", None not in got and sum(got) == want,
              f"got {got}")
    t = whole[0]["totals"]
    check(f"{name}: whole run: faults == under the VMA lock + fallbacks",
          t["faults"] == t["vma_lock_faults"] + t["vma_lock_fallbacks"],
          f"totals {t}")
    late = [i for i, r in enumerate(intervals) if any(
        p["faults"] == 0 and (p["vma_lock_faults"] or p["vma_lock_fallbacks"])
        for p in r["processes"] if p["pid"] == pid)]
    check(f"{name}: the fault's outcome came in a later interval", late,
          f"rows {rows_of(intervals, pid)}")
    if outcome == "end":
        # No mmap_lock since the fault: the final report counts it served.
        check(f"{name}: still undecided at the end: under the VMA lock",
              t["vma_lock_faults"] == faults and late == [len(intervals) - 1],
              f"totals {t}, late {late}")


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
    elif cmd == "reasons":
        with open(argv[2], encoding="utf-8") as f:
            err = f.read()
        check_reasons(opt(argv, "--name", "reasons"), err,
                      last_line(argv[3]), argv[4], "--refused" in argv)
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
    elif cmd == "vmafault":
        check_vmafault(opt(argv, "--name", "vmafault"),
                       read_json_lines(argv[2]), last_line(argv[3]))
    elif cmd == "owners":
        check_owners(opt(argv, "--name", "owners"), read_json_lines(argv[2]),
                     last_line(argv[3]))
    elif cmd == "follow":
        check_follow(opt(argv, "--name", "follow"), read_json_lines(argv[2]),
                     last_line(argv[3]), int(opt(argv, "--clones", 0)),
                     "--alone" in argv, opt(argv, "--absent-comm"))
    elif cmd == "boundary":
        check_boundary(opt(argv, "--name", "boundary"),
                       read_json_lines(argv[2]), read_json_lines(argv[3]),
                       int(opt(argv, "--pid")), int(opt(argv, "--faults")),
                       opt(argv, "--outcome"))
    elif cmd == "vm":
        sys.dont_write_bytecode = True  # no __pycache__ in the tree
        import glob
        import importlib
        import os
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, here)
        # First: a view's checks that crash on what a killed process
        # left must not hide where it was stuck.
        vmlib().check_hangs(check, f"vm {argv[3]}", argv[2])
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


def run_main(main, name, what="oracle"):
    """Exits with main(sys.argv)'s status; a crash is a FAIL under @name
    (with where it happened), never silence."""
    try:
        rc = main(sys.argv)
    except Exception as e:  # a crash must be a FAIL, never silence
        where = " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} "
                            f"{f.name}" for f in
                            reversed(traceback.extract_tb(e.__traceback__)))
        print(f"FAIL {name}: {what} crashed: {type(e).__name__}: {e} "
              f"(at {where})")
        rc = 1
    sys.exit(rc)


if __name__ == "__main__":
    run_main(main, crash_name(sys.argv))
