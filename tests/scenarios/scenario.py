#!/usr/bin/env python3
"""Advisor scenarios: induce a cost, let `tunescope advise` predict, remove the cost, measure
the realized gain with alternating runs, compare.

Everything runs in one network namespace that this script makes and removes: the server
(Debian's nginx, or refserver) on CPU 0, wrk pipelined 16 deep on CPU 1, both on the
namespace's own loopback, so the server is the bottleneck (../../shared/BENCHMARKING.md).
With --container the namespace stands for a container: the server listens on its end of a
veth, and the clients and tunescope run in this script's own namespace, the host's.

usage: scenario.py --tunescope BIN --refserver BIN --source DIR [--server nginx|refserver]
                   [--container] [--scenario NAME ...] [--rounds N] [--run-seconds S]
                   [--advise-seconds S]
Prints one table row per scenario; exits 1 when a check fails, 77 when not root outside CI.
"""
import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PORT = 8080
# The server's address: the namespace's loopback, or its veth end with --container (Netns).
ADDR = "127.0.0.1"
# Host end, container end: a /30 of this run's own, so that one a killed run left behind
# does not clash.
CONTAINER_NET = (f"10.253.{os.getpid() % 256}.1", f"10.253.{os.getpid() % 256}.2")
SERVER_CPU = 0
CLIENT_CPU = 1
# A prediction holds when its removed CPU share is within this of the realized one, or its
# payoff within this fraction of the realized payoff (issue: within 0.05 or +-30%).
SHARE_BOUND = 0.05
PAYOFF_BOUND = 0.30
# A quiet host gets no measured prediction above this.
QUIET_BOUND = 0.05


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=True, check=check, text=True, capture_output=True, **kw)


class Netns:
    """The server's namespace; with `container`, joined to this script's by a veth, and the
    clients stay out here."""

    def __init__(self, container=False):
        self.name = f"ts-scn-{os.getpid()}"
        self.container = container
        self.host_if = f"tsc{os.getpid()}"  # the host's end of the veth (--container)
        sh(f"ip netns add {self.name}")
        try:
            sh(f"ip netns exec {self.name} ip link set lo up")
            if container:
                host_if, (host_ip, ns_ip) = self.host_if, CONTAINER_NET
                sh(f"ip link add {host_if} type veth peer name eth0 netns {self.name}")
                sh(f"ip addr add {host_ip}/30 dev {host_if} && ip link set {host_if} up")
                sh(f"ip -n {self.name} addr add {ns_ip}/30 dev eth0 && "
                   f"ip -n {self.name} link set eth0 up")
        except subprocess.CalledProcessError:
            self.close()  # the veth goes with the namespace
            raise

    def prefix(self, cpu=None):
        pin = f"taskset -c {cpu} " if cpu is not None else ""
        return f"ip netns exec {self.name} {pin}"

    def client_prefix(self, cpu=None):
        """Where clients (and tunescope) run: the host's namespace for a container."""
        if not self.container:
            return self.prefix(cpu)
        return f"taskset -c {cpu} " if cpu is not None else ""

    def run(self, cmd, check=True):
        return sh(self.prefix() + cmd, check=check)

    def close(self):
        sh(f"ip netns del {self.name}", check=False)


def cpu_busy():
    """Busy jiffies per CPU from /proc/stat (user nice system irq softirq steal)."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+) (.*)", line)
            if not m:
                continue
            v = [int(x) for x in m.group(2).split()]
            out[int(m.group(1))] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return out


def runnable_seconds(comm):
    """Run plus run-queue wait of every thread of the processes named `comm`
    (/proc/PID/task/TID/schedstat: run_ns wait_ns timeslices)."""
    total, threads = 0, 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != comm:
                    continue
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    run, wait, _ = f.read().split()
                total += int(run) + int(wait)
                threads += 1
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited during the scan
    if threads == 0:
        raise RuntimeError(f"no thread of a process named {comm} has a schedstat file")
    return total * 1e-9


class Server:
    comm = ""

    def __init__(self, ns, workdir):
        self.ns = ns
        self.workdir = workdir
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def wait_ready(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            r = sh(self.ns.client_prefix() +
                   f"curl -s -o /dev/null -w %{{http_code}} http://{ADDR}:{PORT}{self.path}",
                   check=False)
            if r.stdout.strip() == "200":
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.comm} did not answer on port {PORT}")


class Nginx(Server):
    comm = "nginx"
    path = "/"

    def start(self):
        conf = os.path.join(self.workdir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 1;
worker_cpu_affinity {1 << SERVER_CPU:b};
daemon off;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {self.workdir};
  proxy_temp_path {self.workdir};
  fastcgi_temp_path {self.workdir};
  uwsgi_temp_path {self.workdir};
  scgi_temp_path {self.workdir};
  keepalive_requests 100000000;
  server {{
    listen {ADDR}:{PORT};
    location / {{ default_type application/json; return 200 '{{"message":"Hello, World!"}}'; }}
  }}
}}
""")
        self.proc = subprocess.Popen(self.ns.prefix(SERVER_CPU).split() +
                                     ["nginx", "-c", conf, "-p", self.workdir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.wait_ready()


class Refserver(Server):
    comm = "refserver"
    path = "/json"

    def __init__(self, ns, workdir, binary):
        super().__init__(ns, workdir)
        self.binary = binary

    def start(self):
        self.proc = subprocess.Popen(self.ns.prefix(SERVER_CPU).split() +
                                     [self.binary, "--listen", f"{ADDR}:{PORT}",
                                      "--workers", "1"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.wait_ready()


class Load:
    """wrk pipelined 16 deep on CPU 1: the server on CPU 0 is the bottleneck."""

    def __init__(self, ns, server, source):
        self.ns = ns
        self.server = server
        self.script = os.path.join(source, "bench/refserver/pipeline.lua")

    def command(self, seconds):
        return (self.ns.client_prefix(CLIENT_CPU) +
                f"env WRK_PATH={self.server.path} wrk -t1 -c64 -d{seconds}s -s {self.script} "
                f"http://{ADDR}:{PORT}{self.server.path}")

    def run(self, seconds):
        """req/s, the server CPU's busy seconds per request and the server's threads' runnable
        seconds (running or waiting for their CPU) per request."""
        hz = os.sysconf("SC_CLK_TCK")
        before, runnable_before = cpu_busy(), runnable_seconds(self.server.comm)
        out = sh(self.command(seconds)).stdout
        after, runnable_after = cpu_busy(), runnable_seconds(self.server.comm)
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if not m:
            raise RuntimeError("wrk printed no Requests/sec:\n" + out)
        rps = float(m.group(1))
        requests = max(1.0, rps * seconds)
        busy = (after[SERVER_CPU] - before[SERVER_CPU]) / hz
        return rps, busy / requests, (runnable_after - runnable_before) / requests

    def start(self, seconds):
        return subprocess.Popen(self.command(seconds), shell=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)


class BurstLoad:
    """Bursts of BURST new connections every TICK s from CPU 1 (this script's --burst mode),
    each sent while the server is stopped (SIGSTOP to its process group, SIGCONT after): a
    server that stalls for a moment (a reload, a garbage collection, a slow synchronous call)
    while connections arrive. Each connects, sends a request with Connection: close and reads
    the answer to the end.

    The stall makes the drops a property of the backlog alone: on loopback each handshake
    completes inside the client's connect(), so with the server stopped the accept queue takes
    backlog + 1 connections of each burst and the rest wait for a retransmit (their SYN dropped,
    or their last ACK, then the server's SYN-ACK is resent): about as many every burst.
    Without it the server accepts during the burst, and whether it falls behind decides
    everything: runs of the same load dropped between 0 and 280 ms per connection. TICK keeps
    the 1 s SYN and SYN-ACK retransmits away from the stalls: 1.0 s is 0.08 s past a tick, and
    the retransmit timer fires up to 64 ms late (the timer wheel's granularity at 1 s, HZ=1000),
    so they land 80 to 150 ms past a tick, 80 ms or more before the next."""
    BURST = 24
    TICK = 0.23

    def __init__(self, ns, server):
        self.ns = ns
        self.server = server

    def command(self, seconds):
        return (self.ns.client_prefix(CLIENT_CPU) +
                f"{sys.executable} {os.path.abspath(__file__)} --burst {seconds} "
                f"--burst-path {self.server.path} --burst-stall {self.server.proc.pid} "
                f"--burst-addr {ADDR}")

    def run(self, seconds):
        """Mean seconds from connect() to the end of the answer, and connections made."""
        out = sh(self.command(seconds)).stdout.split()
        return float(out[0]), int(out[1])

    def start(self, seconds):
        return subprocess.Popen(self.command(seconds), shell=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)


def group_members(pgid):
    members = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[2]) == pgid:
                    members.append(pid)
        except (OSError, ValueError, IndexError):
            continue
    return members


def stopped(pids):
    """True when every thread of `pids` is stopped (T), or gone (a zombie, or no longer there):
    the thread that accepts need not be the main one (refserver's workers)."""
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state not in ("T", "Z", "X"):
                return False
    return True


def burst(seconds, path, stall, addr):
    """Open loop: BURST new connections every TICK seconds for `seconds`, each burst sent with
    process group `stall` stopped, then up to 8 s for the stragglers (past the 1 s and 3 s SYN
    retransmits)."""
    import selectors
    import socket
    request = f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    times = []
    members = group_members(stall)
    # advise() ends this client with SIGTERM: the finally below must still resume the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    start = time.time()
    next_tick = start
    try:
        while True:
            now = time.time()
            if now >= next_tick and now < start + seconds:
                os.killpg(stall, signal.SIGSTOP)
                deadline = time.time() + 1
                while not stopped(members):
                    if time.time() > deadline:
                        raise RuntimeError(f"process group {stall} did not stop within 1 s")
                    time.sleep(0.0002)
                for _ in range(BurstLoad.BURST):
                    c = socket.socket()
                    c.setblocking(False)
                    c.connect_ex((addr, PORT))
                    sel.register(c, selectors.EVENT_WRITE, [time.time(), False])
                time.sleep(0.002)  # any handshake left to a softirq
                os.killpg(stall, signal.SIGCONT)
                next_tick += BurstLoad.TICK
            if now >= start + seconds and (not sel.get_map() or now > start + seconds + 8):
                break
            for key, _ in sel.select(0.005):
                c, state = key.fileobj, key.data
                if not state[1]:
                    c.send(request)
                    state[1] = True
                    sel.modify(c, selectors.EVENT_READ, state)
                elif not c.recv(65536):
                    times.append(time.time() - state[0])
                    sel.unregister(c)
                    c.close()
    finally:
        os.killpg(stall, signal.SIGCONT)
    for key in list(sel.get_map().values()):
        times.append(time.time() - key.data[0])  # unanswered: counted at the deadline
        key.fileobj.close()
    print(f"{statistics.mean(times)} {len(times)}")


# ---- scenarios: induce() adds the cost, remove() takes it away -------------------------------

class Scenario:
    name = ""
    latency = False  # the payoff is latency removed per connection, measured with BurstLoad
    expect = None  # tuning id that must rank first; None: nothing measured above QUIET_BOUND
    cause = None  # text that `expect`'s reason must hold: the cause it found on this host
    # The realized share the prediction is judged by: the server CPU's busy time per request,
    # cost on against cost off (on a saturated CPU that is the req/s gain; when the cost-free
    # server outruns its client, CPU 0 left idle, req/s would understate it).
    judged_share = "cpu_share"
    # Pairs of runs per realized measurement and seconds per run (--rounds and --run-seconds
    # override). A cost of +100% or more decides in 2 or 3 short pairs: its pairs fall within a
    # few points of each other.
    rounds = 5
    run_seconds = 3

    def __init__(self, ns, workdir):
        self.ns = ns
        self.workdir = workdir

    def induce(self):
        pass

    def remove(self):
        pass


class Quiet(Scenario):
    name = "quiet"


class CpuHog(Scenario):
    name = "cpu_hog"
    expect = "server_cpu_isolation"
    # The claim is the server's run-queue waits as a share of its runnable time: realized as its
    # threads' run plus wait time per request (schedstat). CPU 0's busy time would count the
    # hog's time as the server's.
    judged_share = "runnable_share"
    rounds = 2  # +100%: its pairs fall within a few points
    run_seconds = 2
    hog = None

    def induce(self):
        if self.hog:
            return
        self.hog = subprocess.Popen(["taskset", "-c", str(SERVER_CPU), "sh", "-c",
                                     "while :; do :; done"], start_new_session=True)

    def remove(self):
        if self.hog:
            os.killpg(self.hog.pid, signal.SIGKILL)
            self.hog.wait()
            self.hog = None


class NetfilterRules(Scenario):
    name = "netfilter_rules"
    expect = "netfilter_unload"
    rounds = 3
    run_seconds = 2
    count = 3000

    def induce(self):
        path = os.path.join(self.workdir, "rules")
        with open(path, "w") as f:
            f.write("*filter\n:OUTPUT ACCEPT [0:0]\n")
            for i in range(self.count):
                f.write(f"-A OUTPUT -d 10.251.{i // 250}.{i % 250 + 1}/32 -p tcp "
                        f"--sport {PORT} -j DROP\n")
            f.write("COMMIT\n")
        self.ns.run(f"iptables-restore < {path}")

    def remove(self):
        self.ns.run("nft flush ruleset")


class RpsAway(Scenario):
    """RPS on lo sends every packet to the client's CPU (with --container, RPS on the host's
    end of the veth sends the server's replies there). tunescope names the cause (rps_rfs,
    RFS or no mask) and predicts what clearing the mask does: the server's CPU stops sending
    IPIs and takes back its replies' receive processing. nginx sets the pace, and the two
    about cancel (a cost of a few percent); refserver outruns its client, whose CPU gets the
    processing and the IPIs back. Judged by req/s: that is the claim on either side."""
    name = "rps_away"
    expect = "rps_rfs"
    cause = "steers"
    judged_share = "share"
    rounds = 2  # pairs within a few points of each other
    run_seconds = 2
    mask = f"{1 << CLIENT_CPU:x}"

    def set(self, mask, check=True):
        if self.ns.container:
            sh(f"echo {mask} > /sys/class/net/{self.ns.host_if}/queues/rx-0/rps_cpus",
               check=check)
        else:
            self.ns.run(f"sh -c 'echo {mask} > /sys/class/net/lo/queues/rx-0/rps_cpus'",
                        check=check)

    def induce(self):
        self.set(self.mask)

    def remove(self):
        self.set(0, check=False)  # from a finally: must not hide what went wrong


class PfifoQdisc(Scenario):
    """A pfifo root qdisc on lo (with --container, on the container's eth0, which carries the
    server's replies). noqueue_qdisc predicts the qdisc path's time less what noqueue gives
    back: a shared qdisc lets the client's CPU send (and on lo receive-process) part of the
    server's packets, which return to the server's CPU without it."""
    name = "pfifo_qdisc"
    expect = "noqueue_qdisc"

    def device(self):
        return "eth0" if self.ns.container else "lo"

    def induce(self):
        self.ns.run(f"tc qdisc replace dev {self.device()} root pfifo")

    def remove(self):
        self.ns.run(f"tc qdisc del dev {self.device()} root", check=False)


class ListenOverflow(Scenario):
    """somaxconn 8 in the namespace caps the server's listen backlog; bursts of new connections
    that arrive while the server stalls overflow it, and each dropped attempt costs its client
    a 1 s retransmit (BurstLoad)."""
    name = "listen_overflow"
    expect = "somaxconn"
    latency = True
    # Each dropped attempt costs a whole second: 2 s of bursts (about 200 connections) put the
    # pairs within 20 ms of each other.
    rounds = 3
    run_seconds = 2

    def __init__(self, ns, workdir, server):
        super().__init__(ns, workdir)
        self.server = server
        self.small = False

    def set(self, value):
        self.ns.run(f"sysctl -qw net.core.somaxconn={value}")
        self.server.restart()  # listen() reads somaxconn

    def induce(self):
        if not self.small:
            self.set(8)
            self.small = True

    def remove(self):
        if self.small:
            self.set(4096)
            self.small = False


SCENARIOS = {s.name: s for s in (Quiet, CpuHog, NetfilterRules, RpsAway, PfifoQdisc,
                                 ListenOverflow)}
# What the suite runs by default: every scenario on both servers (docs/advisor.md, "Advisor
# accuracy", has the rows' history).
DEFAULT = {"nginx": ["quiet", "cpu_hog", "netfilter_rules", "rps_away", "pfifo_qdisc",
                     "listen_overflow"],
           "refserver": ["quiet", "cpu_hog", "netfilter_rules", "rps_away", "pfifo_qdisc",
                         "listen_overflow"]}
# --container: a busy loop on the server's CPU, 3000 rules in the container's iptables, the
# container's own somaxconn, RPS on the host's end of the veth and pfifo on the container's
# eth0, seen by tunescope from the host.
DEFAULT_CONTAINER = ["quiet", "cpu_hog", "netfilter_rules", "rps_away", "pfifo_qdisc",
                     "listen_overflow"]


def advise(args, ns, server, load):
    # The load outlasts advise (its first phase without probes, the window, the host facts read
    # at its end: the target's connections must still be there) and stops with it.
    wrk = load.start(args.advise_seconds + 30)
    time.sleep(1)
    try:
        r = sh(ns.client_prefix() + f"{args.tunescope} advise --duration {args.advise_seconds}s --json "
               f"--target-comm {server.comm} --target-port {PORT}", check=False)
    finally:
        os.killpg(wrk.pid, signal.SIGTERM)
        wrk.wait()
        if server.proc and server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGCONT)  # a burst client stopped mid-stall
    if r.returncode != 0:
        raise RuntimeError(f"advise exited {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)


# A realized measurement whose pairs spread wider than this (in req/s gain, or as a share of the
# latency removed) is from a noisy host; one whose pairs fall on both sides of the prediction
# does not decide it. Either way the suite takes as many pairs again, up to RETAKES times, and
# judges the medians of all of them: a few percent's effect (pfifo) under a host whose pairs
# swing by 20 points needs 10-15 pairs (a CI run's refserver pfifo pairs ran from -12% to +36%).
NOISY_SPREAD = 0.5
RETAKES = 2


def drift_free(on, off, ratio):
    """B against A, free of the host's drift. The host drifts by more than a small cost between
    runs (shared machines): an A B pair gains what a B A pair loses to it, so each estimate
    joins two neighbouring pairs (A B B A or B A A B; geometric mean of their ratios), and the
    gain is the median of those."""
    ratios = [ratio(a, b) for a, b in zip(on, off)]
    if len(ratios) < 2:
        return ratios[0]
    return statistics.median(math.sqrt(x * y) for x, y in zip(ratios, ratios[1:]))


def realized(args, scenario, load, on=None, off=None):
    """Alternating runs, cost on (A) and off (B), in the order A B B A A B ...; `on` and `off`
    carry earlier runs to add to."""
    on, off = on or [], off or []
    count = args.rounds or scenario.rounds
    seconds = args.run_seconds or scenario.run_seconds
    for i in range(len(on), len(on) + count):  # more pairs go on with the alternation
        for variant in (("on", "off") if i % 2 == 0 else ("off", "on")):
            if variant == "on":
                scenario.induce()
                on.append(load.run(seconds))
            else:
                scenario.remove()
                off.append(load.run(seconds))
    scenario.remove()
    if scenario.latency:
        lat_on = statistics.median(m for m, _ in on)
        lat_off = statistics.median(m for m, _ in off)
        pairs = [a[0] - b[0] for a, b in zip(on, off)]
        return {"latency_removed": lat_on - lat_off, "spread": (min(pairs), max(pairs)),
                "runs": (on, off)}
    pairs = [b[0] / a[0] - 1 for a, b in zip(on, off)]
    # Each share of the server's time per request that went away (1 - off / on): by CPU 0's
    # busy time, by the server's threads' run and wait time, by req/s.
    shares = {name: [1 - b[i] / a[i] for a, b in zip(on, off)]
              for i, name in ((1, "cpu_share"), (2, "runnable_share"))}
    shares["share"] = [1 - a[0] / b[0] for a, b in zip(on, off)]
    gain = drift_free(on, off, lambda a, b: b[0] / a[0])
    return {"payoff": gain - 1, "share": 1 - 1 / gain,
            "cpu_share": 1 - drift_free(on, off, lambda a, b: b[1] / a[1]),
            "runnable_share": 1 - drift_free(on, off, lambda a, b: b[2] / a[2]),
            "share_spread": {name: (min(v), max(v)) for name, v in shares.items()},
            "rps_on": statistics.median(r[0] for r in on),
            "rps_off": statistics.median(r[0] for r in off), "spread": (min(pairs), max(pairs)),
            "runs": (on, off)}


def first_measured(report):
    for t in report["tunings"]:
        if t["verdict"] == "measured" and t.get("payoff_ratio") is not None:
            return t
    return None


def prediction(scenario, report):
    """(removed share, req/s payoff) that `scenario.expect` claims, None when another tuning
    ranks first."""
    top = first_measured(report)
    named = next(t for t in report["tunings"] if t["id"] == scenario.expect)
    small = named["numbers"].get("removed_cpu_share")
    if top is not None and top["id"] == scenario.expect:
        payoff = top["payoff_ratio"]
        return payoff / (1 + payoff), payoff
    if (named["verdict"] in ("not_applicable", "measured") and small is not None and
            not (top and top["payoff_ratio"] > QUIET_BOUND)):
        # The rule found the cost too small to gain from (or one the tuning would add to), or
        # every measured prediction is within a quiet host's noise, where their order means
        # nothing (a CI run ranked netfilter_unload's +1% over noqueue_qdisc's +1% under pfifo):
        # its share is the prediction, and nothing else may claim a gain.
        return small, small / (1 - small)
    return None


def inconclusive(scenario, report, real):
    """Pairs too spread to judge by: a noisy host, or pairs on both sides of the prediction."""
    low, high = real["spread"]
    if scenario.latency:  # pairs of seconds removed per connection
        return high - low > NOISY_SPREAD * abs(real["latency_removed"])
    if high - low > NOISY_SPREAD:
        return True
    judged = None if scenario.expect is None else prediction(scenario, report)
    if judged is None:
        return False
    share_low, share_high = real["share_spread"][scenario.judged_share]
    return share_low <= judged[0] <= share_high


def check(scenario, report, real):
    """One line of verdict, empty when the prediction holds."""
    top = first_measured(report)
    if scenario.ns.container and not (report.get("network_namespace") or "").startswith("net:["):
        return f"the server's network namespace was not found: {report.get('network_namespace')}"
    if scenario.latency:
        named = next(t for t in report["tunings"] if t["id"] == scenario.expect)
        predicted = named.get("latency_removed_seconds")
        if named["verdict"] != "measured" or predicted is None:
            return f"{scenario.expect} predicts no latency: {named['reason']}"
        if top and top["payoff_ratio"] > QUIET_BOUND:
            return f"{top['id']} predicts +{top['payoff_ratio']:.0%} req/s for a listen queue"
        if abs(predicted - real["latency_removed"]) > PAYOFF_BOUND * abs(real["latency_removed"]):
            return (f"predicted {predicted * 1e3:.0f} ms less per connection, realized "
                    f"{real['latency_removed'] * 1e3:.0f} ms")
        return ""
    if scenario.cause:
        named = next(t for t in report["tunings"] if t["id"] == scenario.expect)
        if scenario.cause not in named["reason"]:
            return f"{scenario.expect} does not name the cause: {named['reason']}"
    if scenario.expect is None:
        if top and top["payoff_ratio"] > QUIET_BOUND:
            return f"quiet host, but {top['id']} predicts +{top['payoff_ratio']:.0%}"
        return ""
    judged = prediction(scenario, report)
    if judged is None:
        return f"first measured tuning is {top['id'] if top else 'none'}, not {scenario.expect}"
    share, payoff = judged
    real_share = real[scenario.judged_share]
    real_payoff = real_share / (1 - real_share) if real_share < 1 else float("inf")
    if abs(share - real_share) <= SHARE_BOUND:
        return ""
    if abs(payoff - real_payoff) <= PAYOFF_BOUND * abs(real_payoff):
        return ""
    return (f"predicted +{payoff:.0%} (share {share:.2f}), realized "
            f"{scenario.judged_share} +{real_payoff:.0%} (share {real_share:.2f})")


def summarize(server, scenario, report, real):
    """The table row: the tuning judged, its prediction and the realized gain, as text."""
    if scenario.expect:
        t = next(t for t in report["tunings"] if t["id"] == scenario.expect)
    else:
        t = first_measured(report)
    row = {"server": server, "scenario": scenario.name, "tuning": t["id"] if t else None,
           "reason": t["reason"] if t else "no measured prediction", "predicted": "-",
           "realized": "-", "spread": "-", "real": real}
    if t and t["verdict"] == "measured":
        if t.get("latency_removed_seconds") is not None:
            row["predicted"] = f"-{t['latency_removed_seconds'] * 1e3:.0f} ms"
        elif t.get("payoff_ratio") is not None:
            row["predicted"] = f"{t['payoff_ratio']:+.0%}"
    elif t and t["numbers"].get("removed_cpu_share") is not None:
        share = t["numbers"]["removed_cpu_share"]
        row["predicted"] = f"{share / (1 - share):+.0%}"
    if real and "latency_removed" in real:
        row["realized"] = f"-{real['latency_removed'] * 1e3:.0f} ms"
        row["spread"] = "pairs %.0f..%.0f ms" % tuple(1e3 * x for x in real["spread"])
    elif real:
        row["realized"] = f"{real['payoff']:+.0%}"
        row["spread"] = "pairs %+.0f%%..%+.0f%%, share %.2f, CPU/request share %.2f" % (
            100 * real["spread"][0], 100 * real["spread"][1], real["share"], real["cpu_share"])
        row["spread"] += ", runnable/request share %.2f" % real["runnable_share"]
    return row


def main():
    global ADDR
    p = argparse.ArgumentParser()
    p.add_argument("--tunescope")
    p.add_argument("--refserver")
    p.add_argument("--source")
    p.add_argument("--server", choices=("nginx", "refserver"), default="nginx")
    p.add_argument("--burst", type=float, help=argparse.SUPPRESS)  # the BurstLoad client
    p.add_argument("--burst-path", default="/", help=argparse.SUPPRESS)
    p.add_argument("--burst-stall", type=int, help=argparse.SUPPRESS)
    p.add_argument("--burst-addr", default=ADDR, help=argparse.SUPPRESS)
    p.add_argument("--container", action="store_true",
                   help="the server in a namespace of its own, clients and tunescope outside")
    p.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    p.add_argument("--rounds", type=int, help="pairs per realized measurement (default: "
                   "the scenario's, 2, 3 or 5)")
    p.add_argument("--run-seconds", type=int, help="seconds per run (default: the "
                   "scenario's, 2 or 3)")
    p.add_argument("--advise-seconds", type=int, default=5)
    p.add_argument("--netfilter-rules", type=int, default=NetfilterRules.count,
                   help="non-matching OUTPUT rules of the netfilter scenario")
    p.add_argument("--json", help="write the rows to this file")
    p.add_argument("--reports", help="write each advise report to this directory")
    args = p.parse_args()
    if args.burst:
        burst(args.burst, args.burst_path, args.burst_stall, args.burst_addr)
        return 0
    if not (args.tunescope and args.refserver and args.source):
        p.error("--tunescope, --refserver and --source are required")
    if os.geteuid() != 0:
        print("scenario: needs root")
        return 1 if os.environ.get("CI") == "true" else 77

    if args.container:
        ADDR = CONTAINER_NET[1]
    names = args.scenario or (DEFAULT_CONTAINER if args.container else DEFAULT[args.server])
    NetfilterRules.count = args.netfilter_rules
    ns = Netns(args.container)
    where = f"{args.server}{'/ct' if args.container else ''}"
    workdir = tempfile.mkdtemp(prefix="ts-scn-")
    server = (Nginx(ns, workdir) if args.server == "nginx"
              else Refserver(ns, workdir, args.refserver))
    failures, rows = [], []
    try:
        server.start()
        load = Load(ns, server, args.source)
        load.run(1)  # warm-up
        for name in names:
            cls = SCENARIOS[name]
            scenario = cls(ns, workdir, server) if cls.latency else cls(ns, workdir)
            this_load = BurstLoad(ns, server) if cls.latency else load
            started = time.monotonic()
            try:
                scenario.induce()
                report = advise(args, ns, server, this_load)
                advised = time.monotonic() - started
                scenario.remove()
                real = realized(args, scenario, this_load) if scenario.expect else None
            finally:
                scenario.remove()
            if args.reports:
                os.makedirs(args.reports, exist_ok=True)
                with open(os.path.join(args.reports, f"{where.replace('/', '-')}-{name}.json"),
                          "w") as f:
                    json.dump(report, f, indent=1)
            verdict = check(scenario, report, real)
            for _ in range(RETAKES):
                if not (verdict and real and inconclusive(scenario, report, real)):
                    break
                print(f"    inconclusive (pairs {real['spread'][0]:+.0%}..{real['spread'][1]:+.0%}"
                      f"): {args.rounds or scenario.rounds} more pairs", flush=True)
                try:
                    real = realized(args, scenario, this_load, *real["runs"])
                finally:
                    scenario.remove()
                verdict = check(scenario, report, real)
            if real:
                real.pop("runs")
            row = summarize(where, scenario, report, real)
            row.update({"ok": not verdict, "why": verdict})
            rows.append(row)
            print(f"{where:12} {name:16} {row['tuning'] or 'none':20} "
                  f"predicted {row['predicted']:>9}  realized {row['realized']:>9} "
                  f"({row['spread']})  {'ok' if not verdict else 'FAIL: ' + verdict}"
                  f"  [{advised:.0f} + {time.monotonic() - started - advised:.0f} s]", flush=True)
            print(f"    {row['reason']}", flush=True)
            if verdict:
                failures.append(f"{name}: {verdict}")
    finally:
        server.stop()
        ns.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print(f"{len(rows) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
