# SPDX-License-Identifier: GPL-2.0
"""Issue #11 cases 1 and 2c in a VM (guest_pidns.sh): each view as init of
a new pid namespace, at the richest tier, its workload the COMMAND or the
COMMAND's child. Pids are the namespace's: a workload's truth (its own
getpid()) must name its rows. The numbers are checked by the views' own
vm_<view>.py, so the same exact oracles apply.
"""
import vm_fork
import vm_gup
import vm_hugetlb
import vm_locks
from vmlib import case_json, exit_zero, parse_console, refused


def check_started(check, name, run):
    """mmtrace said, on stderr, whose pids it shows and what it follows."""
    err = " ".join(run.get("stderr", []))
    check(f"{name}: says it runs in a pid namespace",
          "in pid namespace pid:[" in err, err[:300])


def reports_and_truth(check, name, run, view=None, kernel=None):
    """mmtrace exited 0 with reports and a truth, and with a view's module
    (vm_fork, vm_locks) its observations at the tiers that test expects
    at fentry; (None, None) after a FAIL."""
    exit_zero(check, name, run)
    reports, truth = case_json(check, name, run)
    if not reports or not truth:
        check(f"{name}: reports and a truth", False, str(run)[:300])
        return None, None
    probes = reports[-1]["probes"]
    for obs in view.TIERS[kernel] if view else ():
        want = view.expected_tier(kernel, obs, "fentry")
        check(f"{name}: {obs} tier {want}", probes.get(obs) == want,
              f"got {probes.get(obs)}")
    return reports, truth


def check_fork(check, check_fork_oracle, kernel, name, run):
    reports, truth = reports_and_truth(check, name, run, vm_fork, kernel)
    check_started(check, name, run)
    if not reports:
        return
    probes = reports[-1]["probes"]
    check(f"{name}: fork.children tier tracepoint",
          probes.get("fork.children") == "tracepoint",
          f"got {probes.get('fork.children')}")
    check_fork_oracle(name, reports, truth, None)


def check_follow_fork(check, name, run):
    """sh -c 'forkmix F V 0; true': forkmix's row exact, plus the shell's
    one clone."""
    reports, truth = reports_and_truth(check, name, run)
    if not reports:
        return
    rows = [p for r in reports for p in r["processes"]]
    mine = [p for p in rows if p["pid"] == truth["pid"]]
    check(f"{name}: forkmix's row (pid {truth['pid']}): forks "
          f"{truth['forks']}, vforks {truth['vforks']}",
          len(mine) == 1 and mine[0]["forks"] == truth["forks"] and
          mine[0]["vforks"] == truth["vforks"], f"rows {rows}")
    tot = reports[-1]["totals"]
    check(f"{name}: totals == forkmix's + the shell's one clone",
          tot["forks"] + tot["vforks"] ==
          truth["forks"] + truth["vforks"] + 1, f"totals {tot}")


def check_follow_gup(check, kernel, name, run):
    exit_zero(check, name, run)
    reports, truth = case_json(check, name, run)
    if not reports or len(reports) != 1 or not truth:
        check(f"{name}: one report and a truth", False, str(run)[:300])
        return
    rep = reports[0]
    check(f"{name}: gup.children tier tracepoint",
          rep["probes"].get("gup.children") == "tracepoint",
          f"got {rep['probes'].get('gup.children')}")
    split = rep["probes"].get("gup.slow_path") != "none"
    vm_gup.check_numbers(check, name, rep, truth, kernel, split)


def check_locks(check, kernel, name, run):
    """The reports from the storm on (skip: those before it)."""
    if vm_locks.refuses(kernel, "fentry"):
        refused(check, name, run, "locks")
        return
    reports, truth = reports_and_truth(check, name, run, vm_locks, kernel)
    if not reports:
        return
    skip = int((run.get("skip") or ["0"])[-1] or 0)
    vm_locks.check_numbers(check, name, reports[skip:], truth,
                           truth.get("threads", 4), whole=reports)


def check_console(path, kernel, check, check_fork_oracle, check_tiers):
    runs = parse_console(path)
    name = f"vm {kernel} pidns"
    check_fork(check, check_fork_oracle, kernel, f"{name}:fork",
               runs.get("pidns:fork", {}))
    check_follow_fork(check, f"{name}:follow_fork",
                      runs.get("pidns:follow_fork", {}))
    check_follow_gup(check, kernel, f"{name}:follow_gup",
                     runs.get("pidns:follow_gup", {}))
    vm_hugetlb.check_case(check, kernel, f"{name}:follow_hugetlb",
                          runs.get("pidns:follow_hugetlb", {}), "fentry")
    name = f"vm {kernel} follow"
    check_follow_fork(check, f"{name}:fork", runs.get("follow:fork", {}))
    check_follow_gup(check, kernel, f"{name}:gup", runs.get("follow:gup", {}))
    vm_hugetlb.check_case(check, kernel, f"{name}:hugetlb",
                          runs.get("follow:hugetlb", {}), "fentry")
    name = f"vm {kernel} pidns"
    for mode in ("-p", "follow"):
        check_locks(check, kernel, f"{name}:locks{mode}",
                    runs.get(f"pidns:locks{mode}", {}))
