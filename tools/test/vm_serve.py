# SPDX-License-Identifier: GPL-2.0
"""mmtrace serve in a VM (guest_serve.sh), on every kernel of the matrix:
the static binary, HTTP server linked in, listening on [::]:9479 and
scraped over IPv4 loopback by busybox wget. The page must carry exactly
what pinfork measured, under its comm, at the tier vm_fork.py expects.
"""
import json

import vm_fork
from vmlib import parse_console

COMM = "pfserve"


def samples(lines):
    """{series: value} of the exposition lines the guest kept."""
    out = {}
    for line in lines:
        series, _, value = line.rpartition(" ")
        out[series] = value
    return out


def check_console(path, kernel, check, check_fork_oracle, check_tiers):
    name = f"vm {kernel} serve"
    run = parse_console(path).get("serve", {})
    err = " ".join(run.get("stderr", []))
    check(f"{name}: serves [::]:9479, stops with 0 at SIGTERM",
          run.get("rc") == ["0"] and "serving http://[::]:9479/metrics" in err,
          f"rc {run.get('rc')} stderr {err[:400]}")
    check(f"{name}: wget over IPv4 loopback answered",
          "0" in run.get("wget", []), f"wget exits {run.get('wget')}")
    try:
        truth = json.loads(run.get("truth", ["{}"])[-1])
    except ValueError as e:
        truth = {}
        check(f"{name}: pinfork's truth", False, str(e))
    m = samples(run.get("metrics", []))
    want = truth.get("observed_copies")
    if want is None:
        want = truth.get("expected_pinned_copies")
    got = m.get(f'mmtrace_fork_comm_pinned_copies_total{{comm="{COMM}"}}')
    check(f"{name}: pinned copies of {COMM} == {want}",
          want is not None and got == str(want), f"got {got}")
    got = m.get(f'mmtrace_fork_comm_forks_total{{comm="{COMM}"}}')
    check(f"{name}: forks of {COMM} == {truth.get('forks_ok')}",
          got is not None and got == str(truth.get("forks_ok")),
          f"got {got}")
    up = m.get('mmtrace_view_up{view="fork"}')
    check(f"{name}: view fork up", up == "1", f"got {up}")
    obs = "fork.pinned_copies"
    tier = vm_fork.expected_tier(kernel, obs, "fentry")
    series = (f'mmtrace_probe_attached{{view="fork",observation="{obs}",'
              f'tier="{tier}"}}')
    check(f"{name}: {obs} attached at {tier}", m.get(series) == "1",
          f"probe series {[s for s in m if obs in s]}")
