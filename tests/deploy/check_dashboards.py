#!/usr/bin/env python3
"""Enforces tunescope's Grafana dashboard conventions (python3 stdlib only).

usage: check_dashboards.py FILE...            check; one line per violation, exit 1 if any
       check_dashboards.py --queries FILE...  print each panel query as a JSON line
                                              {"file","panel","id","ref","expr","instant","hint"}
                                              (e2e test; hint: the panel's noValue text)

Conventions: `datasource` (datasource type), `job` and `instance` (query) variables; every
panel and target uses the ${datasource} variable; every tunescope_* selector is filtered by
job=~"$job" and instance=~"$instance"; every range is [$__rate_interval]; counters
(_total, _bucket, _count, _sum) only inside rate()/increase(); histogram buckets only in
histogram_quantile() or in heatmap panels (format heatmap, summed by le); every panel has a
title, a description of what to conclude, and a unit.

Empty panels explain themselves: a panel with a metric that the default daemon (`tunescope
serve` without flags) may not export carries fieldConfig.defaults.noValue naming the flag that
turns it on. The default probe set is read from daemon/probes/catalogue.cpp, which probe
exports which metric from the metrics table of docs/probes.md (both beside this file in the
source tree), so a new probe or metric is judged without editing this file.
"""
import json
import os
import re
import sys

SOURCE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CATALOGUE = os.path.join(SOURCE, "daemon", "probes", "catalogue.cpp")
PROBES_DOC = os.path.join(SOURCE, "docs", "probes.md")
# Metrics of the daemon itself, exported whatever probes run.
# Exported by the default daemon whatever the probes: self metrics, and the kernel-statistics
# tier read from /proc (off only with --no-kernel-stats).
CORE_METRICS = ("tunescope_probe_", "tunescope_tuning_", "tunescope_advice_",
                "tunescope_build_info",
                "tunescope_map_full_total", "tunescope_kernel_", "tunescope_self_cpu_seconds_total",
                "tunescope_overhead_budget_ratio", "tunescope_window_duty_ratio")
# Metrics that need more than their probe: a flag, or a kernel feature. Checked before the
# probe's own condition; the noValue text must contain one of the strings.
FEATURE_FLAGS = (
    ("tunescope_softirq_net_rx_raise_delay_seconds", ("--softirq.raise-delay",)),
    ("tunescope_netfilter_bracket_", ("--netfilter-mode=bracket",)),
    # Any netfilter metric stays empty where no hook runs or the probe cannot attach (a kernel
    # feature): the hint names the mode flag and /healthz.
    ("tunescope_netfilter_", ("--netfilter-mode",)),
    ("tunescope_runqueue_target_", ("--target-pid", "--target-comm")),
    ("tunescope_xdp_", ("--xdp-iface",)),
    ("tunescope_bpf_program_", ("--bpf-stats",)),
)

SELECTOR = re.compile(r"\b(tunescope_[a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\[[^\]]*\])?")
RANGE = re.compile(r"\[([^\]]*)\]")
COUNTER_SUFFIXES = ("_total", "_bucket", "_count", "_sum")
DS_VALUES = ("${datasource}", "$datasource")


def panels_of(board):
    for p in board.get("panels", []):
        yield p
        for inner in p.get("panels", []) or []:
            yield inner


def check_expr(expr, panel_type, target, where, problems):
    if not expr.strip():
        problems.append("%s: empty query" % where)
        return
    for rng in RANGE.findall(expr):
        if rng != "$__rate_interval":
            problems.append("%s: range [%s] is not [$__rate_interval]" % (where, rng))
    found = False
    for match in SELECTOR.finditer(expr):
        found = True
        name, labels, rng = match.group(1), match.group(2) or "", match.group(3)
        if 'job=~"$job"' not in labels or 'instance=~"$instance"' not in labels:
            problems.append('%s: %s is not filtered by job=~"$job",instance=~"$instance"'
                            % (where, name))
        if name.endswith(COUNTER_SUFFIXES):
            before = expr[:match.start()].rstrip()
            if not rng or not re.search(r"\b(rate|increase)\s*\($", before):
                problems.append("%s: counter %s is not inside rate()/increase()" % (where, name))
        if name.endswith("_bucket"):
            in_quantile = "histogram_quantile" in expr[:match.start()]
            is_heatmap = (panel_type == "heatmap" and target.get("format") == "heatmap"
                          and re.search(r"by\s*\(\s*le\s*\)", expr))
            if not in_quantile and not is_heatmap:
                problems.append("%s: histogram %s must be a heatmap summed by (le) with format "
                                "heatmap, or inside histogram_quantile()" % (where, name))
    if not found:
        problems.append("%s: query has no tunescope_ metric" % where)


def default_probes(problems):
    """{probe: DefaultOn kind} from catalogue.cpp, e.g. {"qdisc": "kNever"}."""
    try:
        text = open(CATALOGUE).read()
    except OSError as e:
        problems.append("cannot read the probe catalogue: %s" % e)
        return {}
    # Rows are designated initialisers: .name = "softirq", .default_on = DefaultOn::kInWindows.
    found = dict(re.findall(
        r'\.name\s*=\s*"([a-z0-9_]+)",\s*\.default_on\s*=\s*DefaultOn::(k[A-Za-z]+)', text))
    if not found:
        problems.append("%s: no .name = ..., .default_on = DefaultOn::... rows found" % CATALOGUE)
    return found


def metric_probes(problems):
    """{metric name: probe} from the "Metrics of each probe" table in docs/probes.md."""
    try:
        text = open(PROBES_DOC).read()
    except OSError as e:
        problems.append("cannot read the probes documentation: %s" % e)
        return {}
    at = text.find("Metrics of each probe")
    out = {}
    for line in text[at:].splitlines()[1:] if at >= 0 else []:
        if out and not line.startswith("|"):
            break
        row = re.match(r"\|\s*`([a-z0-9_]+)`\s*\|(.*)\|\s*$", line)
        if row:
            for name in re.findall(r"`(tunescope_[a-z0-9_]+)", row.group(2)):
                out[name] = row.group(1)
    if not out:
        problems.append("%s: no metrics table under \"Metrics of each probe\"" % PROBES_DOC)
    return out


def base_name(name):
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def needed_hints(expr, defaults, probe_of):
    """(metric, why, flags) for each metric in `expr` that the default daemon may not export:
    the noValue hint must name one of `flags`. Unknown metrics come back with flags None."""
    out = []
    for name in sorted(set(m.group(1) for m in SELECTOR.finditer(expr))):
        if name.startswith(CORE_METRICS):
            continue
        feature = next((f for prefix, f in FEATURE_FLAGS if name.startswith(prefix)), None)
        if feature:
            out.append((name, "needs " + " or ".join(feature), feature))
            continue
        probe = probe_of.get(base_name(name))
        if probe is None:
            out.append((name, "not in docs/probes.md's metrics table", None))
            continue
        kind = defaults.get(probe)
        if kind == "kNever":
            out.append((name, "probe %s is opt-in" % probe, ("--probes=" + probe,)))
        elif kind == "kWithTargetPort":
            out.append((name, "probe %s runs with a target port" % probe, ("--target-port",)))
        # kInWindows: in the default set, attached in serve's default windows.
        elif kind not in ("kAlways", "kInWindows"):
            out.append((name, "probe %s is not in daemon/probes/catalogue.cpp" % probe, None))
    return out


def check_hints(where, panel, defaults, probe_of, problems):
    hint = panel.get("fieldConfig", {}).get("defaults", {}).get("noValue") or ""
    reported = set()
    for t in panel.get("targets") or []:
        for name, why, flags in needed_hints(t.get("expr", ""), defaults, probe_of):
            if name in reported:
                continue
            reported.add(name)
            if flags is None:
                problems.append("%s: %s is %s: cannot tell whether the default daemon exports "
                                "it" % (where, name, why))
            elif not any(f in hint for f in flags):
                problems.append("%s: can be empty under the default daemon (%s: %s) but its "
                                "noValue hint does not name %s" % (where, name, why,
                                                                    " or ".join(flags)))


def check_board(path, board, problems, defaults=None, probe_of=None):
    names = {}
    for v in board.get("templating", {}).get("list", []):
        names[v.get("name")] = v
    ds = names.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("%s: no `datasource` variable of type datasource (prometheus)" % path)
    for var in ("job", "instance"):
        if var not in names or names[var].get("type") != "query":
            problems.append("%s: no `%s` query variable" % (path, var))
    if not board.get("uid") or not board.get("title"):
        problems.append("%s: dashboard needs a uid and a title" % path)
    ids = set()
    for p in panels_of(board):
        title = p.get("title", "")
        where = "%s: panel %r" % (path, title)
        if p.get("id") in ids:
            problems.append("%s: duplicate panel id %s" % (where, p.get("id")))
        ids.add(p.get("id"))
        if p.get("type") == "row":
            continue
        if not title:
            problems.append("%s: panel without a title" % path)
        if len(p.get("description", "")) < 40:
            problems.append("%s: description missing or too short to say what to conclude"
                            % where)
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not unit:
            problems.append("%s: no unit (fieldConfig.defaults.unit)" % where)
        if (p.get("datasource") or {}).get("uid") not in DS_VALUES:
            problems.append("%s: panel datasource is not ${datasource}" % where)
        targets = p.get("targets") or []
        if not targets:
            problems.append("%s: no queries" % where)
        if p.get("type") == "heatmap":
            if (p.get("options") or {}).get("calculate") is not False:
                problems.append("%s: heatmap must use the buckets as they are (calculate: false)"
                                % where)
            for t in targets:
                if t.get("format") != "heatmap":
                    problems.append("%s: heatmap target %s lacks format heatmap"
                                    % (where, t.get("refId")))
        for t in targets:
            twhere = "%s %s" % (where, t.get("refId", "?"))
            if (t.get("datasource") or {}).get("uid") not in DS_VALUES:
                problems.append("%s: target datasource is not ${datasource}" % twhere)
            check_expr(t.get("expr", ""), p.get("type"), t, twhere, problems)
        if defaults is not None:
            check_hints(where, p, defaults, probe_of, problems)


def load(path, problems):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        problems.append("%s: cannot read JSON: %s" % (path, e))
        return None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    queries = argv[1] == "--queries"
    files = argv[2:] if queries else argv[1:]
    problems = []
    defaults = probe_of = None
    if not queries:
        defaults, probe_of = default_probes(problems), metric_probes(problems)
    for path in files:
        board = load(path, problems)
        if board is None:
            continue
        if queries:
            for p in panels_of(board):
                for t in p.get("targets") or []:
                    hint = p.get("fieldConfig", {}).get("defaults", {}).get("noValue")
                    print(json.dumps({"file": path, "panel": p.get("title"), "id": p.get("id"),
                                      "ref": t.get("refId"), "expr": t.get("expr", ""),
                                      "instant": bool(t.get("instant")), "hint": hint or ""}))
        else:
            check_board(path, board, problems, defaults, probe_of)
    for line in problems:
        print(line)
    if problems:
        print("%d problem(s) in %d file(s)" % (len(problems), len(files)), file=sys.stderr)
        return 1
    if not queries:
        print("ok: %d dashboard(s) follow the conventions" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
