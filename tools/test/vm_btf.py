# SPDX-License-Identifier: GPL-2.0
"""A kernel without BTF in /sys, given its BTF with --btf (guest_btf.sh).

CO-RE reads the file; fentry, fexit and tp_btf attach by the kernel's own
BTF ids, so only the kprobe and classic tracepoint tiers can run, on every
kernel of the matrix (each has kprobes). Without --btf, one line says so.
"""
import json

from vmlib import case_json, exit_zero, parse_console


def kinds(obs):
    """The kinds of the points attached (optional ones may have none)."""
    return sorted({p["kind"] for p in obs.get("points") or []
                   if p.get("target")})


def check_probes(check, name, run):
    check(f"{name}: probes --btf exits 0", run.get("rc") == ["0"],
          f"rc {run.get('rc')}")
    try:
        doc = json.loads("".join(run.get("json", [])))
        fork = {o["name"]: o for o in doc["views"]["fork"]}
    except (ValueError, KeyError) as e:
        check(f"{name}: probes --btf JSON", False, repr(e))
        return
    check(f"{name}: probes: no kernel BTF, CO-RE from the file",
          doc["kernel_btf"] is False and doc["btf"] == "/tmp/vmlinux.btf",
          f"{doc.get('kernel_btf')} {doc.get('btf')}")
    want = {"fork.pinned_copies": ("kprobe", ["kprobe", "kretprobe"]),
            "fork.thp_splits": ("kprobe", ["kretprobe"]),
            "fork.hugetlb_copies": ("kprobe", ["kprobe", "kretprobe"]),
            "fork.syscalls": ("tracepoint", ["tracepoint"]),
            # No tp_btf without the kernel's BTF: the classic plan.
            "fork.clones": ("tracepoint", ["tracepoint"]),
            "fork.children": ("none", [])}
    for obs, (tier, kind) in want.items():
        o = fork.get(obs, {})
        check(f"{name}: probes: {obs} {tier} by {kind or 'nothing'}",
              o.get("tier") == tier and kinds(o) == kind,
              f"got {o.get('tier')} {kinds(o)}")
    # A refusal that holds whatever the BTF comes first where it applies:
    # Debian's arm64 6.1 lists no data symbols (hugetlb.pmd_share).
    for view, obs in doc["views"].items():
        for o in obs:
            bad = [r for r in o.get("rejected", [])
                   if r.get("tier") == "fentry" and
                   "no BTF of its own" not in r.get("reason", "") and
                   "(CONFIG_KALLSYMS_ALL off)" not in r.get("reason", "")]
            check(f"{name}: probes: {o['name']} fentry refused for want "
                  "of the kernel's BTF", not bad, f"{bad}")


def check_refusal(check, name, run):
    err = run.get("stderr", [])
    check(f"{name}: no BTF and no --btf: one line naming --btf, exit 1",
          run.get("rc") == ["1"] and len(err) == 1 and "no BTF" in err[0]
          and "--btf PATH" in err[0] and not run.get("report"),
          f"rc {run.get('rc')} stderr {err}")


def check_console(path, kernel, check, check_fork, check_tiers):
    runs = parse_console(path)
    name = f"vm {kernel} btf"
    check_refusal(check, name, runs.get("btf:none", {}))
    check_probes(check, name, runs.get("btf:probes", {}))
    for case, tier in (("btf:pin@fentry", "kprobe"),
                       ("btf:pin@tracepoint", "tracepoint")):
        run = runs.get(case, {})
        exit_zero(check, f"{name} {case}", run)
        reports, truth = case_json(check, f"{name} {case}", run)
        if reports is None:
            continue
        if not reports or not truth:
            check(f"{name} {case}: has a report and a truth", False, str(run))
            continue
        check_fork(f"{name} {case}", reports, truth, tier)
    # The gup numbers as vm_gup.py checks them at the kprobe tier, with
    # this kernel's quirks (5.10's kretprobe stacks end at the trampoline).
    import vm_gup
    run = runs.get("btf:gup@fentry", {})
    cname = f"{name} btf:gup@fentry"
    exit_zero(check, cname, run)
    reports, truth = case_json(check, cname, run)
    if not reports or not truth or len(reports) != 1:
        check(f"{cname}: one report and a truth", False, str(run))
        return
    rep = reports[0]
    got = rep["probes"].get("gup.calls")
    check(f"{cname}: gup.calls tier kprobe", got == "kprobe", f"got {got}")
    check(f"{cname}: nothing lost", not any(rep["lost"].values()),
          f"lost {rep['lost']}")
    vm_gup.check_numbers(check, cname, rep, truth, kernel,
                         rep["probes"].get("gup.slow_path") != "none")
