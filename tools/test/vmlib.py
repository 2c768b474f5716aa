# SPDX-License-Identifier: GPL-2.0
"""What every vm_<view>.py needs from a VM's console log.

guest-lib.sh tags each line it wants seen "MMT|case|stream|"; these
helpers pick the tagged lines out and open a case's reports and truth.
"""
import json
import os
import re

# A key that names a time unit other than ns (every duration is _ns).
OTHER_UNIT = re.compile(r"(^|_)(us|usec|usecs|ms|msec|msecs|sec|secs|seconds)"
                        r"(_|$)")


def release(kernel):
    """The kernel release a matrix name stands for: "6.1" and "arm64-6.1"
    are both Debian's 6.1, the second built for arm64."""
    return kernel.split("-", 1)[1] if kernel.startswith("arm64-") else kernel


def arm64_tiers(tiers):
    """An x86-64 release's tiers as Debian's arm64 build of it (6.1)
    shows them when it has no BPF trampoline: fentry/fexit attach fails
    there with ENOTSUPP (ftrace direct calls came to arm64 in 6.4), so
    every fentry plan falls to its kprobe plan. Each view's plans have one
    (kprobe/kretprobe on the same functions), and kprobes work there."""
    return {obs: "kprobe" if t == "fentry" else t for obs, t in tiers.items()}


def parse_console(path):
    """{case: {stream: [lines]}} from the tagged lines of a console log."""
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            at = line.find("MMT|")
            if at < 0:
                continue
            parts = line[at:].split("|", 3)
            if len(parts) == 4:
                out.setdefault(parts[1], {}).setdefault(parts[2], []).append(
                    parts[3])
    return out


def check_hangs(check, name, console):
    """Every process a guest case told to stop ended within its bound
    (guest-lib.sh's reap, which shows each stuck one's kernel stacks)."""
    hung = {case: streams["hang"]
            for case, streams in parse_console(console).items()
            if "hang" in streams}
    return check(f"{name}: every process told to stop ended in time",
                 not hung, "\n".join(f"{case}: " + "\n  ".join(lines)
                                      for case, lines in hung.items()))


def exit_zero(check, name, run):
    """mmtrace exited 0 in this case."""
    return check(f"{name}: exit 0", run.get("rc") == ["0"],
                 f"rc {run.get('rc')} stderr {run.get('stderr')}")


def refused(check, name, run, view):
    """A view that can observe nothing on this kernel (or at this --tier)
    exits 1 with its reasons and reports nothing: never nulls and exit 0."""
    err = "\n".join(run.get("stderr", []))
    return check(f"{name}: refuses to run, says why, reports nothing",
                 run.get("rc") == ["1"] and not run.get("report") and
                 f"cannot trace {view}: none of its observations" in err,
                 f"rc {run.get('rc')} stderr {err[:400]!r}")


def case_json(check, name, run):
    """A case's reports and the workload's truth; (None, None) after a FAIL."""
    try:
        reports = [json.loads(line) for line in run.get("report", [])]
        truth = json.loads(run.get("truth", ["{}"])[-1])
    except ValueError as e:
        check(f"{name}: JSON", False, str(e))
        return None, None
    return reports, truth


def unit_problems(reports):
    """Every duration of a JSON report is in ns, with an _ns name, and
    "units" says so: the keys that break this, as strings."""
    bad = []

    def walk(v, where):
        if isinstance(v, dict):
            for k, x in v.items():
                if OTHER_UNIT.search(k):
                    bad.append(f"{where}.{k}")
                walk(x, f"{where}.{k}")
        elif isinstance(v, list):
            for x in v:
                walk(x, f"{where}[]")
    for i, r in enumerate(reports):
        walk(r, f"[{i}]")
        if r.get("units", {}).get("latency") != "ns":
            bad.append(f"[{i}].units {r.get('units')}")
    return sorted(set(bad))


def check_units(check, name, reports):
    bad = unit_problems(reports)
    return check(f"{name}: every duration in ns, units.latency ns",
                 not bad, f"{bad}")


def man_loss_names():
    """The loss names the man page's LOSSES section lists: the one name of
    each loss, which JSON, text and the exporter's reason label share."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "packaging", "mmtrace.8")
    names, section, term = set(), False, False
    with open(path) as f:
        for line in f:
            if line.startswith(".SH"):
                section = line.split()[1] == "LOSSES"
            elif section and line.startswith(".TP"):
                term = True
                continue
            elif section and term:
                names |= set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", line))
            term = False
    return names


def check_losses(check, name, reports):
    """Every key of a report's "lost" is a loss the man page names."""
    known = man_loss_names()
    bad = sorted({k for r in reports for k in r["lost"]} - known)
    return check(f"{name}: every lost key is a loss the man page names",
                 not bad, f"unknown {bad}, the man page has {sorted(known)}")


def check_in_buckets(check, name, what, total, hists):
    """@total (ns, summed) lies within the bounds of the @hists buckets
    that counted the same events: their units agree, whatever the slots."""
    lo = sum(b["low"] * b["count"] for h in hists for b in h)
    hi = sum(b["high"] * b["count"] for h in hists for b in h)
    return check(f"{name}: {what} ({total} ns) within its histogram's "
                 f"bounds", total is not None and lo <= total <= hi,
                 f"buckets give [{lo}, {hi}]")
