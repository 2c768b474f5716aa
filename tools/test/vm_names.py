# SPDX-License-Identifier: GPL-2.0
"""Process names in every view that keeps per-process rows (issue #11,
cases 2 and 2b), as guest_names.sh runs them at the fentry tier.

A row carries its process's name: the thread-group leader's comm. From
exec on it carries the new name, and counts not reported yet move with
it: a one-report run shows the work of both names under the new one.
The counts compared are the ones nothing but the workload makes: forks,
GUP-fast calls (one per vmsplice of one page), huge_pmd_share calls (one
per PUD-aligned hugetlb mapping faulted). Threads make GUP-fast calls of
their own (futexes on their tid at exit and join: get_futex_key), so a
gup row holds at least the vmsplices, and the callers named vmsplice
exactly them.
"""
from vmlib import case_json, exit_zero, parse_console, refused
import vm_locks

# view: (row field, truth field per phase) for the exact counts.
COUNTS = {"fork": ("forks", "forks"), "gup": ("calls", "vmsplices"),
          "hugetlb": ("pmd_share_calls", "hugetlb_faults")}
VIEWS = ("fork", "gup", "hugetlb", "locks")


def rows_of(reports, pid):
    return [p for r in reports for p in r["processes"] if p["pid"] == pid]


def check_rows(check, name, view, reports, pid, comm, want):
    """Every row of @pid is named @comm; its count is @want (exact)."""
    rows = rows_of(reports, pid)
    if view == "hugetlb" and \
            reports[-1]["probes"].get("hugetlb.pmd_share") == "none":
        # arm64 without data symbols in kallsyms (vm_hugetlb.py): the
        # shares that make this workload's rows are not seen.
        check(f"{name}: hugetlb.pmd_share none: pmd_share_calls null",
              all(p["pmd_share_calls"] is None for p in rows),
              f"rows {rows}")
        return
    names = sorted({p["comm"] for p in rows})
    check(f"{name}: rows of pid {pid} are named {comm}",
          rows and names == [comm], f"names {names}")
    if view not in COUNTS:
        return
    field = COUNTS[view][0]
    got = sum(p[field] or 0 for p in rows)
    if view != "gup":
        check(f"{name}: {field} {want}", got == want, f"got {got}")
        return
    check(f"{name}: {field} at least {want}", got >= want, f"got {got}")
    got = sum(c["calls"] for r in reports for c in r["callers"]
              if "vmsplice" in c["caller"])
    check(f"{name}: calls from vmsplice {want}", got == want, f"got {got}")


def check_case(check, kernel, view, case, run):
    name = f"vm {kernel} {case}"
    if view == "locks" and vm_locks.refuses(kernel, "fentry"):
        # No mmap_lock or fault hooks (5.10): no rows to name.
        refused(check, name, run, "locks")
        return
    exit_zero(check, name, run)
    reports, truth = case_json(check, name, run)
    if reports is None:
        return
    if not check(f"{name}: a report and a truth", reports and truth,
                 f"{len(reports or [])} reports, truth {truth}"):
        return
    if "before" in truth:       # execname
        comm = truth["after"]["comm"]
        key = COUNTS.get(view, (None, None))[1]
        want = key and truth["before"][key] + truth["after"][key]
        check(f"{name}: the names differ ({truth['before']['comm']}, "
              f"{comm})", truth["before"]["comm"] != comm, str(truth))
    else:                       # threadname
        comm = truth["comm"]
        key = COUNTS.get(view, (None, None))[1]
        want = key and truth[key]
    check_rows(check, name, view, reports, truth["pid"], comm, want)
    if view == "fork" and "threads" in truth:
        rows = rows_of(reports, truth["pid"])
        got = sum(p["threads"] for p in rows)
        check(f"{name}: threads {truth['threads']}",
              got == truth["threads"], f"got {got}")


def check_console(path, kernel, check, check_fork, check_tiers):
    runs = parse_console(path)
    for view in VIEWS:
        for kind in ("exec", "thread"):
            case = f"names:{kind}@{view}"
            check_case(check, kernel, view, case, runs.get(case, {}))
    check_case(check, kernel, "fork", "names:thread-exec@fork",
               runs.get("names:thread-exec@fork", {}))
