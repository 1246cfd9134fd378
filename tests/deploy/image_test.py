#!/usr/bin/env python3
"""The DaemonSet's image, built by deploy/image/build.sh, runs the daemon under podman the way
the DaemonSet runs it, and /metrics answers with probes up.

usage: image_test.py PACKAGE_DIR CACHE_DIR       (root; podman, mmdebstrap, python3-yaml)

The image is built from build.packager's .deb into a podman store of its own under CACHE_DIR
(the host's images are left alone), with the Debian root cached there too (rootfs.sh). Its
name must be the DaemonSet's `image:`. Every podman option comes from the DaemonSet's pod and
container spec: hostPID -> --pid=host, hostNetwork -> --network=host, the capabilities
(drop ALL, add exactly the listed ones), no privilege escalation, read-only root, runAsUser,
seccomp and AppArmor unconfined, the memory limit, and each hostPath volume mounted where and
as the DaemonSet mounts it. The args are the DaemonSet's, with the listen address moved to a free loopback port
(with hostNetwork the container's port is the host's). SIGTERM (podman stop) must end it with 0.
"""
import glob
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request

import yaml

SRC = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def fail(what):
    print("FAIL:", what, file=sys.stderr)
    sys.exit(1)


def daemonset():
    with open(os.path.join(SRC, "deploy", "kubernetes", "daemonset.yaml")) as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "DaemonSet"]
    if len(docs) != 1:
        fail("daemonset.yaml has %d DaemonSets" % len(docs))
    return docs[0]["spec"]["template"]["spec"]


def podman_run_args(spec, port):
    """podman run options and the container's args, translated from the pod spec."""
    (c,) = spec["containers"]
    sc = c.get("securityContext", {})
    # Not in the pod spec: the runtime's limits. podman 4.3 asks for nofile 1048576 and nproc
    # 4194304, refused where the hard limits are lower and root lacks CAP_SYS_RESOURCE (this
    # VM), and lowers its own nproc to 32768: nofile is this process's hard limit (the daemon
    # raises its soft limit to it), nproc podman's (it counts every thread of uid 0 on the
    # host, and the daemon's HTTP front alone starts 2048).
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = min(resource.getrlimit(resource.RLIMIT_NPROC)[1], 32768)
    opts = ["--ulimit=nofile=%d:%d" % (nofile, nofile), "--ulimit=nproc=%d:%d" % (nproc, nproc)]
    # The kubelet sets no pids limit unless podPidsLimit is configured; podman's default of
    # 2048 is below the HTTP front's 2048 threads plus the daemon's own.
    opts.append("--pids-limit=-1")
    if spec.get("hostPID"):
        opts.append("--pid=host")
    if spec.get("hostNetwork"):
        opts.append("--network=host")
    else:
        fail("the test expects hostNetwork (the port is the node's)")
    caps = sc.get("capabilities", {})
    for cap in caps.get("drop", []):
        opts.append("--cap-drop=" + ("all" if cap == "ALL" else "CAP_" + cap))
    for cap in caps.get("add", []):
        opts.append("--cap-add=CAP_" + cap)
    if sc.get("privileged"):
        opts.append("--privileged")
    if sc.get("allowPrivilegeEscalation") is False:
        opts.append("--security-opt=no-new-privileges")
    if sc.get("readOnlyRootFilesystem"):
        opts.append("--read-only")
    if "runAsUser" in sc:
        opts.append("--user=%d" % sc["runAsUser"])
    if sc.get("seccompProfile", {}).get("type") == "Unconfined":
        opts.append("--security-opt=seccomp=unconfined")
    if sc.get("appArmorProfile", {}).get("type") == "Unconfined":
        opts.append("--security-opt=apparmor=unconfined")
    limits = c.get("resources", {}).get("limits", {})
    if "memory" in limits:
        mem = limits["memory"]
        units = {"Ki": "k", "Mi": "m", "Gi": "g"}
        if mem[-2:] not in units:
            fail("memory limit %s: the test knows Ki, Mi, Gi" % mem)
        opts.append("--memory=%s%s" % (mem[:-2], units[mem[-2:]]))
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        host = volumes[m["name"]].get("hostPath", {}).get("path")
        if host is None:
            fail("volume %s is not a hostPath" % m["name"])
        if not os.path.isdir(host):
            # DirectoryOrCreate: the kubelet would create it; so does this test.
            os.makedirs(host, exist_ok=True)
        opts.append("--volume=%s:%s:%s" % (host, m["mountPath"], "ro" if m.get("readOnly") else "rw"))
    args = []
    for a in c.get("args", []):
        if a.startswith("--web.listen-address="):
            a = "--web.listen-address=127.0.0.1:%d" % port
        args.append(a)
    if not any(a.startswith("--web.listen-address=") for a in args):
        args.append("--web.listen-address=127.0.0.1:%d" % port)
    return c["image"], opts, args


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read().decode()


def main(pkgdir, cache):
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            fail("needs root (mmdebstrap, podman)")
        print("SKIP: needs root")
        return 77
    debs = glob.glob(os.path.join(pkgdir, "tunescope_*.deb"))
    if len(debs) != 1:
        fail("no single tunescope_*.deb in %s (build.packager makes it)" % pkgdir)
    version = subprocess.run(["dpkg-deb", "-f", debs[0], "Version"], capture_output=True,
                             text=True, check=True).stdout.strip()
    spec = daemonset()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    image, opts, args = podman_run_args(spec, port)
    if image != "localhost/tunescope:" + version:
        fail("the DaemonSet runs %s; deploy/image/build.sh builds localhost/tunescope:%s"
             % (image, version))

    store = os.path.join(cache, "podman")
    # runc: crun 1.8 refuses hosts with cgroup v1 and v2 controllers both mounted (hybrid).
    podman = ["podman", "--root", os.path.join(store, "root"),
              "--runroot", os.path.join(store, "run"), "--runtime", "runc"]
    env = dict(os.environ, PODMAN=" ".join(podman))
    start = time.monotonic()
    build = subprocess.run(["bash", os.path.join(SRC, "deploy", "image", "build.sh"),
                            "--deb", debs[0], "--cache", cache], env=env)
    if build.returncode != 0:
        fail("deploy/image/build.sh exited %d" % build.returncode)
    print("image built in %.0f s" % (time.monotonic() - start))
    inspect = subprocess.run(podman + ["image", "inspect", "--format",
                                       "{{.Config.Entrypoint}} {{.Config.Cmd}}", image],
                             capture_output=True, text=True)
    if inspect.returncode != 0:
        fail("no image %s after build.sh: %s" % (image, inspect.stderr.strip()))
    print("entrypoint, cmd:", inspect.stdout.strip())

    name = "tunescope-image-test-%d" % os.getpid()
    cmd = podman + ["run", "--detach", "--name", name] + opts + [image] + args
    print(" ".join(cmd))
    try:
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            fail("podman run: %s" % run.stderr.strip())
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            state = subprocess.run(podman + ["inspect", "--format", "{{.State.Running}}", name],
                                   capture_output=True, text=True).stdout.strip()
            if state != "true":
                logs = subprocess.run(podman + ["logs", name], capture_output=True, text=True)
                fail("the container stopped: %s%s" % (logs.stdout, logs.stderr))
            try:
                status, healthz = get(url + "/healthz")
                break
            except OSError:
                time.sleep(0.3)
        if status != 200:
            fail("no 200 from /healthz in 30 s")
        status, metrics = get(url + "/metrics")
        up = [l for l in metrics.splitlines()
              if l.startswith("tunescope_probe_up{") and l.endswith(" 1")]
        if not up:
            fail("no probe up in /metrics; /healthz says: %s" % healthz)
        if "tunescope_build_info" not in metrics:
            fail("/metrics has no tunescope_build_info")
        # The capabilities the process has are exactly the DaemonSet's.
        pid = subprocess.run(podman + ["inspect", "--format", "{{.State.Pid}}", name],
                             capture_output=True, text=True).stdout.strip()
        with open("/proc/%s/status" % pid) as f:
            eff = int([l for l in f if l.startswith("CapEff:")][0].split()[1], 16)
        want = {"BPF": 39, "PERFMON": 38, "NET_ADMIN": 12, "SYS_ADMIN": 21, "SYS_PTRACE": 19}
        added = spec["containers"][0]["securityContext"]["capabilities"]["add"]
        mask = sum(1 << want[c] for c in added)
        if eff != mask:
            fail("the daemon's effective capabilities are %#x, the DaemonSet's %#x" % (eff, mask))
        stop = subprocess.run(podman + ["stop", "--time", "20", name], capture_output=True,
                              text=True)
        if stop.returncode != 0:
            fail("podman stop: %s" % stop.stderr.strip())
        code = subprocess.run(podman + ["inspect", "--format", "{{.State.ExitCode}}", name],
                              capture_output=True, text=True).stdout.strip()
        if code != "0":
            logs = subprocess.run(podman + ["logs", name], capture_output=True, text=True)
            fail("exit %s on SIGTERM: %s%s" % (code, logs.stdout, logs.stderr))
    finally:
        subprocess.run(podman + ["rm", "--force", name], capture_output=True)
        # Each build leaves the previous image untagged: keep the store to one image.
        subprocess.run(podman + ["image", "prune", "--force"], capture_output=True)
    print("PASS: %s runs as the DaemonSet runs it; %d probes up, exit 0 on SIGTERM"
          % (image, len(up)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[3])
    sys.exit(main(sys.argv[1], sys.argv[2]))
