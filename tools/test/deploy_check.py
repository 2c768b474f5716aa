#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The DaemonSet manifest (tools/deploy/), as far as no cluster is needed.

  deploy_check.py check MANIFEST           it parses, and says what the
                                           README promises, one "PASS" or
                                           "FAIL name: why" line each
  deploy_check.py pod MANIFEST OUT ARG...  writes its pod template as a
                                           Pod for `podman kube play`,
                                           with ARG... as the container's
                                           args (host_image.sh)

podman kube play (4.3) runs no DaemonSet and ignores hostPID, and its
port mappings need a bridge network: the Pod has the template's spec
without containerPort and probes, on the host's network.
"""
import sys

import yaml

failed = 0


def verdict(name, ok, why=""):
    global failed
    if ok:
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def load(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    return docs, ds[0] if len(ds) == 1 else None


def check(path):
    name = "unit deploy: DaemonSet"
    try:
        docs, ds = load(path)
    except (OSError, yaml.YAMLError) as e:
        verdict(f"{name}: the YAML parses", False, str(e)[:300])
        return
    verdict(f"{name}: the YAML parses, one DaemonSet", ds is not None,
            f"kinds {[d.get('kind') for d in docs]}")
    if ds is None:
        return
    tmpl = ds["spec"]["template"]
    spec = tmpl["spec"]
    verdict(f"{name}: selector matches the template's labels",
            ds["spec"]["selector"]["matchLabels"].items() <=
            tmpl["metadata"]["labels"].items(), str(ds["spec"]["selector"]))
    verdict(f"{name}: hostPID", spec.get("hostPID") is True,
            f"hostPID {spec.get('hostPID')}")
    ann = tmpl["metadata"].get("annotations", {})
    verdict(f"{name}: scrape annotations on port 9479",
            ann.get("prometheus.io/scrape") == "true" and
            ann.get("prometheus.io/port") == "9479", str(ann))
    c = spec["containers"][0]
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    verdict(f"{name}: drops every capability but SYS_ADMIN, BPF, PERFMON, "
            "SYSLOG", caps.get("drop") == ["ALL"] and
            sorted(caps.get("add", [])) ==
            ["BPF", "PERFMON", "SYSLOG", "SYS_ADMIN"], str(caps))
    verdict(f"{name}: not privileged, no privilege escalation",
            sc.get("privileged") is False and
            sc.get("allowPrivilegeEscalation") is False, str(sc))
    verdict(f"{name}: read-only root", sc.get("readOnlyRootFilesystem") is
            True, str(sc))
    verdict(f"{name}: seccomp RuntimeDefault",
            sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
            str(sc.get("seccompProfile")))
    vols = {v["name"]: v.get("hostPath", {}).get("path")
            for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: (vols.get(m["name"]), m.get("readOnly"))
              for m in c.get("volumeMounts", [])}
    for where in ("/sys/kernel/tracing", "/sys/fs/cgroup"):
        verdict(f"{name}: the node's {where}, read-only",
                mounts.get(where) == (where, True), str(mounts))
    res = c.get("resources", {})
    verdict(f"{name}: memory and CPU requests and limits",
            all(res.get(k, {}).get(r) for k in ("requests", "limits")
                for r in ("cpu", "memory")), str(res))
    args = c.get("args", [])
    verdict(f"{name}: serves on the pod's addresses, port 9479",
            args[:1] == ["serve"] and "[::]:9479" in args, str(args))


def pod(path, out, args):
    _, ds = load(path)
    tmpl = ds["spec"]["template"]
    spec = tmpl["spec"]
    c = spec["containers"][0]
    c["args"] = args
    for k in ("ports", "livenessProbe", "readinessProbe"):
        c.pop(k, None)
    spec["hostNetwork"] = True
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "mmtrace-deploy-test",
                      "labels": tmpl["metadata"]["labels"],
                      "annotations": tmpl["metadata"].get("annotations", {})},
         "spec": spec}
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump(p, f)
    print(c["image"])


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "pod":
        pod(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    else:
        sys.exit(__doc__)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
