# SPDX-License-Identifier: GPL-2.0
"""What mmtrace locks must show on each kernel of the matrix, and the
number checks its host and VM tests share.

Tiers (../shared/kernel-probe-map.md, section 6): the mmap_lock and
lock:contention tracepoints exist from 6.1 on and not on Debian's 5.10,
where the view can observe nothing and refuses to run;
per-VMA locks exist on 6.12 and 7.x, where lock_mm_and_find_vma and
lock_vma_under_rcu take fentry/fexit; 6.1 and 5.10 have no per-VMA locks.
arm64 has no page_fault_user: a user fault is do_mem_abort from EL0.

The workload (tools/mmapstorm.c) runs under --wait-start and the tracer
follows it with -p from before the storm until after it printed, so the
counts cover exactly the storm:
- mmap() and munmap() each take mmap_lock for write once, nothing else in
  the storm does: write acquisitions == mmap + munmap calls;
- every user fault is counted once, under the VMA lock or as a fallback:
  their sum == the faults getrusage() measured;
- with several threads, mmap_lock is contended; with one, never.
"""
import json
import re

from vmlib import (case_json, check_in_buckets, check_losses, check_units,
                   exit_zero, parse_console, refused)

TIERS = {
    "5.10": {"locks.exits": "tracepoint", "locks.mmap_lock": "none",
             "locks.contention": "none", "locks.vma_faults": "none",
             "locks.vma_write": "none"},
    "6.1": {"locks.exits": "tracepoint", "locks.mmap_lock": "tracepoint",
            "locks.contention": "tracepoint", "locks.vma_faults": "none",
            "locks.vma_write": "none"},
    "6.12": {"locks.exits": "tracepoint", "locks.mmap_lock": "tracepoint",
             "locks.contention": "tracepoint", "locks.vma_faults": "fentry",
             "locks.vma_write": "none"},
    # arm64 has no page_fault_user tracepoint (x86 only): its fentry plan
    # opens the fault window at do_mem_abort from EL0, and it has no
    # tracepoint plan. 6.1 has neither per-VMA locks nor fentry.
    "arm64-6.1": {"locks.exits": "tracepoint",
                  "locks.mmap_lock": "tracepoint",
                  "locks.contention": "tracepoint",
                  "locks.vma_faults": "none",
                  "locks.vma_write": "none"},
    "arm64-6.12": {"locks.exits": "tracepoint",
                   "locks.mmap_lock": "tracepoint",
                   "locks.contention": "tracepoint",
                   "locks.vma_faults": "fentry",
                   "locks.vma_write": "none"},
    "7.3": {"locks.exits": "tracepoint", "locks.mmap_lock": "tracepoint",
            "locks.contention": "tracepoint", "locks.vma_faults": "fentry",
            "locks.vma_write": "fentry"},
}
# The observations with a plan at each tier below fentry.
LOWER_TIERS = {"locks.vma_faults": ("kprobe", "tracepoint"),
               "locks.vma_write": ("kprobe",)}

# (case, --tier, threads) as guest_locks.sh runs them.
CASES = (("locks:storm4", "fentry", 4), ("locks:storm1", "fentry", 1),
         ("locks:storm4@tracepoint", "tracepoint", 4))
# vmafault, followed as mmapstorm is, at each --tier.
VMA_CASES = tuple((f"locks:vmafault@{t}", t)
                  for t in ("fentry", "kprobe", "tracepoint"))
WRITE_CASES = tuple((f"locks:vmawrite@{t}", t) for t in ("fentry", "kprobe"))
CAUSE_FIELDS = ("vma_lock_aborts", "vma_lock_retries",
                "vma_lock_access_errors")

MMAP_FIELDS = ("mmap_read_acquired", "mmap_write_acquired",
               "mmap_read_failed", "mmap_write_failed")
CONTENTION_FIELDS = ("mmap_contended", "other_contended")
VMA_FIELDS = ("faults", "vma_lock_faults", "vma_lock_fallbacks")
LOST_FIELDS = ("lock_state_full", "lock_table_full", "window_map_full",
               "proc_map_full")


def expected_tier(kernel, obs, cap):
    best = TIERS[kernel][obs]
    if best == "fentry" and cap in ("kprobe", "tracepoint"):
        # The VMA-fault plans below fentry start from page_fault_user,
        # which arm64 lacks.
        if kernel.startswith("arm64-") and obs == "locks.vma_faults":
            return "none"
        return cap if cap in LOWER_TIERS.get(obs, ()) else "none"
    return best


def row_sum(reports, pid, field):
    """The field summed over the workload's rows; None if any is null."""
    vals = [p.get(field) for r in reports for p in r["processes"]
            if p["pid"] == pid]
    if not vals:
        return 0
    return None if None in vals else sum(vals)


def check_nulls(check, name, reports, pid, fields, what):
    vals = {f: row_sum(reports, pid, f) for f in fields}
    tot = {f: reports[-1]["totals"].get(f) for f in fields}
    check(f"{name}: {what} unknown: null, never 0",
          all(v is None for v in tot.values()) and
          all(v in (None, 0) for v in vals.values()) and
          all(p.get(f) is None for r in reports for p in r["processes"]
              for f in fields), f"totals {tot}, rows {vals}")


def missed(reports, program):
    """Events @program did not run for, as mmtrace reports them."""
    return sum(r["lost"]["recursion_misses_by_program"].get(program, 0)
               for r in reports)


def fault_misses(reports):
    """Faults the program opening fault windows did not run for: x86's
    page_fault_user or arm64's do_mem_abort."""
    return (missed(reports, "vma_fault_btf") +
            missed(reports, "vma_fault_abort_fentry"))
def handlers_missed(reports, entry=False):
    """Handler returns (or, with @entry, entries) mmtrace missed."""
    progs = (("vma_handle_fentry", "vma_handle_kprobe") if entry else
             ("vma_handled_fexit", "vma_handled_kretprobe"))
    return sum(missed(reports, p) for p in progs)


def check_count(check, name, label, got, want, misses):
    """@got must be @want; an event the kernel did not run the counting
    program for (a recursion miss, which mmtrace reports) may lack."""
    if not misses:
        check(f"{name}: {label} ({want})", got == want, f"got {got}")
        return
    check(f"{name}: {label} ({want}), less at most the {misses} events "
          f"mmtrace reports missed", got is not None and
          want - misses <= got <= want, f"got {got}")


def check_vma_faults(check, name, reports, pid, truth, whole):
    """Each fault is classified once, in the report where its outcome is
    known, which may come after the one that counted the fault. Over a
    whole run the outcomes add up to the faults measured. Over reports
    from the workload's start on, the faults (counted as they begin) do,
    and the whole run's outcomes add up to its faults."""
    served = row_sum(whole or reports, pid, "vma_lock_faults")
    fell = row_sum(whole or reports, pid, "vma_lock_fallbacks")
    outcomes = None if None in (served, fell) else served + fell
    if not whole:
        check_count(check, name, "faults under the VMA lock + fallbacks == "
                    "faults measured", outcomes, truth["faults"],
                    fault_misses(reports))
        return
    check_count(check, name, "faults from the workload's start == faults "
                "measured", row_sum(reports, pid, "faults"), truth["faults"],
                fault_misses(reports))
    check_count(check, name, "over the whole run, faults under the VMA "
                "lock + fallbacks == faults", outcomes,
                row_sum(whole, pid, "faults"), 0)


def check_numbers(check, name, reports, truth, threads, whole=None):
    """The workload's truth against the reports of its run. @whole: every
    report of the run, when @reports are only those from the workload's
    start on (a followed COMMAND's exec comes before)."""
    pid = truth["pid"]
    probes = reports[-1]["probes"]
    check(f"{name}: one final report, the last",
          [r["final"] for r in reports].count(True) == 1 and
          reports[-1]["final"], "final flags")
    lost = [r["lost"] for r in reports if any(r["lost"][k]
                                              for k in LOST_FIELDS)]
    check(f"{name}: nothing lost", not lost, f"lost {lost}")
    check_units(check, name, reports)
    check_losses(check, name, reports)
    check(f"{name}: the storm ran", truth.get("errno") == 0 and
          truth["mmap_calls"] == threads * truth["count"] and
          truth["munmap_calls"] == truth["mmap_calls"], f"truth {truth}")
    if probes.get("locks.mmap_lock") == "none":
        check_nulls(check, name, reports, pid, MMAP_FIELDS, "mmap_lock")
    else:
        check_count(check, name, "mmap_lock write acquisitions == mmap + "
                    "munmap calls", row_sum(reports, pid,
                                            "mmap_write_acquired"),
                    truth["mmap_calls"] + truth["munmap_calls"],
                    missed(reports, "mmap_returned_btf"))
        waited = [row_sum(reports, pid, f"mmap_{m}_wait_ns")
                  for m in ("read", "write")]
        check_in_buckets(check, name, "rows' mmap_lock wait",
                         None if None in waited else sum(waited),
                         [r["mmap_lock_ns"][f"{m}_wait"] for r in reports
                          for m in ("read", "write")])
        got = row_sum(reports, pid, "mmap_write_failed")
        check(f"{name}: no failed write acquisition", got == 0,
              f"got {got}")
    if probes.get("locks.vma_faults") == "none":
        check_nulls(check, name, reports, pid, VMA_FIELDS, "VMA-lock faults")
    else:
        check_vma_faults(check, name, reports, pid, truth, whole)
    if probes.get("locks.contention") == "none":
        check_nulls(check, name, reports, pid, CONTENTION_FIELDS,
                    "contention")
        check(f"{name}: no contention seen: no callers, no holders",
              all(r["contention_by_caller"] == [] and r["owners"] == []
                  for r in reports), "rows without the tracepoints")
        return
    check_callers(check, name, reports, pid)
    got = row_sum(reports, pid, "mmap_contended")
    if threads > 1:
        check(f"{name}: {threads} threads contend on mmap_lock", got and
              got > 0, f"got {got}")
        mine = [lk for r in reports for lk in r["locks"] if lk["mmap_lock"]]
        check(f"{name}: the contended mmap_lock is an rwsem in the table",
              mine and all(lk["type"].startswith("rwsem") for lk in mine),
              f"locks {mine}")
    else:
        check(f"{name}: one thread never contends on mmap_lock", got == 0,
              f"got {got}")


def check_vma_causes(check, name, reports, truth):
    """A vmafault run followed with -p (tools/vmafault.c): A faults on no
    VMA, K writes to a read-only VMA, M userfaultfd faults retried, and
    ordinary faults that getrusage() measured (the M included, once).

    Every user fault is one page_fault_user: faults == measured + A + K,
    and each ends once: under the VMA lock or as a fallback. Where the
    plan sees why (fentry, kprobe): A aborts, M retries, K access errors,
    and the fallbacks are the aborts and the retries: x86 signals an
    access error under the VMA lock from 6.10 ("x86: mm: accelerate
    pagefault when badaccess"), so those K end under it. At the
    tracepoint tier the causes are null, and the split only bounded: a
    fault that sets up an anon_vma under mmap_read_trylock while holding
    the VMA lock also counts as a fallback there."""
    pid = truth["pid"]
    a, k, m = truth["aborts"], truth["access_errors"], truth["retries"]
    check(f"{name}: the workload ran", truth.get("errno") == 0 and
          truth["segv"] == a + k and truth["resolved"] == m,
          f"truth {truth}")
    lost = [r["lost"] for r in reports if any(r["lost"][f]
                                              for f in LOST_FIELDS)]
    check(f"{name}: nothing lost", not lost, f"lost {lost}")
    probes = reports[-1]["probes"]
    tier = probes.get("locks.vma_faults")
    if tier == "none":
        check_nulls(check, name, reports, pid, VMA_FIELDS + CAUSE_FIELDS,
                    "VMA-lock faults")
        return
    faults = row_sum(reports, pid, "faults")
    served = row_sum(reports, pid, "vma_lock_faults")
    fell = row_sum(reports, pid, "vma_lock_fallbacks")
    misses = fault_misses(reports)
    check_count(check, name, "faults == measured + aborts + access "
                "errors", faults, truth["faults"] + a + k, misses)
    check_count(check, name, "under the VMA lock + fallbacks == faults",
                None if None in (served, fell) else served + fell,
                faults, 0)
    if tier == "tracepoint":
        check_nulls(check, name, reports, pid, CAUSE_FIELDS,
                    "why a fault left the VMA lock")
        check(f"{name}: fallbacks at least the aborts and retries "
              f"({a + m})", fell is not None and fell >= a + m,
              f"got {fell}")
        return
    got = {f: row_sum(reports, pid, f) for f in CAUSE_FIELDS}
    tot = {f: [r["totals"].get(f) for r in reports] for f in CAUSE_FIELDS}
    tot = {f: None if None in v else sum(v) for f, v in tot.items()}
    check(f"{name}: totals == the workload's rows", tot == got,
          f"totals {tot}, rows {got}")
    check_count(check, name, "aborts", got["vma_lock_aborts"], a,
                missed(reports, "vma_lock_fexit") +
                missed(reports, "vma_lock_kretprobe"))
    check_count(check, name, "retries", got["vma_lock_retries"], m,
                handlers_missed(reports))
    # A handler's entry the program missed looks like an access error.
    extra = handlers_missed(reports, entry=True)
    got_k = got["vma_lock_access_errors"]
    check(f"{name}: access errors ({k})" + (
          f", more at most the {extra} handler entries mmtrace reports "
          "missed" if extra else ""),
          got_k is not None and k <= got_k <= k + extra, f"got {got_k}")
    check_count(check, name, "fallbacks == aborts + retries", fell, a + m,
                0)
    check_count(check, name, "under the VMA lock == measured - retries + "
                "access errors", served, truth["faults"] - m + k, 0)


def vmafault_run(check, kernel, cname, run, cap, obs):
    """A vmafault case's reports and truth, its tier of @obs checked; None
    where there is nothing more to check (refused, or no report)."""
    if refuses(kernel, cap):
        refused(check, cname, run, "locks")
        return None
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if reports is None:
        return None
    if not reports or not truth:
        check(f"{cname}: has a report and a truth", False, str(run))
        return None
    want = expected_tier(kernel, obs, cap)
    got = reports[-1]["probes"].get(obs)
    check(f"{cname}: {obs} tier {want}", got == want, f"got {got}")
    return reports, truth, want


def check_vma_case(check, kernel, cname, run, cap):
    got = vmafault_run(check, kernel, cname, run, cap, "locks.vma_faults")
    if got:
        check_vma_causes(check, cname, got[0], got[1])


def check_vma_write(check, kernel, cname, run, cap):
    """vmafault --mprotects W alone: W mprotect() calls, each toggling one
    page whose VMA never merges (PROT_NONE guards), nothing else changing
    a VMA. Each write-locks that VMA once in its own mmap_lock write cycle:
    W calls of __vma_start_write where it is out of line (7.x)."""
    got = vmafault_run(check, kernel, cname, run, cap, "locks.vma_write")
    if not got:
        return
    reports, truth, want = got
    pid = truth["pid"]
    fields = ("vma_write_locks", "vma_write_wait_ns")
    if want == "none":
        check_nulls(check, cname, reports, pid, fields[:1], "VMA write locks")
        check(f"{cname}: no VMA write-lock wait histogram",
              all(r.get("vma_write_wait_ns") is None for r in reports),
              "histogram given")
        return
    w = truth["mprotects"]
    locks = row_sum(reports, pid, "vma_write_locks")
    check_count(check, cname, "VMA write locks == mprotect calls", locks, w,
                missed(reports, "vma_write_fexit") +
                missed(reports, "vma_write_kretprobe"))
    tot = sum(r["totals"]["vma_write_locks"] for r in reports)
    check(f"{cname}: totals == the workload's rows ({locks})", tot == locks,
          f"totals {tot}")
    check_in_buckets(check, cname, "rows' VMA write-lock wait",
                     row_sum(reports, pid, "vma_write_wait_ns"),
                     [r["vma_write_wait_ns"] for r in reports])
# The locking code a caller is never part of (the kernel's lock and sched
# text, by the names of what lives there).
LOCK_CODE = re.compile(r"^(_*rwsem_|_*down_|up_|_*mutex_|osq_|_*rt_mutex|"
                       r"percpu_down|_*percpu_down|_raw_|bpf_|__traceiter_)")
SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def caller_named(caller):
    """A caller is function names, innermost first, joined by " <- "."""
    return isinstance(caller, str) and all(
        SYMBOL.match(f) and not LOCK_CODE.match(f)
        for f in caller.split(" <- "))


def check_callers(check, name, reports, pid):
    """contention_by_caller, by (lock, calling path), holds every wait the
    totals count, once: over the rows of mmap_lock, the waits and their
    time equal the workload's mmap_lock contention (the tracer follows it
    alone, with -p). Every caller is named, outside the locking code."""
    rows = [c for r in reports for c in r["contention_by_caller"]
            if c["lock"] == "mmap_lock"]
    want = row_sum(reports, pid, "mmap_contended")
    check(f"{name}: by caller, mmap_lock waits add up to its contention "
          f"({want})", sum(c["contended"] for c in rows) == want,
          f"got {sum(c['contended'] for c in rows)}")
    want = row_sum(reports, pid, "mmap_contention_ns")
    check(f"{name}: by caller, mmap_lock wait time adds up to its "
          f"contention ({want} ns)", sum(c["total_ns"] for c in rows) == want,
          f"got {sum(c['total_ns'] for c in rows)}")
    bad = [c for r in reports for c in r["contention_by_caller"]
           if not caller_named(c["caller"]) or
           not c["max_ns"] or not c["contended"] or
           not c["type"].startswith(("rwsem", "mutex", "rtmutex", "pcpu"))]
    check(f"{name}: every caller is a function outside the locking code",
          not bad, f"rows {bad[:3]}")


def check_owners(check, name, reports, truth):
    """tools/lockhold: its holder thread is the only writer of mmap_lock
    while the tracer follows it. Asserted exactly: every wait on its
    mmap_lock whose holder the kernel recorded is charged to the holder's
    tid, under the holder's name, and there is at least one; the other
    waits (queued behind readers: no recorded holder) are one row without
    a holder; all of them together are the mmap_lock contention the
    totals count, in number and in time."""
    pid = truth["pid"]
    rows = [o for r in reports for o in r["owners"]
            if o["lock"] == "mmap_lock"]
    known = [o for o in rows if o["owner_comm"] is not None]
    check(f"{name}: every recorded holder of mmap_lock is the holder "
          f"thread {truth['holder_tid']} ({truth['holder_comm']})",
          all(o["owner_pid"] == truth["holder_tid"] and
              o["owner_comm"] == truth["holder_comm"] for o in known),
          f"holders {known}")
    got = sum(o["waits"] for o in known)
    check(f"{name}: waits charged to the holder", got > 0, f"got {got}")
    check(f"{name}: waits without a recorded holder have no pid",
          all(o["owner_pid"] is None for o in rows if o not in known),
          f"rows {rows}")
    for key, field in (("waits", "mmap_contended"),
                       ("wait_ns", "mmap_contention_ns")):
        want = row_sum(reports, pid, field)
        got = sum(o[key] for o in rows)
        check(f"{name}: holders' {key} add up to {field} ({want})",
              got == want, f"got {got}")


def check_other_mm(check, name, reports, truth):
    """tools/lockhold --peeker, run as a COMMAND (its child is followed):
    the peeker reads the parent's /proc/PID/cmdline, so the kernel takes
    the parent's mmap_lock for it: mmap_lock(other), behind the holder.
    From the peeker's start on, the holder thread is the parent's only
    writer, so every recorded holder of mmap_lock(other) is it. The
    caller and holder tables count the same waits."""
    callers = [c for r in reports for c in r["contention_by_caller"]
               if c["lock"] == "mmap_lock(other)"]
    owners = [o for r in reports for o in r["owners"]
              if o["lock"] == "mmap_lock(other)"]
    n = sum(c["contended"] for c in callers)
    check(f"{name}: the peeker waited on another process's mmap_lock "
          f"({truth['peeks']} reads)", n > 0, f"callers {callers}")
    check(f"{name}: its callers are named", all(caller_named(c["caller"])
                                               for c in callers),
          f"callers {callers}")
    known = [o for o in owners if o["owner_comm"] is not None]
    check(f"{name}: every recorded holder of mmap_lock(other) is the "
          f"holder thread {truth['holder_tid']}",
          known and all(o["owner_pid"] == truth["holder_tid"] and
                        o["owner_comm"] == truth["holder_comm"]
                        for o in known), f"holders {owners}")
    check(f"{name}: callers and holders count the same waits ({n})",
          sum(o["waits"] for o in owners) == n and
          sum(o["wait_ns"] for o in owners) ==
          sum(c["total_ns"] for c in callers), f"holders {owners}")


def refuses(kernel, cap):
    """Does the locks view observe nothing on @kernel up to tier @cap? It
    then refuses to run (locks.exits only keeps state for the others)."""
    return all(expected_tier(kernel, obs, cap) == "none"
               for obs in TIERS[kernel] if obs != "locks.exits")


def check_case(check, kernel, cname, run, cap, threads):
    if refuses(kernel, cap):
        refused(check, cname, run, "locks")
        return
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
    check_numbers(check, cname, reports, truth, threads)


def check_arm64_vma_faults(check, name, doc):
    """On arm64, `mmtrace probes` says why the page_fault_user plans of
    locks.vma_faults cannot run: that tracepoint is x86's alone."""
    obs = [o for o in doc["views"]["locks"]
           if o["name"] == "locks.vma_faults"][0]
    reasons = [r.get("reason", "") for r in obs.get("rejected", [])
               if "page_fault_user" in r.get("reason", "")]
    check(f"{name}: probes says page_fault_user is x86 only",
          reasons and all("x86 only" in r for r in reasons),
          f"rejected: {obs.get('rejected')}")


def check_owner_case(check, kernel, cname, run):
    """tools/lockhold followed with -p (guest_locks.sh locks:owner), or
    run as a COMMAND with --peeker (locks:other)."""
    if refuses(kernel, "fentry"):
        refused(check, cname, run, "locks")
        return
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if not reports or not truth:
        check(f"{cname}: has a report and a truth", False, str(run))
        return
    check(f"{cname}: lockhold ran", truth.get("errno") == 0, f"{truth}")
    # lockhold holds on until 8 waits of its own (a read or a fault that
    # began inside a hold and ended after it) are likely: else the case
    # says nothing of mmtrace, and says so here.
    met = truth.get("peek_overlaps" if truth.get("peeker_pid")
                    else "overlaps", 0)
    check(f"{cname}: the holder was met ({met} overlaps in "
          f"{truth.get('rounds')} rounds)", met >= 8, f"{truth}")
    if truth.get("peeker_pid"):
        check_other_mm(check, cname, reports, truth)
    else:
        check_owners(check, cname, reports, truth)


def check_contention_said(check, name, doc):
    """Where lock:contention_* is missing (5.10), mmtrace probes says that
    callers and holders of contended locks are unknown too."""
    obs = [o for o in doc["views"]["locks"]
           if o["name"] == "locks.contention"][0]
    if obs["tier"] != "none":
        return
    check(f"{name}: probes say callers and holders are unknown",
          "neither callers nor holders" in json.dumps(obs), f"{obs}")


def check_console(path, kernel, check, check_fork, check_tiers):
    runs = parse_console(path)
    name = f"vm {kernel} locks"
    try:
        doc = json.loads("".join(runs.get("probes", {}).get("json", [])))
        check_tiers(name, doc, "locks",
                    [f"{k}={v}" for k, v in TIERS[kernel].items()])
        if kernel.startswith("arm64-"):
            check_arm64_vma_faults(check, name, doc)
        check_contention_said(check, name, doc)
    except (ValueError, KeyError) as e:
        check(f"{name}: probes JSON", False, repr(e))
    for case, cap, threads in CASES:
        check_case(check, kernel, f"vm {kernel} {case}", runs.get(case, {}),
                   cap, threads)
    for case, cap in VMA_CASES:
        check_vma_case(check, kernel, f"vm {kernel} {case}",
                       runs.get(case, {}), cap)
    for case, cap in WRITE_CASES:
        check_vma_write(check, kernel, f"vm {kernel} {case}",
                        runs.get(case, {}), cap)
    check_owner_case(check, kernel, f"vm {kernel} locks:owner",
                     runs.get("locks:owner", {}))
    check_owner_case(check, kernel, f"vm {kernel} locks:other",
                     runs.get("locks:other", {}))
