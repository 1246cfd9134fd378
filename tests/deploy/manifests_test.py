#!/usr/bin/env python3
"""The Kubernetes and Grafana files say what the README and the systemd unit say.

usage: manifests_test.py TUNESCOPE SOURCE_DIR   (needs python3-yaml)

DaemonSet: the image deploy/image/build.sh builds, hostPID and hostNetwork, not privileged, no privilege escalation, every capability
dropped but exactly the systemd unit's, read-only mounts of what the probes read (BTF,
tracefs), scrape annotations that match the port tunescope listens on, and only flags that
`tunescope serve` accepts. ServiceMonitor and Service agree on the port. The Grafana
provisioning files name a Prometheus datasource and a dashboards folder.
"""
import os
import re
import subprocess
import sys

import yaml

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def main(tunescope, src):
    deploy = os.path.join(src, "deploy")
    with open(os.path.join(deploy, "systemd", "tunescope.service")) as f:
        unit = f.read()
    unit_caps = re.search(r"^AmbientCapabilities=(.*)$", unit, re.M).group(1).split()
    want_caps = sorted(c[len("CAP_"):] for c in unit_caps)
    help_text = subprocess.run([tunescope, "serve", "--help"], capture_output=True, text=True,
                               check=True).stdout

    docs = load_all(os.path.join(deploy, "kubernetes", "daemonset.yaml"))
    kinds = {d["kind"]: d for d in docs}
    ds = kinds.get("DaemonSet")
    check(ds is not None, "daemonset.yaml has no DaemonSet")
    if ds:
        spec = ds["spec"]["template"]["spec"]
        meta = ds["spec"]["template"]["metadata"]
        check(spec.get("hostPID") is True, "DaemonSet without hostPID")
        check(spec.get("hostNetwork") is True, "DaemonSet without hostNetwork")
        (c,) = spec["containers"]
        sc = c["securityContext"]
        check(sc.get("privileged") is False, "container may be privileged")
        check(sc.get("allowPrivilegeEscalation") is False, "privilege escalation allowed")
        check(sc["capabilities"].get("drop") == ["ALL"], "capabilities not dropped to none")
        check(sorted(sc["capabilities"].get("add", [])) == want_caps,
              "DaemonSet capabilities %s differ from the unit's %s"
              % (sc["capabilities"].get("add"), want_caps))
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for path in ("/sys/kernel/btf", "/sys/kernel/tracing"):
            check(path in mounts, "no mount of " + path)
            if path in mounts:
                check(mounts[path].get("readOnly") is True, path + " is not read-only")
                vol = volumes.get(mounts[path]["name"], {})
                check(vol.get("hostPath", {}).get("path") == path,
                      path + " is not the host's " + path)
        check(all(m.get("readOnly") for m in mounts.values()), "a writable mount")
        # The image deploy/image/build.sh builds from this version's .deb.
        version = subprocess.run([tunescope, "--version"], capture_output=True, text=True,
                                 check=True).stdout.split()[1]
        check(c.get("image") == "localhost/tunescope:" + version,
              "DaemonSet image %s is not deploy/image/build.sh's localhost/tunescope:%s"
              % (c.get("image"), version))
        args = c.get("args", [])
        check(args[:1] == ["serve"], "container args do not start with serve")
        # The shipped configuration keeps the attach windows that --drop-capabilities turns off.
        check("--drop-capabilities" not in args, "--drop-capabilities turns off the windows")
        for a in args[1:]:
            flag = a.split("=")[0]
            check(flag in help_text, "flag %s unknown to tunescope serve" % flag)
        listen = [a for a in args if a.startswith("--web.listen-address=")]
        port = int(listen[0].rsplit(":", 1)[1]) if listen else 10027
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        check(ports.get("metrics") == port, "containerPort metrics != listen port %d" % port)
        ann = meta.get("annotations", {})
        check(ann.get("prometheus.io/scrape") == "true", "no prometheus.io/scrape annotation")
        check(ann.get("prometheus.io/port") == str(port), "prometheus.io/port != %d" % port)
        check(ann.get("prometheus.io/path") == "/metrics", "prometheus.io/path != /metrics")
        labels = meta.get("labels", {})
        check(ds["spec"]["selector"]["matchLabels"].items() <= labels.items(),
              "selector does not match the pod labels")
    svc = kinds.get("Service")
    check(svc is not None, "daemonset.yaml has no Service")

    sm = load_all(os.path.join(deploy, "kubernetes", "servicemonitor.yaml"))[0]
    check(sm["kind"] == "ServiceMonitor", "servicemonitor.yaml is not a ServiceMonitor")
    if svc:
        svc_ports = {p["name"] for p in svc["spec"]["ports"]}
        for ep in sm["spec"]["endpoints"]:
            check(ep["port"] in svc_ports, "ServiceMonitor port %s not in the Service" % ep["port"])
        check(sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items(),
              "ServiceMonitor selector does not match the Service")

    job = load_all(os.path.join(deploy, "kubernetes", "prometheus-scrape-job.yaml"))[0]
    relabels = job["scrape_configs"][0]["relabel_configs"]
    check(any(r.get("target_label") == "job" and r.get("replacement") == "tunescope"
              for r in relabels), "the kubernetes scrape job does not set job=tunescope")

    prov = os.path.join(deploy, "grafana", "provisioning")
    ds_file = load_all(os.path.join(prov, "datasources", "tunescope.yaml"))[0]
    check(any(d.get("type") == "prometheus" for d in ds_file["datasources"]),
          "no prometheus datasource provisioned")
    dash = load_all(os.path.join(prov, "dashboards", "tunescope.yaml"))[0]
    check(all(p.get("type") == "file" and p["options"].get("path")
              for p in dash["providers"]), "dashboard provider without a file path")

    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
