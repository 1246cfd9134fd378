#!/usr/bin/env python3
"""Enforces tunescope's Grafana dashboard conventions (python3 stdlib only).

usage: check_dashboards.py FILE...            check; one line per violation, exit 1 if any
       check_dashboards.py --queries FILE...  print each panel query as a JSON line
                                              {"file","panel","ref","expr","instant"} (e2e test)

Conventions: `datasource` (datasource type), `job` and `instance` (query) variables; every
panel and target uses the ${datasource} variable; every tunescope_* selector is filtered by
job=~"$job" and instance=~"$instance"; every range is [$__rate_interval]; counters
(_total, _bucket, _count, _sum) only inside rate()/increase(); histogram buckets only in
histogram_quantile() or in heatmap panels (format heatmap, summed by le); every panel has a
title, a description of what to conclude, and a unit.
"""
import json
import re
import sys

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


def check_board(path, board, problems):
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
    for path in files:
        board = load(path, problems)
        if board is None:
            continue
        if queries:
            for p in panels_of(board):
                for t in p.get("targets") or []:
                    print(json.dumps({"file": path, "panel": p.get("title"),
                                      "ref": t.get("refId"), "expr": t.get("expr", ""),
                                      "instant": bool(t.get("instant"))}))
        else:
            check_board(path, board, problems)
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
