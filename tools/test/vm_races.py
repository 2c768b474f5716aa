# SPDX-License-Identifier: GPL-2.0
"""GUP-fast racing fork, GUP-fast calls and page faults meeting page-table
retraction: mmtrace against an independent trace of the run (the
retraction cases: check_retract, check_retract_fault).

guest_races.sh runs pinrace (one thread pins an io_uring buffer in a loop
while another thread, or another process, forks) under mmtrace gup or fork,
with a tracefs instance of its own recording, by kprobes, every GUP-fast
core call (entry, the slow path's start, return) and every copy_page_range
call (entry with the VMA's flags and mm, return). From that trace alone:

- a COW window is a copy_page_range call on a VMA that is private and may
  be written (not hugetlb) of the pinning process's mm; the kernel holds
  write_protect_seq odd strictly inside it (after its prologue, before its
  epilogue);
- a pushed call is a FOLL_PIN call whose slow path starts at its first
  page, between whose entry and slow-path start some COW window was open;
- a call during a window is any call between whose entry and its slow
  path's start (or its return) a COW window was open, except FOLL_PIN
  calls that kept what the lockless walk got: those met no window, or
  the kernel would have thrown them back.

Tolerance, from the window edges: the kernel's window is inside the call
of copy_page_range, so the trace's count of calls meeting whole calls is
an upper bound. The lower bound of pushed calls is certain: the calls
whose slow path began with write_protect_seq odd, as the trace's own
kprobe there reads it (mmtrace reads it at the same point). The bounds of
calls during windows (fork's gup_during) are the certain pushed calls
and every call that met a copy_page_range call: the window edges below
(during_lo) failed on 7.3, where preemption lands anywhere in a call. Calls that met only the part before the window opens or
after it closes (the prologue and epilogue) are the uncertainty; the
trace bounds them by the longest copy_page_range call of a VMA that opens
no window (a shared one), which is prologue and return alone, counted in
time on the CPU (sched_switch of pinrace's threads, in the same instance:
preemption stretches a call, not its work): shrinking every window by
that much time on the CPU, plus the trace's 1 us resolution, at each end
gives the lower bound. mmtrace must fall inside [lower, upper], less the
events it says its programs missed. It reads the kernel's own counter
where the trace has its kprobes (same entry points), so it should sit at
the upper end unless a prologue raced.
"""
import json

from vmlib import (arm64_tiers, case_json, check_losses, exit_zero,
                   parse_console)

# io_uring pins through pin_user_pages_fast; the trace's kprobes name
# x86-64's or arm64's argument registers.
KERNELS = ("6.12", "7.3", "arm64-6.12")
# An arm64 guest emulates another ISA (about four minutes a pinrace case):
# guest_races.sh runs only the fentry tier's gup_same and fork_same there
# (the tier mmtrace probes reports for both races observations) besides
# the retraction cases; the other pinrace cases run on x86-64.
PIN_TIERS = {"arm64-6.12": ("fentry",)}
TIERS = {
    # pmdp_collapse_flush returns a pmd_t by value: no trampoline takes it;
    # 6.1 inlines retract_page_tables into collapse_file.
    "5.10": {"gup.fork_race": "fentry", "gup.retract_race": "kprobe"},
    "6.1": {"gup.fork_race": "fentry", "gup.retract_race": "none"},
    "6.12": {"gup.fork_race": "fentry", "gup.retract_race": "kprobe"},
    "7.3": {"gup.fork_race": "fentry", "gup.retract_race": "kprobe"},
}
# Debian's arm64 6.1 has no BPF trampoline (vmlib.arm64_tiers) and, as
# x86's, inlines retract_page_tables; its 6.12 attaches what x86's does.
# On arm64 6.1, as on x86's 5.10 and 6.1, the tiers `mmtrace probes`
# reports are what is asserted: io_uring pins under mmap_lock there.
TIERS["arm64-6.1"] = arm64_tiers(TIERS["6.1"])
TIERS["arm64-6.12"] = dict(TIERS["6.12"])
FORK_TIERS = {k: {"fork.gup_race": "fentry"} for k in TIERS}
FORK_TIERS["arm64-6.1"] = arm64_tiers(FORK_TIERS["6.1"])
# hugetlb.retract_race: kprobes only, as gup.retract_race (pmdp_collapse_
# flush returns a pmd_t), plus handle_mm_fault, out of line everywhere.
HUGETLB_TIERS = {k: {"hugetlb.retract_race": t["gup.retract_race"]}
                 for k, t in TIERS.items()}
VM_SHARED, VM_MAYWRITE, VM_HUGETLB = 0x8, 0x20, 0x400000
FOLL_PIN = 0x80000  # 6.12 and 7.x
RESOLUTION = 1e-6   # the trace prints microseconds


def neighbour(field, none):
    """A thread's trace event before or after a window: @none if it had
    none (the trace's first or last event of the thread)."""
    return none if field == "-" else float(field)


def parse_retractions(lines):
    return [dict(tid=int(f[1]), t=float(f[2]), mm=f[3], tr=float(f[4]),
                 before=neighbour(f[5], float("-inf")))
            for f in (line.split() for line in lines)
            if f and f[0] == "R" and len(f) == 6]


def parse_faults(lines):
    return [dict(tid=int(f[1]), t=float(f[2]), mm=f[3], tr=float(f[4]),
                 before=neighbour(f[5], float("-inf")),
                 after=neighbour(f[6], float("inf")))
            for f in (line.split() for line in lines)
            if f and f[0] == "F" and len(f) == 7]


def parse_trace(lines):
    wins, calls, switches = [], [], []
    for line in lines:
        f = line.split()
        if f and f[0] == "S" and len(f) == 4:
            switches.append((float(f[1]), int(f[2]), int(f[3])))
        if f and f[0] == "W" and len(f) == 6:
            wins.append(dict(tid=int(f[1]), t0=float(f[2]), t1=float(f[3]),
                             flags=int(f[4], 16), mm=f[5]))
        elif f and f[0] == "C" and len(f) == 12:
            calls.append(dict(tid=int(f[1]), t0=float(f[2]),
                              t1=None if f[3] == "-" else float(f[3]),
                              tret=float(f[4]), flags=int(f[5]),
                              start=int(f[6], 16),
                              slow=None if f[7] == "-" else int(f[7], 16),
                              ret=int(f[8]),
                              seq=None if f[9] == "-" else int(f[9]),
                              before=neighbour(f[10], float("-inf")),
                              after=neighbour(f[11], float("inf"))))
    return wins, calls, switches


def off_cpu(switches):
    """{tid: [(out, in)]}: when each thread was switched out."""
    out, off = {}, {}
    for ts, prev, nxt in switches:
        if prev != nxt:
            out[prev] = ts
        if nxt in out:
            off.setdefault(nxt, []).append((out.pop(nxt), ts))
    for tid, ts in out.items():
        off.setdefault(tid, []).append((ts, float("inf")))
    return off


def on_cpu(off, a, b):
    """Time in [a, b] not inside one of the @off intervals."""
    t = b - a
    for o, i in off:
        t -= max(0.0, min(b, i) - max(a, o))
    return t


def shrink(w, off, delta):
    """Window @w without the first and last @delta of its thread's time on
    CPU: where the kernel's window can be, whatever the preemption."""
    offs = sorted(off.get(w["tid"], []))

    def walk(t, d, step):
        # Move from @t by @d of on-CPU time, forward (1) or back (-1).
        for o, i in (offs if step > 0 else reversed(offs)):
            if step > 0 and i > t and o < t + d:
                d -= max(0.0, o - t)
                t = max(t, i)
            elif step < 0 and o < t and i > t - d:
                d -= max(0.0, t - i)
                t = min(t, o)
        return t + step * d
    return walk(w["t0"], delta, 1), walk(w["t1"], delta, -1)


def cow(w):
    f = w["flags"]
    return not f & VM_HUGETLB and f & (VM_SHARED | VM_MAYWRITE) == VM_MAYWRITE


def met(windows, a, b, delta, off=None):
    """Some window, shrunk by @delta of on-CPU time at each end, meets
    [a, b]."""
    for w in windows:
        s, e = shrink(w, off or {}, delta) if delta else (w["t0"], w["t1"])
        if s < e and s <= b and e >= a:
            return True
    return False


def oracle(truth, trace):
    """What the trace says about this run: bounds on the pushed calls and
    on the calls during windows, of the pinning process's mm."""
    wins, calls, switches = parse_trace(trace)
    off = off_cpu(switches)
    own = {truth["pid"], truth["pin_tid"], truth["fork_tid"]} - {0}
    mms = {w["mm"] for w in wins if w["tid"] in own}
    same = [w for w in wins if w["mm"] in mms and cow(w)]
    other = [w for w in wins if w["mm"] not in mms and cow(w)]
    shared = [on_cpu(off.get(w["tid"], []), w["t0"], w["t1"])
              for w in wins if not cow(w)]
    delta = (max(shared) if shared else 0) + RESOLUTION
    mine = [c for c in calls if c["tid"] in own]
    pushed = [c for c in mine if c["flags"] & FOLL_PIN and c["t1"] is not None
              and c["slow"] is not None and c["slow"] <= c["start"]]
    out = dict(delta_us=round(delta * 1e6, 1), windows=len(same),
               shared_windows=len(shared), calls=len(mine))
    out["pushed_hi"] = sum(met(same, c["t0"], c["t1"], 0) for c in pushed)
    out["pushed_lo"] = sum(met(same, c["t0"], c["t1"], delta, off)
                           for c in pushed)
    # Certain: the window was open where the slow path began, as the
    # trace's own read of write_protect_seq there says.
    out["pushed_odd"] = sum(c["seq"] is not None and c["seq"] & 1 == 1
                            for c in pushed)

    def decided(c):
        return c["t1"] if c["t1"] is not None else c["tret"]
    # A FOLL_PIN call that kept what its walk got met no window: the
    # kernel throws a walk that meets one back. Such calls inside a
    # copy_page_range call met its prologue or epilogue only, which
    # preemption can stretch to milliseconds (seen on 6.12).
    maybe = [c for c in mine if not c["flags"] & FOLL_PIN or c in pushed]
    # mmtrace decides a call that kept its pages at its return, after the
    # kernel's second read: a window in between (a preempted return)
    # counts there. So the upper bound takes every call.
    out["during_hi"] = sum(met(same, c["t0"], decided(c), 0) for c in mine)
    out["during_lo"] = sum(met(same, c["t0"], decided(c), delta, off)
                           for c in maybe)
    out["other_mm_overlaps"] = sum(met(other, c["t0"], decided(c), 0)
                                   for c in mine)
    return out


def row_of(report, pid):
    return next((p for p in report.get("processes", []) if p["pid"] == pid),
                None)


def in_bounds(check, cname, what, got, lo, hi, info, misses=0):
    """@misses: events mmtrace says its programs missed (a program busy on
    that CPU: preemptible BPF on 7.x, every thread of pinrace on one CPU);
    each may hide one call from it, so the lower bound drops by them."""
    lo = max(lo - misses, 0)
    check(f"{cname}: {what} {got} within the trace's [{lo}, {hi}]"
          f"{f' ({misses} missed)' if misses else ''}",
          isinstance(got, int) and lo <= got <= hi, info)


def missed(reports, prefixes):
    return sum(n for r in reports if "lost" in r
               for p, n in r["lost"].get("recursion_misses_by_program", {}).items()
               if p.startswith(prefixes))


def complete_trace(check, cname, run):
    """The instance lost nothing: entries in buffer == entries written."""
    e = " ".join(run.get("entries", []))
    try:
        inbuf, written = e.split(":")[1].split()[0].split("/")
        ok = inbuf == written
    except (IndexError, ValueError):
        ok = False
    return check(f"{cname}: the trace lost no event", ok, e)


def check_gup(check, cname, run, mode):
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if not reports or not truth or not complete_trace(check, cname, run):
        check(f"{cname}: has a report, a truth and a whole trace",
              False, str(run)[:500])
        return
    rep = reports[-1]
    check_losses(check, cname, [rep])
    o = oracle(truth, run.get("trace", []))
    info = json.dumps(o)
    row = row_of(rep, truth["pid"])
    if not check(f"{cname}: a row for pinrace", row is not None,
                 str(rep.get("processes"))[:300]):
        return
    got = row["fork_fallbacks"]
    check(f"{cname}: registrations all pinned", truth["failures"] == 0,
          str(truth))
    if mode == "same":
        check(f"{cname}: the trace saw pins pushed by the forks",
              o["pushed_hi"] > 0, info)
        in_bounds(check, cname, "fork_fallbacks", got, o["pushed_odd"],
                  o["pushed_hi"], info, missed(reports, ("gup_",)))
        fk = row.get("forker") or {}
        if got:
            check(f"{cname}: the forker is pinrace itself",
                  fk.get("pid") == truth["pid"] and
                  fk.get("comm") == "pinrace", str(fk))
        tot = rep["totals"]["fork_fallbacks"]
        check(f"{cname}: totals' fork_fallbacks {tot} == the row's",
              tot == got, str(rep["totals"]))
        check(f"{cname}: fork fallbacks are fallbacks",
              row["fallbacks"] >= got and
              rep["by_flag"]["pin"]["fork_fallbacks"] == tot, str(row))
    else:
        check(f"{cname}: no fork of this mm during pins in the trace",
              o["pushed_hi"] == 0, info)
        check(f"{cname}: fork_fallbacks 0", got == 0, str(row))
        check(f"{cname}: no forker named", row.get("forker") is None,
              str(row))
        if mode == "other":
            check(f"{cname}: the other process's windows met pins",
                  o["other_mm_overlaps"] > 0, info)


def check_fork(check, cname, run, mode):
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if not reports or not truth or not complete_trace(check, cname, run):
        check(f"{cname}: has a report, a truth and a whole trace",
              False, str(run)[:500])
        return
    events = [r for r in reports if r.get("event") == "fork"]
    rep = [r for r in reports if "event" not in r][-1]
    check_losses(check, cname, [rep])
    o = oracle(truth, run.get("trace", []))
    info = json.dumps(o)
    row = row_of(rep, truth["pid"])
    if not check(f"{cname}: a row for pinrace", row is not None,
                 str(rep.get("processes"))[:300]):
        return
    mine = [e for e in events if e["pid"] == truth["pid"]]
    for key in ("gup_pushed", "gup_during"):
        s = sum(e.get(key, 0) for e in mine)
        check(f"{cname}: pinrace's fork events carry its {key} ({s})",
              s == row[key], f"row {row[key]}")
    if mode == "same":
        check(f"{cname}: the trace saw pins pushed by the forks",
              o["pushed_hi"] > 0, info)
        n = missed(reports, ("race_",))
        in_bounds(check, cname, "gup_pushed", row["gup_pushed"],
                  o["pushed_odd"], o["pushed_hi"], info, n)
        # Every pushed call is a call during a window: the certain part.
        in_bounds(check, cname, "gup_during", row["gup_during"],
                  o["pushed_odd"], o["during_hi"], info, n)
        check(f"{cname}: {truth['forks']} fork events",
              len(mine) == truth["forks"], f"got {len(mine)}")
    else:
        check(f"{cname}: pinrace's one fork pushed nothing",
              row["gup_pushed"] == 0 and row["gup_during"] == 0, str(row))
        other = row_of(rep, truth["other_pid"])
        check(f"{cname}: the forking process's mm had no GUP-fast calls",
              other is not None and other["gup_during"] == 0 and
              other["gup_pushed"] == 0, str(other))
        check(f"{cname}: the other process's windows met pins",
              o["other_mm_overlaps"] > 0, info)


def retract_case(check, cname, run):
    """What both retraction checkers start from: the last report, the
    truth, the trace's retractions and gupcollapse's threads, with the
    exit, the losses and a whole trace checked; None if one is missing."""
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if not reports or not truth or not complete_trace(check, cname, run):
        check(f"{cname}: has a report, a truth and a whole trace",
              False, str(run)[:500])
        return None
    check_losses(check, cname, [reports[-1]])
    trace = run.get("trace", [])
    return (reports, truth, trace, parse_retractions(trace),
            {truth["pid"], truth["gup_tid"]})


def overlap_bounds(windows, t1, rets):
    """Of @windows (dicts: entry "t", return under key @t1, and "before"
    and "after", their thread's neighbouring trace events), those that
    certainly met a retraction of @rets (lower bound on what mmtrace
    counts) and those that may have (upper).

    mmtrace reads the mm's count in its own handlers on the window's two
    probes and counts a retraction in its handler at pmdp_collapse_flush's
    entry. The kernel runs the handlers of one probe back to back, the
    newest first at entry (add_new_kprobe: list_add_rcu) and, as return
    instances are a stack, its return handler last; mmtrace attaches after
    the trace's probes exist, so its window holds the trace's [t, return]
    and it counts before the trace's t of the flush. Under TCG a vCPU can
    stop between two handlers of one probe while the other vCPU runs: CI
    saw mmtrace count a fault that returned, in the trace, before the
    retraction's entry.
    Upper, whatever the order: mmtrace's reads lie between the thread's
    neighbouring events, its count between the retracting thread's event
    before the flush and the flush's return; windows whose (before,
    after) meets a retraction's (before, return) may have met it.
    Lower, from the order: windows whose (t, return) holds a
    retraction's (before, t) met it.
    The trace truncates to microseconds: ties meet, they never hold."""
    hi = sum(any(w["before"] <= r["tr"] and r["before"] <= w["after"]
                 for r in rets) for w in windows)
    lo = sum(any(w["t"] < r["before"] and r["t"] < w[t1] for r in rets)
             for w in windows)
    return lo, hi


def check_retract(check, cname, run):
    """gupcollapse: GUP-fast calls a retraction of their mm met. mmtrace
    counts a retraction in its program at pmdp_collapse_flush's entry, and
    compares its mm's count at the call's entry and return, where the
    trace's kprobes are: bounded by overlap_bounds."""
    case = retract_case(check, cname, run)
    if not case:
        return
    reports, truth, trace, rets, own = case
    rep = reports[-1]
    _, calls, _ = parse_trace(trace)
    mms = {r["mm"] for r in rets if r["tid"] in own}
    mine = [r for r in rets if r["mm"] in mms]
    gups = [dict(c, t=c["t0"]) for c in calls if c["tid"] in own]
    lo, hi = overlap_bounds(gups, "tret", mine)
    info = (f"retractions {len(mine)} collapsed {truth['collapsed']} "
            f"bounds [{lo}, {hi}]")
    check(f"{cname}: a retraction per collapse, in the trace",
          len(mine) >= truth["collapsed"] > 0, info)
    check(f"{cname}: the trace saw calls holding a retraction", hi > 0,
          info)
    row = row_of(rep, truth["pid"])
    if not check(f"{cname}: a row for gupcollapse", row is not None,
                 f"{info}: {str(rep.get('processes'))[:300]}"):
        return
    in_bounds(check, cname, "retract_overlaps", row["retract_overlaps"],
              lo, hi, info, missed(reports, ("gup_",)))
    check(f"{cname}: totals' retract_overlaps == the row's",
          rep["totals"]["retract_overlaps"] == row["retract_overlaps"],
          str(rep["totals"]))


def check_retract_fault(check, cname, run, collapse):
    """gupcollapse --fault under mmtrace hugetlb: page faults a retraction
    of their mm met, bounded as check_retract bounds GUP-fast calls (the
    trace's kprobes sit where mmtrace's do: handle_mm_fault's entry and
    return, pmdp_collapse_flush's entry). The PTE tables retracted by
    gupcollapse itself (MADV_COLLAPSE runs retract_page_tables in its
    thread) are exact: one pmdp_collapse_flush inside retract_page_tables
    each, in the trace."""
    case = retract_case(check, cname, run)
    if not case:
        return
    reports, truth, trace, rets, own = case
    rep = reports[-1]
    faults = [f for f in parse_faults(trace) if f["tid"] in own]
    mms = {f["mm"] for f in faults}
    mine = [r for r in rets if r["mm"] in mms]
    lo, hi = overlap_bounds(faults, "tr", mine)
    by_own = sum(r["tid"] in own for r in rets)
    info = (f"retractions {len(mine)} (by gupcollapse {by_own}) faults "
            f"{len(faults)} collapsed {truth['collapsed']} "
            f"bounds [{lo}, {hi}]")
    check(f"{cname}: the trace saw gupcollapse's faults", len(faults) > 0,
          info)
    tot = rep["totals"]
    if not collapse:
        # hugetlb shows rows with events only: none, or one of zeros.
        row = row_of(rep, truth["pid"]) or {}
        check(f"{cname}: nothing collapsed, nothing retracted in the trace",
              truth["collapsed"] == 0 and not mine and hi == 0, info)
        for key in ("retracted_tables", "fault_retract_overlaps"):
            check(f"{cname}: {key} 0, in totals and row",
                  tot[key] == 0 and row.get(key, 0) == 0,
                  f"{tot} row {row}")
        return
    check(f"{cname}: a retraction per collapse, in the trace",
          len(mine) >= truth["collapsed"] > 0, info)
    row = row_of(rep, truth["pid"])
    if not check(f"{cname}: a row for gupcollapse", row is not None,
                 f"{info}: {str(rep.get('processes'))[:300]}"):
        return
    check(f"{cname}: the trace saw faults holding a retraction", lo > 0,
          info)
    in_bounds(check, cname, "fault_retract_overlaps",
              row["fault_retract_overlaps"], lo, hi, info,
              missed(reports, ("race_",)))
    check(f"{cname}: retracted_tables {row['retracted_tables']} == the "
          f"trace's {by_own}", row["retracted_tables"] == by_own, info)
    for key in ("retracted_tables", "fault_retract_overlaps"):
        check(f"{cname}: totals' {key} == the rows'",
              tot[key] == sum(p[key] for p in rep["processes"]), str(tot))


def check_text(check, name, run):
    exit_zero(check, name, run)
    text = "\n".join(run.get("report", []))
    check(f"{name}: the inferred fork fallbacks line",
          "fell back because a fork of the same mm" in text, text[-800:])
    check(f"{name}: FORK_FB column", "FORK_FB" in text, text[-800:])
    said = "pins pushed to the slow path by forks of"
    if said in text:
        check(f"{name}: the forker is pinrace",
              "pinrace" in text.split(said)[1].splitlines()[0], text[-400:])


def check_console(path, kernel, check, check_fork_unused, check_tiers):
    runs = parse_console(path)
    name = f"vm {kernel}"
    probes = runs.get("probes", {})
    try:
        doc = json.loads("".join(probes.get("json", [])))
        check_tiers(name, doc, "gup",
                    [f"{k}={v}" for k, v in TIERS[kernel].items()])
        check_tiers(name, doc, "fork",
                    [f"{k}={v}" for k, v in FORK_TIERS[kernel].items()])
        check_tiers(name, doc, "hugetlb",
                    [f"{k}={v}" for k, v in HUGETLB_TIERS[kernel].items()])
    except (ValueError, KeyError) as e:
        check(f"{name}: probes JSON", False, repr(e))
    if kernel not in KERNELS:
        return  # GUP-fast pins io_uring buffers from 6.12 on
    setup = runs.get("races:setup", {})
    if not check(f"{name} races: tracefs kprobes set up",
                 setup.get("rc") == ["0"], str(setup.get("stderr"))):
        return
    for tier in PIN_TIERS.get(kernel, ("fentry", "kprobe")):
        check_gup(check, f"{name} races:gup_same@{tier}",
                  runs.get(f"races:gup_same@{tier}", {}), "same")
        check_fork(check, f"{name} races:fork_same@{tier}",
                   runs.get(f"races:fork_same@{tier}", {}), "same")
    if kernel not in PIN_TIERS:
        check_gup(check, f"{name} races:gup_none",
                  runs.get("races:gup_none@fentry", {}), "none")
        check_gup(check, f"{name} races:gup_other",
                  runs.get("races:gup_other@fentry", {}), "other")
        check_fork(check, f"{name} races:fork_other",
                   runs.get("races:fork_other@fentry", {}), "other")
        check_text(check, f"{name} races:gup_text",
                   runs.get("races:gup_text", {}))
    rs = runs.get("races:retract_setup", {})
    if check(f"{name} races: tracefs retraction kprobes set up",
             rs.get("rc") == ["0"], str(rs)):
        check_retract(check, f"{name} races:retract@kprobe",
                      runs.get("races:retract@kprobe", {}))
        check_retract_fault(check, f"{name} races:retract_fault@kprobe",
                            runs.get("races:retract_fault@kprobe", {}),
                            True)
        check_retract_fault(check, f"{name} races:retract_none@kprobe",
                            runs.get("races:retract_none@kprobe", {}),
                            False)
