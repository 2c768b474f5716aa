# SPDX-License-Identifier: GPL-2.0
"""What each kernel of the matrix must show for mmtrace gup.

The expected numbers follow from the workload's truth (gupwork) and from
what each kernel's source does with it:
- vmsplice() takes user pages through iov_iter_get_pages*() in batches of
  16 (iter_to_pipe), each one get_user_pages_fast() call (FOLL_GET);
  touched pages are all found by the lockless walk.
- io_uring buffer registration pins with pin_user_pages_fast(FOLL_WRITE |
  FOLL_LONGTERM) on 6.12 and 7.3, but with pin_user_pages() under
  mmap_lock on 5.10 and 6.1: there it never reaches GUP-fast.
- Untouched pages have no PTE: the walk finds none, the slow path faults
  them all in (vmsplice: the zero page; io_uring: new anon pages).
- O_DIRECT from a block device (brd) into the buffer: FOLL_WRITE, with
  FOLL_GET on 5.10 and 6.1 and FOLL_PIN from 6.x's iov_iter_extract_pages.
- A range whose tail is unmapped: the walk gets the mapped head, the slow
  path fails on the hole. GUP returns the head; vmsplice then asks again
  for the hole alone and gets EFAULT.
"""
import json
import re

from vmlib import (case_json, check_in_buckets, check_losses, check_units,
                   exit_zero, parse_console)

TIER_ORDER = ("fentry", "kprobe", "tracepoint")
OBS = ("gup.calls", "gup.slow_path")
TIERS = {
    # Debian's 5.10 has the 6-argument __gup_longterm_locked(mm, ...)
    # (early 5.10 took the task first: 7, kprobe only; BTF tells them apart).
    "5.10": {"gup.calls": "fentry", "gup.slow_path": "fentry"},
    "6.1": {"gup.calls": "fentry", "gup.slow_path": "fentry"},
    "6.12": {"gup.calls": "fentry", "gup.slow_path": "fentry"},
    "7.3": {"gup.calls": "fentry", "gup.slow_path": "fentry"},
}
# Kernels whose io_uring pins registered buffers through GUP-fast.
IOURING_FAST = ("6.12", "7.3")
# Kernels whose block O_DIRECT pins (iov_iter_extract_pages) instead of
# taking references (iov_iter_get_pages).
ODIRECT_PINS = ("6.12", "7.3")
BATCH = 16  # pages per iov_iter_get_pages call in vmsplice
CLASSES = ("pin", "get", "longterm", "write")
# The syscall every caller stack of a case reaches (the entry function's
# name contains it on every kernel: __x64_sys_*, __do_sys_*, ksys_*).
SYSCALL = {"vmsplice": "vmsplice", "iouring": "io_uring_register",
           "odirect": "pread64"}
# Kernels whose unwinder stops at a kretprobe's trampoline (fixed in 5.13):
# with gup.calls on kprobes, the callers' stacks end there.
KRETPROBE_UNWIND_STOPS = ("5.10",)


def cases():
    """(case name, --tier given) as guest_gup.sh runs them."""
    for tier in ("fentry", "kprobe"):
        for case in ("vmsplice", "vmsplice_hole", "vmsplice_untouched",
                     "iouring", "iouring_hole", "iouring_untouched"):
            yield f"gup:{case}@{tier}", tier
    yield "gup:vmsplice_big@fentry", "fentry"
    for tier in ("fentry", "kprobe"):
        for case in ("odirect", "odirect_untouched"):
            yield f"gup:{case}@{tier}", tier


def expected_tier(kernel, obs, cap):
    best = TIERS[kernel][obs]
    if best == "none" or TIER_ORDER.index(best) >= TIER_ORDER.index(cap):
        return best
    return cap


def expect(kernel, truth):
    """The totals and flag classes @truth implies on @kernel, or None when
    the kernel makes no GUP-fast call for it. The lockless walk finds the
    pages present before the call (measured through pagemap: all or none
    here); the slow path gets the rest of what is mapped."""
    n, hole, present = truth["pages"], truth["hole"], truth["present_before"]
    assert present in (0, n), "gupwork touches all pages or none"
    assert not (hole and present < n), "a hole only after touched pages"
    if truth["work"] == "vmsplice":
        classes = ("get",)
        if hole:
            # One call for the whole range (<= 16 pages), short; one for
            # the hole, EFAULT. Both fell back.
            assert n + hole <= BATCH, "vmsplice_hole needs one batch"
            want = dict(calls=2, pages_asked=n + 2 * hole,
                        pages_returned=truth["pages_done"],
                        pages_fast=truth["pages_done"], pages_slow=0,
                        fallbacks=2, short=1, errors=1)
            return want, classes, {"EFAULT": 1}
        calls = -(-n // BATCH)
        done = truth["pages_done"]
        want = dict(calls=calls, pages_asked=n, pages_returned=done,
                    pages_fast=present, pages_slow=done - present,
                    fallbacks=0 if present == n else calls, short=0,
                    errors=0)
        return want, classes, {}
    if truth["work"] == "odirect":
        # One bio, one iov_iter_get_pages (5.10, 6.1: FOLL_GET) or
        # iov_iter_extract_pages (6.12+: FOLL_PIN) call for 16 pages;
        # FOLL_WRITE, since the read writes into the buffer.
        pin = kernel in ODIRECT_PINS
        classes = ("pin" if pin else "get", "write")
        done = truth["pages_done"]
        want = dict(calls=1, pages_asked=n, pages_returned=done,
                    pages_fast=present, pages_slow=done - present,
                    fallbacks=0 if present == n else 1, short=0, errors=0)
        return want, classes, {}
    if kernel not in IOURING_FAST:
        return None, (), {}
    classes = ("pin", "longterm", "write")
    got = n  # the mapped head; a hole makes the call short
    want = dict(calls=1, pages_asked=n + hole, pages_returned=got,
                pages_fast=present, pages_slow=got - present,
                fallbacks=0 if present == n and not hole else 1,
                short=1 if hole else 0, errors=0)
    return want, classes, {}


def raw_frame(frame):
    return frame.startswith("0x") and all(
        c in "0123456789abcdef" for c in frame[2:]) and len(frame) > 2


def check_callers(check, cname, rep, truth, want, kernel, hidden=False):
    """Every call is charged to a caller stack that reaches the syscall;
    with kallsyms hiding addresses, to a stack of raw addresses."""
    callers = rep["callers"]
    calls = sum(c["calls"] for c in callers)
    check(f"{cname}: callers' calls == {want['calls']}",
          calls == want["calls"], f"got {calls}")
    if hidden:
        bad = [c for c in callers if c["caller"] is not None or
               not c["stack"] or not all(map(raw_frame, c["stack"]))]
        check(f"{cname}: callers unknown, stacks of raw addresses",
              callers and not bad, f"callers {bad or callers}")
        return
    if kernel in KRETPROBE_UNWIND_STOPS and \
            rep["probes"]["gup.calls"] == "kprobe":
        bad = [c for c in callers if c["caller"] is not None or
               "kretprobe_trampoline" not in c["stack"][-1]]
        check(f"{cname}: callers unknown (stack ends at the kretprobe "
              f"trampoline)", callers and not bad, f"callers {callers}")
        return
    printed = [(c["caller"], tuple(c["stack"])) for c in callers]
    check(f"{cname}: no two callers print the same",
          len(printed) == len(set(printed)), f"callers {callers}")
    sc = SYSCALL[truth["work"]]
    bad = [c for c in callers
           if not c["caller"] or not any(sc in f for f in c["stack"])]
    check(f"{cname}: every caller stack reaches a *{sc}* frame",
          callers and not bad, f"callers {bad or callers}")


def check_numbers(check, cname, rep, truth, kernel, split, hidden=False):
    want, classes, errors = expect(kernel, truth)
    totals = rep["totals"]
    rows = [p for p in rep["processes"] if p["pid"] == truth["pid"]]
    others = [p["pid"] for p in rep["processes"] if p["pid"] != truth["pid"]]
    check(f"{cname}: rows of pid {truth['pid']} only", not others,
          f"other pids {others}")
    if want is None:
        check(f"{cname}: no GUP-fast call (pins under mmap_lock)",
              totals["calls"] == 0 and not rows,
              f"totals {totals}, rows {rows}")
        return
    for key, val in want.items():
        if key in ("pages_fast", "pages_slow", "fallbacks") and not split:
            check(f"{cname}: {key} unknown without the fallback probe",
                  totals[key] is None, f"got {totals[key]}")
            continue
        check(f"{cname}: {key} == {val}", totals[key] == val,
              f"got {totals[key]}")
    for cls in CLASSES:
        calls = rep["by_flag"][cls]["calls"]
        exp = want["calls"] if cls in classes else 0
        check(f"{cname}: {cls} calls == {exp}", calls == exp, f"got {calls}")
    got_err = {e["name"]: e["count"] for e in rep["errors"]}
    check(f"{cname}: errors {errors}", got_err == errors, f"got {got_err}")
    pinned = "pin" in classes
    check(f"{cname}: first_pins == {int(pinned)}",
          totals["first_pins"] == int(pinned), f"got {totals['first_pins']}")
    check_callers(check, cname, rep, truth, want, kernel, hidden)
    if not check(f"{cname}: one row", len(rows) == 1, f"rows {rows}"):
        return
    row = rows[0]
    check_units(check, cname, [rep])
    check_losses(check, cname, [rep])
    check_in_buckets(check, cname, "row gup_total_ns", row["gup_total_ns"],
                     [rep["latency_ns"]["all"]])
    for key in ("calls", "pages_fast", "pages_slow"):
        val = want[key] if split or key == "calls" else None
        check(f"{cname}: row {key} == {val}", row[key] == val,
              f"got {row[key]}")
    check(f"{cname}: row has_pinned == {pinned}",
          row["has_pinned"] == pinned and row["first_pin"] == pinned,
          f"got has_pinned {row['has_pinned']} first_pin {row['first_pin']}")


def check_case(check, kernel, cname, run, cap, hidden=False):
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if reports is None:
        return
    if not check(f"{cname}: one final report and a truth",
                 len(reports) == 1 and reports[0].get("final") and truth,
                 f"{len(reports)} reports, truth {truth}"):
        return
    rep = reports[0]
    for obs in OBS:
        want = expected_tier(kernel, obs, cap)
        check(f"{cname}: {obs} tier {want}", rep["probes"].get(obs) == want,
              f"got {rep['probes'].get(obs)}")
    check(f"{cname}: nothing lost", not any(rep["lost"].values()),
          f"lost {rep['lost']}")
    split = rep["probes"].get("gup.slow_path") != "none"
    check_numbers(check, cname, rep, truth, kernel, split, hidden)


def check_hidden(check, name, runs, kernel):
    """kptr_restrict=2: exact numbers, one warning, raw caller stacks."""
    cname = f"{name} gup:vmsplice_hidden@fentry"
    run = runs.get("gup:vmsplice_hidden@fentry", {})
    check_case(check, kernel, cname, run, "fentry", hidden=True)
    for case, rn in ((cname, run),
                     (f"{name} gup:hidden_text", runs.get("gup:hidden_text",
                                                          {}))):
        said = sum("hides kernel addresses" in line
                   for line in rn.get("stderr", []))
        check(f"{case}: said once", said == 1, f"stderr {rn.get('stderr')}")
    text = runs.get("gup:hidden_text", {})
    lines = text.get("report", [])
    at = next((i for i, line in enumerate(lines)
               if line.startswith("CALLER ")), None)
    rows = lines[at + 1:] if at is not None else []
    check(f"{name} gup:hidden_text: exit 0, a '?' caller row, then its raw "
          f"frames", text.get("rc") == ["0"] and len(rows) > 1 and
          rows[0].startswith("? ") and raw_frame(rows[1].strip()) and
          rows[1].startswith("    "), f"rc {text.get('rc')} rows {rows[:4]}")


def check_odd_text(check, name, runs):
    """A name with control characters: one escaped table row, no ESC."""
    run = runs.get("gup:odd_text", {})
    want = 'a"b\\\\c\\nd\\te\\x1b[31mR'
    lines = run.get("report", [])
    rows = [line for line in lines
            if re.fullmatch(r"\d+ +" + re.escape(want) + r" +1 .*", line)]
    named = [line for line in lines if 'a"b' in line]
    check(f"{name} gup:odd_text: one escaped row, no raw control",
          run.get("rc") == ["0"] and len(rows) == 1 and
          not any(c < " " for line in lines for c in line),
          f"rc {run.get('rc')} rows {named}")


def check_text_callers(check, kernel, name, run):
    """The text CALLER table: one row per name (it prints no deeper frame),
    its calls one per registration where io_uring pins through GUP-fast
    (gupwork iouring --again: two, through two paths to io_pin_pages)."""
    exit_zero(check, name, run)
    lines = run.get("report", [])
    at = [i for i, line in enumerate(lines) if line.startswith("CALLER ")]
    rows = []
    for line in lines[at[0] + 1:] if at else []:
        if not line.strip():
            break
        rows.append(line.split())
    names = [r[0] for r in rows]
    check(f"{name}: no two CALLER rows print the same name",
          len(names) == len(set(names)), f"rows {rows}")
    truth = json.loads(run.get("truth", ["{}"])[-1])
    want = truth.get("registrations") if kernel in IOURING_FAST else 0
    calls = sum(int(r[1]) for r in rows)
    check(f"{name}: CALLER rows' calls == {want}", calls == want,
          f"rows {rows}, truth {truth}")


def check_refusal(check, name, run):
    """No tracepoint sees GUP-fast: --tier tracepoint must refuse, saying so."""
    err = " ".join(run.get("stderr", []))
    check(f"{name}: --tier tracepoint refused", run.get("rc") == ["1"] and
          "cannot trace gup" in err and not run.get("report"),
          f"rc {run.get('rc')} stderr {err}")


def check_console(path, kernel, check, check_fork, check_tiers):
    runs = parse_console(path)
    name = f"vm {kernel} gup"
    try:
        doc = json.loads("".join(runs.get("probes", {}).get("json", [])))
        check_tiers(name, doc, "gup",
                    [f"{k}={v}" for k, v in TIERS[kernel].items()])
    except (ValueError, KeyError) as e:
        check(f"{name}: probes JSON", False, repr(e))
    for case, cap in cases():
        check_case(check, kernel, f"{name} {case}", runs.get(case, {}), cap)
    check_refusal(check, name, runs.get("gup:vmsplice@tracepoint", {}))
    check_text_callers(check, kernel, f"{name} gup:iouring_text@fentry",
                       runs.get("gup:iouring_text@fentry", {}))
    check_hidden(check, name, runs, kernel)
    check_odd_text(check, name, runs)
    brd = runs.get("gup:brd", {})
    check(f"{name}: brd loaded for O_DIRECT", brd.get("rc") == ["0"],
          f"rc {brd.get('rc')} {brd.get('stderr')}")
