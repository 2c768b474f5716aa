#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""How mmtrace names process rows, against workloads that know which name
did what (tools/execname.c, tools/threadname.c); issue #11, cases 2, 2b.

  names_check.py exec REPORTS TRUTH VIEW NAME [--intervals]
  names_check.py thread REPORTS TRUTH VIEW NAME [--threads N]

A row carries its process's name, the thread-group leader's comm, and
from exec on the new name; counts not reported yet move with the row.
exec, one report: every row of the pid has the new name and holds both
names' work. exec --intervals (-i 1, a quiet time before exec spans a
report): rows under the old name come first and hold exactly the work
before exec, then rows under the new name only. thread: every row has
the main thread's name, whichever thread acted.
Every check prints PASS or FAIL, for run.sh to count.
"""
import json
import sys

failures = 0


def check(name, ok, detail=""):
    global failures
    print(f"PASS {name}" if ok else f"FAIL {name}: {detail}")
    failures += not ok
    return ok


def faults(row):
    """Every user fault once: under the VMA lock or fallen back (exact
    as a sum on every tier)."""
    return (row["vma_lock_faults"] or 0) + (row["vma_lock_fallbacks"] or 0)


# view: (what a row counts, the truth's name for it, exact?)
COUNTS = {"fork": (lambda r: r["forks"], "forks", True),
          "locks": (faults, "faults", False)}


def pid_rows(reports, pid):
    """(report index, row) of @pid, in report order."""
    return [(i, p) for i, r in enumerate(reports) for p in r["processes"]
            if p["pid"] == pid]


def check_count(name, view, rows, want, exact):
    count, what, _ = COUNTS[view]
    got = sum(count(p) for _, p in rows)
    if exact:
        check(f"{name}: {what} {want}", got == want, f"got {got}")
    else:
        check(f"{name}: {what} at least {want}", got >= want, f"got {got}")


def check_exec(name, reports, truth, view, intervals):
    old, new = truth["before"]["comm"], truth["after"]["comm"]
    rows = pid_rows(reports, truth["pid"])
    check(f"{name}: the names differ ({old}, {new})", old != new, old)
    count, what, exact = COUNTS[view]
    if not intervals:
        names = sorted({p["comm"] for _, p in rows})
        check(f"{name}: rows named {new}", names == [new], f"names {names}")
        check_count(name, view, rows, truth["before"][what] +
                    truth["after"][what], exact)
        return
    seq = [p["comm"] for _, p in rows]
    first_new = seq.index(new) if new in seq else len(seq)
    check(f"{name}: rows named {old}, then {new} only",
          old in seq and new in seq and
          all(c == old for c in seq[:first_new]) and
          all(c == new for c in seq[first_new:]), f"names {seq}")
    before = [x for x in rows if x[1]["comm"] == old]
    after = [x for x in rows if x[1]["comm"] == new]
    # Before exec the work is measured exactly; after it, exec and the
    # loader fault too (fork: nothing else forks).
    check_count(f"{name}: before exec", view, before,
                truth["before"][what], True)
    check_count(f"{name}: after exec", view, after, truth["after"][what],
                exact)


def check_thread(name, reports, truth, view, threads):
    rows = pid_rows(reports, truth["pid"])
    names = sorted({p["comm"] for _, p in rows})
    check(f"{name}: rows named {truth['comm']}, not {truth['helper']}",
          names == [truth["comm"]], f"names {names}")
    if view == "fork":
        check_count(name, view, rows, truth["forks"], True)
        got = sum(p["threads"] for _, p in rows)
        check(f"{name}: threads {threads}", got == threads, f"got {got}")
    else:
        check_count(f"{name}: the helper's", view, rows,
                    truth["helper_faults"], False)


def main(argv):
    kind, rep, truth_path, view, name = argv[1:6]
    with open(rep, encoding="utf-8") as f:
        reports = [json.loads(line) for line in f if line.strip()]
    with open(truth_path, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    truth = json.loads(lines[-1]) if lines else {}
    if not check(f"{name}: reports and a truth", reports and truth,
                 f"{len(reports)} reports, truth {truth}"):
        return 1
    finals = [r["final"] for r in reports]
    check(f"{name}: one final report, the last",
          finals.count(True) == 1 and finals[-1], f"final flags {finals}")
    if kind == "exec":
        check_exec(name, reports, truth, view, "--intervals" in argv)
    else:
        threads = int(argv[argv.index("--threads") + 1]) \
            if "--threads" in argv else truth["threads"]
        check_thread(name, reports, truth, view, threads)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # a crash must be a FAIL, never silence
        print(f"FAIL {' '.join(sys.argv[5:6]) or 'names'}: checker crashed: "
              f"{type(e).__name__}: {e}")
        sys.exit(1)
