#!/usr/bin/env python3
"""Writes the Grafana dashboards in dashboards/*.json from the panel lists below.

Run it after editing a panel: `python3 dashboards/src/build.py` (`--out DIR` writes elsewhere;
the deploy test checks that the committed JSON is what this script writes). The JSON files are what users
import and what tests/deploy/check_dashboards.py and the e2e test read; this script keeps the
conventions (datasource/job/instance variables, every selector filtered, $__rate_interval)
in one place so a new panel cannot forget them.
"""
import json
import os
import sys

SEL = 'job=~"$job",instance=~"$instance"'
DS = {"type": "prometheus", "uid": "${datasource}"}
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)


def m(name, extra=""):
    """A selector of tunescope metric `name` filtered by job and instance (+ extra matchers)."""
    return "%s{%s%s}" % (name, SEL, "," + extra if extra else "")


def rate(name, extra=""):
    return "rate(%s[$__rate_interval])" % m(name, extra)


def increase(name, extra=""):
    return "increase(%s[$__rate_interval])" % m(name, extra)


# Number of CPUs: the denominator of "share of the host's CPU". From the softirq probe, or from
# the kernel-statistics tier when softirq's programs are not attached for good (serve
# --window=always leaves them out of the default set).
CPUS = "count(count by (cpu) (%s or %s))" % (rate("tunescope_softirq_seconds_total"),
                                              rate("tunescope_kernel_softirq_seconds_total"))


def per_attached_second(expr, probe):
    """`expr`, a rate of a windowed probe's counter (serve --window), per second the probe was
    attached: its counters grow only inside the windows. Ranges without a window give no data."""
    return "(%s) / scalar(avg(%s))" % (
        expr, rate("tunescope_probe_attached_seconds_total", 'probe="%s"' % probe))


# What a panel shows instead of Grafana's "No data" when the default daemon (`tunescope serve`
# without flags: softirq, hardirq, runqlat, netfilter) leaves it empty: the flag that turns its
# probe or metric on (daemon/probes/catalogue.cpp, docs/probes.md). check_dashboards.py demands
# one on every panel whose metrics the default daemon may not export.
HINT_QDISC = "opt-in: --probes=qdisc (or --probes=all)"
HINT_PORT_REQLAT = "needs a target: --target-port=PORT (probe reqlat)"
HINT_PORT_XCPU = "needs a target: --target-port=PORT (probe xcpu)"
HINT_XDP = "opt-in: --xdp-iface=DEV with --target-port=PORT (probe xcpu)"
HINT_TARGET_THREADS = "needs a target: --target-pid=PID or --target-comm=NAME"
HINT_RAISE_DELAY = "opt-in: --softirq.raise-delay"
HINT_NETFILTER = ("no netfilter hook ran, or probe netfilter is down on this kernel (see "
                  "/healthz): --netfilter-mode=bracket needs kernel >= 6.4")
HINT_BRACKET = "only in netfilter bracket mode: --netfilter-mode=bracket"
HINT_BPF_STATS = "opt-in: --bpf-stats"


def quantile(q, name, extra="", by=""):
    group = "le" + (", " + by if by else "")
    return "histogram_quantile(%s, sum by (%s) (%s))" % (q, group, rate(name + "_bucket", extra))


class Builder:
    def __init__(self):
        self.panels = []
        self.y = 0
        self.x = 0
        self.row_h = 0
        self.next_id = 1

    def _place(self, w, h):
        if self.x + w > 24:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def row(self, title):
        self.y += self.row_h
        self.x = 0
        self.row_h = 0
        self.panels.append({"type": "row", "title": title, "id": self._id(), "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.y += 1

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def panel(self, kind, title, description, unit, targets, w=12, h=8, hint=None, **extra):
        refs = "ABCDEFGH"
        tgts = []
        for i, t in enumerate(targets):
            if isinstance(t, str):
                t = {"expr": t}
            t = dict(t)
            t.setdefault("legendFormat", "__auto")
            t["refId"] = refs[i]
            t["datasource"] = DS
            tgts.append(t)
        p = {"type": kind, "title": title, "description": description, "id": self._id(),
             "datasource": DS, "gridPos": self._place(w, h), "targets": tgts,
             "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
        p.update(extra)
        if hint:
            # Grafana shows noValue in place of "No data" (stat, time series, heatmap, table).
            p["fieldConfig"]["defaults"]["noValue"] = hint
        self.panels.append(p)
        return p

    def timeseries(self, title, description, unit, targets, **kw):
        return self.panel("timeseries", title, description, unit, targets, **kw)

    def stat(self, title, description, unit, expr, thresholds=None, **kw):
        p = self.panel("stat", title, description, unit, [expr], w=kw.pop("w", 4),
                       h=kw.pop("h", 4), **kw)
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "background", "graphMode": "area"}
        if thresholds:
            steps = [{"color": "green", "value": None}]
            for color, value in thresholds:
                steps.append({"color": color, "value": value})
            p["fieldConfig"]["defaults"]["thresholds"] = {"mode": "absolute", "steps": steps}
        return p

    def heatmap(self, title, description, unit, expr, **kw):
        """A log2 histogram as a heatmap: increase per bucket, summed by le."""
        p = self.panel("heatmap", title, description, unit,
                       [{"expr": expr, "format": "heatmap", "legendFormat": "{{le}}"}], **kw)
        p["options"] = {"calculate": False, "yAxis": {"unit": unit},
                        "cellGap": 1, "color": {"scheme": "Oranges", "mode": "scheme"},
                        "rowsFrame": {"layout": "auto"}, "tooltip": {"show": True}}
        return p

    def table(self, title, description, unit, targets, transformations, **kw):
        tg = []
        for t in targets:
            t = dict(t) if isinstance(t, dict) else {"expr": t}
            t.update({"instant": True, "range": False, "format": "table"})
            tg.append(t)
        p = self.panel("table", title, description, unit, tg, **kw)
        p["transformations"] = transformations
        return p

    def matrix(self, title, description, unit, counter, rows, columns, **kw):
        """Rate of a counter as a table: one row per `rows` label, one column per `columns`."""
        return self.table(
            title, description, unit,
            [{"expr": "sum by (%s, %s) (%s)" % (rows, columns, rate(counter))}],
            [{"id": "groupingToMatrix", "options": {"rowField": rows, "columnField": columns,
                                                    "valueField": "Value"}}], **kw)


def variables():
    def query_var(name, label, query):
        return {"name": name, "label": label, "type": "query", "datasource": DS,
                "query": {"query": query, "refId": name}, "definition": query,
                "refresh": 2, "includeAll": True, "multi": True, "allValue": ".+",
                "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
                "sort": 1}
    return [
        {"name": "datasource", "label": "Data source", "type": "datasource",
         "query": "prometheus", "current": {}, "hide": 0},
        query_var("job", "Job", "label_values(tunescope_build_info, job)"),
        query_var("instance", "Instance",
                  'label_values(tunescope_build_info{job=~"$job"}, instance)'),
    ]


def dashboard(uid, title, description, builder, links=()):
    return {
        "uid": uid, "title": title, "description": description, "editable": True,
        "tags": ["tunescope"], "timezone": "browser", "schemaVersion": 39, "version": 1,
        "refresh": "30s", "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": variables()}, "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["tunescope"], "title": "tunescope",
                   "asDropdown": True, "includeVars": True, "keepTime": True}],
        "panels": builder.panels,
    }


def overview():
    b = Builder()
    b.row("What to tune next")
    b.table(
        "Next tunings, best predicted payoff first",
        "Each documented tuning with its rank (1 = do it first), the throughput gain the "
        "measurements on this host predict (payoff ratio s/(1-s)) or, where nothing here "
        "measures it, the source's documented gain (also in its own column), the latency a "
        "latency tuning removes (per connection attempt for the listen queue, per timeslice for "
        "run-queue waits), and whether it is already applied. Apply the top row that is "
        "not applied; the evidence and the exact apply and revert commands are in tunescope's "
        "/advice JSON and `tunescope advise`, with the published article each tuning comes "
        "from (docs/sources.md: what it measured, on what hardware).",
        "none",
        [m("tunescope_tuning_rank"),
         m("tunescope_tuning_payoff_ratio") + " or " + m("tunescope_tuning_documented_payoff_ratio"),
         m("tunescope_tuning_applied"),
         m("tunescope_tuning_latency_removed_seconds") + " or 0 * " + m("tunescope_tuning_rank"),
         m("tunescope_tuning_documented_payoff_ratio")],
        [{"id": "merge", "options": {}},
         {"id": "organize", "options": {
             "excludeByName": {"Time": True, "__name__": True},
             "renameByName": {"Value #A": "rank",
                              "Value #B": "payoff (measured here, else documented)",
                              "Value #C": "applied (1 = yes)",
                              "Value #D": "latency removed (0: none)",
                              "Value #E": "documented payoff (the source's, not measured)"}}},
         {"id": "sortBy", "options": {"sort": [{"field": "rank"}]}}],
        w=24, h=10, hint="no advice yet: published when the first attach window ends "
                         "(--window, 2s every 120s by default)")["fieldConfig"]["overrides"] = [
            {"matcher": {"id": "byName", "options": "payoff (measured here, else documented)"},
             "properties": [{"id": "unit", "value": "percentunit"}]},
            {"matcher": {"id": "byName",
                         "options": "documented payoff (the source's, not measured)"},
             "properties": [{"id": "unit", "value": "percentunit"}]},
            {"matcher": {"id": "byName",
                         "options": "latency removed (0: none)"},
             "properties": [{"id": "unit", "value": "s"}]}]
    b.stat("Advice age, in intervals",
           "Time since the window behind the table above ended, in advice intervals (a window "
           "every 120 s by default, tunescope_advice_interval_seconds). Past 3 the advice is "
           "stale (alert TunescopeAdviceStale): windows are skipped because the daemon's fixed "
           "cost fills --overhead-budget, or none has ended since it started.",
           "none",
           "(time() - %s) / %s" % (m("tunescope_advice_window_end_timestamp_seconds"),
                                   m("tunescope_advice_interval_seconds")),
           [("orange", 1.5), ("red", 3)], w=6)

    b.row("Requests")
    b.timeseries(
        "Request latency p50 and p99",
        "Server-side request latency from the kernel (first request bytes queued on the "
        "socket to the response write). A p99 far above p50 points to queueing: check the "
        "run-queue and softirq rows before tuning the application.",
        "s",
        [{"expr": quantile(0.5, "tunescope_request_latency_seconds"), "legendFormat": "p50"},
         {"expr": quantile(0.99, "tunescope_request_latency_seconds"), "legendFormat": "p99"}],
        hint=HINT_PORT_REQLAT)
    b.heatmap(
        "Request latency distribution",
        "Requests per latency bucket (log2 buckets). A second band above the main one means a "
        "share of requests waits for something: a CPU, a lock or a retransmit.",
        "s", "sum by (le) (%s)" % increase("tunescope_request_latency_seconds_bucket"),
        hint=HINT_PORT_REQLAT)
    b.timeseries(
        "Throughput",
        "Requests per second the probed server answered, per port, while reqlat was attached "
        "(serve --window). A tuning's payoff shows here as more requests per second at the "
        "same CPU.",
        "reqps",
        [{"expr": per_attached_second(
            "sum by (port) (%s)" % rate("tunescope_request_latency_seconds_count"), "reqlat"),
          "legendFormat": "port {{port}}"}], w=24, h=7, hint=HINT_PORT_REQLAT)

    b.row("Probe headlines")
    b.stat("NET_RX softirq share of CPU",
           "Share of all CPUs spent in the NET_RX softirq while the probe was attached. Above "
           "~10% the receive path is a real cost: see the softirq row and the RPS/IRQ-affinity "
           "tunings.",
           "percentunit",
           per_attached_second(
               "sum(%s) / %s" % (rate("tunescope_softirq_seconds_total", 'vector="net_rx"'),
                                 CPUS), "softirq"),
           [("orange", 0.1), ("red", 0.25)])
    b.stat("Hardirq rate",
           "Hardware interrupts handled per second on all CPUs. Very high rates with few "
           "packets per interrupt suggest interrupt coalescing (adaptive-rx).",
           "cps", "sum(%s)" % rate("tunescope_hardirq_handled_total"))
    b.stat("Run-queue p99",
           "99th percentile of the time runnable threads wait for a CPU. Above a few ms the "
           "server is CPU-starved or badly placed, whatever the network does.",
           "s", quantile(0.99, "tunescope_runqueue_latency_seconds"),
           [("orange", 0.002), ("red", 0.01)])
    b.stat("Netfilter share of CPU",
           "Share of all CPUs spent in netfilter hooks while the probe was attached. The "
           "netfilter tuning's source (Marc Richards, talawah.io 2021, one 4-vCPU EC2 "
           "instance) measured 18% and gained 22% by unloading it.",
           "percentunit",
           per_attached_second("sum(%s) / %s" % (rate("tunescope_netfilter_seconds_total"), CPUS),
                               "netfilter"),
           [("orange", 0.05), ("red", 0.15)], hint=HINT_NETFILTER)
    b.stat("Qdisc lock contention",
           "Contended qdisc lock acquisitions per attached second (opt-in probe: "
           "--probes=...,qdisc). Anything sustained means CPUs queue behind one transmit lock: "
           "consider a multiqueue qdisc or XPS.",
           "cps", per_attached_second("sum(%s)" % rate("tunescope_qdisc_lock_contentions_total"),
                                      "qdisc"),
           [("orange", 100), ("red", 10000)], hint=HINT_QDISC)
    b.stat("Cross-CPU reads",
           "Share of socket reads on a different CPU than the one that received the data. "
           "High values cost cache misses: consider RFS or CPU-pinned workers.",
           "percentunit",
           "sum(%s) / sum(%s)" % (rate("tunescope_xcpu_reads_total", 'locality="other_cpu"'),
                                  rate("tunescope_xcpu_reads_total")),
           [("orange", 0.3), ("red", 0.6)], hint=HINT_PORT_XCPU)
    b.stat("Request p99",
           "99th percentile request latency across the probed ports.",
           "s", quantile(0.99, "tunescope_request_latency_seconds"),
           [("orange", 0.05), ("red", 0.25)], hint=HINT_PORT_REQLAT)
    b.stat("Probes up",
           "Share of tunescope's probes running. Below 100%: the probe health row of the probes "
           "dashboard says which one and why.",
           "percentunit",
           "sum(%s) / count(%s)" % (m("tunescope_probe_up"), m("tunescope_probe_up")),
           w=4)["fieldConfig"]["defaults"]["thresholds"] = {
               "mode": "absolute", "steps": [{"color": "red", "value": None},
                                             {"color": "orange", "value": 0.5},
                                             {"color": "green", "value": 1}]}
    return dashboard("tunescope-overview", "tunescope / Overview",
                     "Where the network path's CPU time and latency go, and which tuning to "
                     "apply next.", b)


def probes():
    b = Builder()
    b.row("Softirq")
    b.timeseries(
        "Softirq CPU share per CPU and vector",
        "Share of each CPU spent in each softirq vector while the probe was attached. One CPU "
        "far above the others in net_rx means the NIC's queues land on one CPU: spread them "
        "(RSS, RPS, IRQ affinity).",
        "percentunit",
        [{"expr": per_attached_second(
            "sum by (cpu, vector) (%s)" % rate("tunescope_softirq_seconds_total"), "softirq"),
          "legendFormat": "cpu {{cpu}} {{vector}}"}],
        fieldConfig={"defaults": {"unit": "percentunit", "custom": {"stacking": {
            "mode": "normal"}}}, "overrides": []})
    b.timeseries(
        "NET_RX time per softirq run, per CPU",
        "Mean time one NET_RX softirq run takes on each CPU. Growing per-run time at the same "
        "packet rate means more work per packet (GRO off, netfilter, small batches).",
        "s",
        [{"expr": "sum by (cpu) (%s) / sum by (cpu) (%s)" % (
            rate("tunescope_softirq_seconds_total", 'vector="net_rx"'),
            rate("tunescope_softirq_runs_total", 'vector="net_rx"')),
          "legendFormat": "cpu {{cpu}}"}])
    b.heatmap(
        "NET_RX softirq run durations",
        "How long each timed NET_RX softirq run lasts (1 in 8 runs by default, "
        "--softirq.sample). Runs near 2 ms hit the netdev budget and defer work to ksoftirqd: "
        "latency then depends on the scheduler.",
        "s", "sum by (le) (%s)" % increase("tunescope_softirq_duration_seconds_bucket",
                                           'vector="net_rx"'))
    b.heatmap(
        "NET_RX raise-to-run delay",
        "Time from raising NET_RX to running it. Long delays mean softirqs wait behind other "
        "work on that CPU (or in ksoftirqd). Empty unless the daemon runs with "
        "--softirq.raise-delay (one more BPF program on every softirq raise).",
        "s", "sum by (le) (%s)" % increase("tunescope_softirq_net_rx_raise_delay_seconds_bucket"),
        hint=HINT_RAISE_DELAY)

    b.row("Hardirq")
    b.timeseries(
        "Interrupts per CPU and handler",
        "Interrupt rate of each handler on each CPU. All NIC queue interrupts on one CPU means "
        "irqbalance or smp_affinity leaves the other CPUs idle for receive work.",
        "cps",
        [{"expr": "sum by (cpu, action) (%s)" % rate("tunescope_hardirq_handled_total"),
          "legendFormat": "cpu {{cpu}} {{action}}"}])
    b.matrix(
        "Interrupt spread: handler x CPU",
        "Interrupts per second of each handler (rows) on each CPU (columns). A NIC queue "
        "handler whose interrupts land on several CPUs, or all queues on one CPU, needs "
        "smp_affinity pinning (tuning irq_affinity).",
        "cps", "tunescope_hardirq_handled_total", "action", "cpu")
    b.timeseries(
        "Hardirq CPU share per CPU",
        "Share of each CPU spent in hardirq handlers. A few % is normal; more means interrupt "
        "storms: raise coalescing.",
        "percentunit",
        [{"expr": "sum by (cpu) (%s)" % rate("tunescope_hardirq_seconds_total"),
          "legendFormat": "cpu {{cpu}}"}])

    b.row("Netfilter")
    b.timeseries(
        "Netfilter cost per packet by hook",
        "Mean time a packet spends in the netfilter hook functions of each family and hook. "
        "Long rule chains or conntrack show as hundreds of ns or more.",
        "s",
        [{"expr": "sum by (family, hook) (%s) / sum by (family, hook) (%s)" % (
            rate("tunescope_netfilter_seconds_total"), rate("tunescope_netfilter_packets_total")),
          "legendFormat": "{{family}} {{hook}}"}], w=8, hint=HINT_NETFILTER)
    b.timeseries(
        "Netfilter share of CPU",
        "Share of all CPUs spent in netfilter while the probe was attached. This is the s of "
        "the netfilter tuning's payoff s/(1-s): at 18% unloading netfilter gains ~22% "
        "throughput (Marc Richards, talawah.io 2021).",
        "percentunit",
        [{"expr": per_attached_second(
            "sum(%s) / %s" % (rate("tunescope_netfilter_seconds_total"), CPUS), "netfilter"),
          "legendFormat": "netfilter"}], w=8, hint=HINT_NETFILTER)
    b.timeseries(
        "Netfilter bracket mode's own cost",
        "Only in bracket mode: CPU share of the bracket programs themselves (already "
        "subtracted from the netfilter time) and their calibrated cost per hook traversal. "
        "If the share is close to netfilter's own, prefer the fentry or kprobe mode.",
        "percentunit",
        [{"expr": per_attached_second(
            "sum(%s) / %s" % (rate("tunescope_netfilter_bracket_seconds_total"), CPUS),
            "netfilter"),
          "legendFormat": "bracket share of CPU"}], w=8, hint=HINT_BRACKET)
    b.stat("Bracket cost per hook",
           "Calibrated cost of one bracket traversal (bracket mode only), measured at start-up "
           "in a private network namespace.",
           "s", "max(%s)" % m("tunescope_netfilter_bracket_self_cost_seconds"), w=8, h=8,
           hint=HINT_BRACKET)
    b.heatmap(
        "Netfilter cost per packet distribution",
        "Per-packet netfilter time. A tail far above the median suggests expensive rules "
        "matched by few packets (or conntrack table pressure).",
        "s", "sum by (le) (%s)" % increase("tunescope_netfilter_packet_cost_seconds_bucket"),
        w=8, hint=HINT_NETFILTER)

    b.row("Run queue")
    b.heatmap(
        "Run-queue latency, all CPUs",
        "Time runnable threads wait for a CPU. A band in the ms range means CPU saturation or "
        "bad placement: network tunings cannot help until it is gone.",
        "s", "sum by (le) (%s)" % increase("tunescope_runqueue_latency_seconds_bucket"))
    b.heatmap(
        "Run-queue latency, target server threads",
        "The same for the threads of the server being tuned (--target-pid/--target-comm). "
        "Compare with all CPUs: higher here means the server competes with other work.",
        "s", "sum by (le) (%s)" % increase("tunescope_runqueue_target_latency_seconds_bucket"),
        hint=HINT_TARGET_THREADS)
    b.timeseries(
        "Run-queue p99 per CPU",
        "99th percentile wait per CPU. One CPU much worse than the rest: something is pinned "
        "there (IRQs, a hot thread).",
        "s",
        [{"expr": quantile(0.99, "tunescope_runqueue_latency_seconds", by="cpu"),
          "legendFormat": "cpu {{cpu}}"}], w=24)

    b.row("Qdisc")
    b.timeseries(
        "Qdisc lock contention ratio per device",
        "Share of packets whose enqueue found the qdisc busy on another CPU (the qdisc probe "
        "is opt-in: --probes=...,qdisc). Sustained contention on a single-queue qdisc: switch "
        "to mq/fq with XPS.",
        "percentunit",
        [{"expr": "sum by (device, netns) (%s) / sum by (device, netns) (%s)" % (
            rate("tunescope_qdisc_lock_contentions_total"),
            rate("tunescope_qdisc_packets_total")), "legendFormat": "{{device}} ({{netns}})"}],
        w=8,
        hint=HINT_QDISC)
    b.timeseries(
        "Qdisc lock wait per device",
        "CPU time per attached second spent waiting for a device's qdisc locks (1 = one CPU "
        "fully waiting).",
        "percentunit",
        [{"expr": per_attached_second(
            "sum by (device, netns) (%s)" % rate("tunescope_qdisc_lock_wait_seconds_total"),
            "qdisc"),
          "legendFormat": "{{device}} ({{netns}})"}], w=8, hint=HINT_QDISC)
    b.table(
        "Root qdisc per device",
        "The root qdisc kind of each device, by network namespace (netns: the inode number of "
        "/proc/PID/ns/net). noqueue on virtual devices is normal; pfifo_fast on a busy "
        "multi-queue NIC is worth replacing with mq + fq.",
        "none", [m("tunescope_qdisc_info")],
        [{"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True,
                                                          "Value": True}}}], w=8,
        hint=HINT_QDISC)

    b.row("Cross-CPU")
    b.timeseries(
        "Cross-CPU read ratio per port",
        "Share of reads on a CPU other than the one that queued the data. Near 0 is ideal; "
        "high ratios: enable RFS or pin workers to the CPUs of their queues.",
        "percentunit",
        [{"expr": "sum by (port) (%s) / sum by (port) (%s)" % (
            rate("tunescope_xcpu_reads_total", 'locality="other_cpu"'),
            rate("tunescope_xcpu_reads_total")), "legendFormat": "port {{port}}"}],
        hint=HINT_PORT_XCPU)
    b.timeseries(
        "Target-port receive processing per CPU",
        "Share of each CPU spent processing the target ports' packets that passed a backlog "
        "(loopback, veth, RPS), by whether that CPU enqueued them (same_cpu) or another did "
        "(other_cpu: RPS steered them there). other_cpu on the clients' CPUs while the server's "
        "CPUs send them the work: advise's rps_rfs says what clearing the mask would do.",
        "percentunit",
        [{"expr": per_attached_second("sum by (cpu, enqueued) (%s)" % rate(
            "tunescope_xcpu_backlog_seconds_total"), "xcpu"),
          "legendFormat": "CPU {{cpu}} {{enqueued}}"}],
        hint=HINT_PORT_XCPU)
    b.timeseries(
        "Receive processing per packet, steered or not",
        "Mean receive processing time of a target-port packet, processed by the CPU that "
        "enqueued it (same_cpu) or by the CPU RPS steered it to (other_cpu). RPS batches "
        "steered packets, so other_cpu is often cheaper; the IPIs that hand them off show as "
        "the sending CPUs' NET_RX time.",
        "s",
        [{"expr": "sum by (enqueued) (%s) / sum by (enqueued) (%s)" % (
            rate("tunescope_xcpu_backlog_seconds_total"),
            rate("tunescope_xcpu_backlog_packets_total")),
          "legendFormat": "{{enqueued}}"}],
        hint=HINT_PORT_XCPU)
    b.matrix(
        "RX queue to CPU matrix",
        "Packets per second from each receive queue (rows) handled on each CPU (columns), "
        "from the optional XDP counter (--xdp-iface). A queue spread over many CPUs or many "
        "queues on one CPU: fix IRQ affinity.",
        "pps", "tunescope_xdp_rx_packets_total", "queue", "cpu", hint=HINT_XDP)

    b.row("Probe health")
    b.table(
        "Probe modes",
        "Each running probe and the mode it chose on this kernel (tp_btf is best). A probe "
        "missing here is down: see the next panel and tunescope's /healthz for why.",
        "none", [m("tunescope_probe_info")],
        [{"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True,
                                                          "Value": True}}}], w=6)
    b.timeseries(
        "Probes up",
        "1 while a probe runs, 0 when it could not run in any mode. The others keep working.",
        "bool_yes_no",
        [{"expr": "max by (probe) (%s)" % m("tunescope_probe_up"), "legendFormat": "{{probe}}"}],
        w=6)
    b.timeseries(
        "Share of time attached",
        "1 for the probes attached for good; for the windowed ones the share of their attach "
        "windows (serve --window, 2s/120s = 1.7% by default). Their counters grow only then.",
        "percentunit",
        [{"expr": "avg by (probe) (%s)" % rate("tunescope_probe_attached_seconds_total"),
          "legendFormat": "{{probe}}"}], w=6)
    b.timeseries(
        "Map inserts lost",
        "Inserts dropped because a bounded BPF map was full. Non-zero: raise the probe's map "
        "bound flag (e.g. --runqlat.max-tasks).",
        "cps",
        [{"expr": "sum by (probe, map) (%s)" % rate("tunescope_map_full_total"),
          "legendFormat": "{{probe}} {{map}}"}], w=6)
    b.timeseries(
        "BPF program cost per run",
        "Mean time per run of each tunescope BPF program (needs --bpf-stats). Tens of ns is "
        "the budget for the hot-path programs.",
        "ns",
        [{"expr": "sum by (probe, program) (%s) / sum by (probe, program) (%s) * 1e9" % (
            rate("tunescope_bpf_program_run_seconds_total"),
            rate("tunescope_bpf_program_runs_total")),
          "legendFormat": "{{probe}} {{program}}"}], hint=HINT_BPF_STATS)
    b.timeseries(
        "BPF programs' share of CPU",
        "Share of all CPUs tunescope's programs take (needs --bpf-stats): the observer's own "
        "overhead.",
        "percentunit",
        [{"expr": "sum by (probe) (%s) / on () group_left () %s" % (
            rate("tunescope_bpf_program_run_seconds_total"), CPUS),
          "legendFormat": "{{probe}}"}], hint=HINT_BPF_STATS)
    b.timeseries(
        "Daemon's own CPU, its budget and the window duty",
        "The daemon's own CPU as a share of one CPU, the --overhead-budget it keeps (its "
        "threads, its programs and the continuous probes together, 0: off) and the share of time "
        "the windowed probes attach in the current cycle (1: attached for good, 0: this window "
        "skipped to stay within the budget).",
        "percentunit",
        [{"expr": "sum by (instance) (%s)" % rate("tunescope_self_cpu_seconds_total"),
          "legendFormat": "{{instance}} daemon CPU"},
         {"expr": m("tunescope_overhead_budget_ratio"), "legendFormat": "{{instance}} budget"},
         {"expr": m("tunescope_window_duty_ratio"), "legendFormat": "{{instance}} duty"}])
    return dashboard("tunescope-probes", "tunescope / Probes",
                     "One row per probe: what each kernel probe measures and what to conclude.",
                     b)


def main():
    out = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--out" else OUT
    for name, board in (("overview", overview()), ("probes", probes())):
        path = os.path.join(out, "tunescope-%s.json" % name)
        with open(path, "w") as f:
            json.dump(board, f, indent=2, sort_keys=True)
            f.write("\n")
        print(path)


if __name__ == "__main__":
    main()
