# SPDX-License-Identifier: GPL-2.0
"""mmtrace top's plain table and the findings that need fentry or kprobes
(gup.slow_path, hugetlb.pmd_not_shared), as guest_top.sh runs them on one
kernel of the matrix (KERNELS).

- top's plain table has the interval's counts: summed over the tables,
  the rows of a workload give its truth exactly (pinfork: forks and
  pinned copies; gupwork vmsplice of untouched pages: every page got by
  the slow path); on this kernel the gup and hugetlb columns are known.
- gup.slow_path triggers on 256 untouched pages (all slow) with the
  report's own numbers as evidence, and stays silent on touched ones.
- hugetlb.pmd_not_shared triggers on two pmdshare runs of one process
  each, one after the other (2 calls, 0 shared), and stays silent on
  four processes that share (4 calls, 3 shared).
"""
from vmlib import case_json, exit_zero, parse_console

KERNELS = ("6.12",)


def tables(lines):
    """Each plain table's rows, as dicts keyed by its header."""
    out, header = [], None
    for line in lines:
        words = line.split()
        if words[:2] == ["PID", "COMM"]:
            header = words
            out.append([])
        elif header and words and words[0].isdigit() and \
                len(words) == len(header):
            out[-1].append(dict(zip(header, words)))
        elif not words:
            header = None
    return out


def top_sum(rows, comm, col):
    return sum(int(r[col]) for r in rows if r["COMM"] == comm)


def check_top(check, kernel, case, run):
    name = f"vm {kernel} {case}"
    exit_zero(check, name, run)
    check(f"{name}: workload exit 0", run.get("wrc") == ["0"],
          f"wrc {run.get('wrc')}")
    lines = run.get("report", [])
    _, truth = case_json(check, name, {"truth": run.get("truth", ["{}"])})
    tabs = tables(lines)
    rows = [r for t in tabs for r in t]
    if not check(f"{name}: plain tables printed", len(tabs) >= 2,
                 "\n".join(lines[:20])):
        return
    tiers = [x for x in lines if x.startswith("tiers: ")]
    def unavailable(t):
        return t.split("none:")[1] if "none:" in t else ""

    check(f"{name}: gup and hugetlb run here (fentry)", tiers and
          all("fentry:" in t and "gup" in t.split("fentry:")[1] and
              "hugetlb.pmd_share" in t.split("fentry:")[1] and
              "gup" not in unavailable(t) and
              "hugetlb" not in unavailable(t) for t in tiers),
          str(tiers[:1]))
    comm = case.split(":")[1]
    known = {r[c] for r in rows for c in ("GUPSLW", "PMDms")}
    check(f"{name}: gup and hugetlb columns known here", "-" not in known,
          f"cells {sorted(known)}")
    if comm == "pinfork":
        got = (top_sum(rows, comm, "FORKS"), top_sum(rows, comm, "PINNED"))
        want = (truth["forks_ok"], truth["observed_copies"])
        check(f"{name}: FORKS, PINNED add up to {want}", got == want,
              f"got {got}")
    elif comm == "gupwork":
        got = top_sum(rows, comm, "GUPSLW")
        check(f"{name}: GUPSLW adds up to {truth['pages']}",
              got == truth["pages"], f"got {got}")
    elif comm == "pmdshare":
        got = sum(float(r["PMDms"]) for r in rows if r["COMM"] == comm)
        check(f"{name}: time in huge_pmd_share shown", got > 0,
              f"PMDms sum {got}")


def only(found, fid):
    mine = [f for f in found if f.get("id") == fid]
    return mine[0] if len(mine) == 1 and len(found) == 1 else None


def check_finding(check, kernel, case, run):
    name = f"vm {kernel} {case}"
    exit_zero(check, name, run)
    reports, truth = case_json(check, name, run)
    if not check(f"{name}: a report", reports, f"stderr {run.get('stderr')}"):
        return
    rep = reports[-1]
    found = rep.get("findings")
    if not check(f"{name}: a findings list", isinstance(found, list),
                 repr(found)):
        return
    if case.endswith(("gup_fast", "pmd_shared")):
        check(f"{name}: no finding", found == [], str(found))
        return
    rows = rep["processes"]
    if case.endswith("gup_slow"):
        f = only(found, "gup.slow_path")
        if not check(f"{name}: exactly one gup.slow_path", f, str(found)):
            return
        row = [r for r in rows if r["pid"] == truth["pid"]]
        want = {"pages_slow": truth["pages"], "pages_fast": 0,
                "calls": row[0]["calls"] if row else None}
        got = {k: f["evidence"].get(k) for k in want}
        check(f"{name}: evidence {want}", got == want, f"got {got}")
        check(f"{name}: subject pid {truth['pid']} (gupwork)",
              f["subject"] == {"pid": truth["pid"], "comm": "gupwork"},
              str(f["subject"]))
        # 6.12 has MADV_POPULATE_WRITE (5.14 and later).
        check(f"{name}: advice fits the kernel",
              "MADV_POPULATE_WRITE" in f["advice"], f["advice"])
    else:
        f = only(found, "hugetlb.pmd_not_shared")
        if not check(f"{name}: exactly one hugetlb.pmd_not_shared", f,
                     str(found)):
            return
        calls = sum(r["pmd_share_calls"] for r in rows
                    if r["comm"] == "pmdshare")
        want = {"pmd_share_calls": 2, "pmd_shared": 0}
        got = {k: f["evidence"].get(k) for k in want}
        check(f"{name}: evidence {want}", got == want and calls == 2,
              f"got {got}, rows' calls {calls}")
        check(f"{name}: subject every pmdshare",
              f["subject"] == {"pid": None, "comm": "pmdshare"},
              str(f["subject"]))


def check_console(path, kernel, check, check_fork, check_tiers):
    if kernel not in KERNELS:
        return
    runs = parse_console(path)
    for case in ("top:pinfork", "top:gupwork", "top:pmdshare"):
        if check(f"vm {kernel} {case}: ran", case in runs, "no output"):
            check_top(check, kernel, case, runs[case])
    for case in ("findings:gup_slow", "findings:gup_fast",
                 "findings:pmd_alone", "findings:pmd_shared"):
        if check(f"vm {kernel} {case}: ran", case in runs, "no output"):
            check_finding(check, kernel, case, runs[case])
