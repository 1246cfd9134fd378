#include "advisor/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "advisor/report.h"
#include "advisor/rules.h"
#include "probes/reqlat_metrics.h"
#include "probes/runqlat_metrics.h"

namespace tunescope::advisor::html {
namespace {

// The palette of the CPU split, the same colour for a cost on every chart.
constexpr const char* kServerColor = "#3b7dd8";
constexpr const char* kSoftirqColor = "#e8a23a";
constexpr const char* kNetfilterColor = "#d9534f";
constexpr const char* kQdiscColor = "#8e5bc4";
constexpr const char* kOtherColor = "#8a8f98";
constexpr const char* kIdleColor = "#e6e8eb";
constexpr const char* kWaitColor = "#c0392b";
constexpr const char* kRunColor = "#7fa7e0";

// A number in SVG coordinates.
std::string Coord(double v) {
  return Printf("%.1f", v);
}

std::string NumberText(const Number& n) {
  if (n.unit == "s") return Duration(n.value);
  if (n.unit == "ratio") return Printf("%.3f", n.value);
  if (std::fabs(n.value - std::round(n.value)) < 1e-9) return Printf("%.0f", n.value);
  return Printf("%.3g", n.value);
}

// The width of a text label in the charts' 12 px font, roughly: for the label column.
double LabelWidth(std::span<const std::string> labels) {
  size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  return std::clamp(static_cast<double>(longest) * 7.0 + 12, 60.0, 260.0);
}

constexpr double kChartWidth = 820;

// Sum of a counter's delta over the server's CPUs for several values of one label.
double OnServerCpusFor(const Evidence& e, std::string_view family, const std::string& label,
                       std::initializer_list<const char*> values) {
  double sum = 0;
  for (const char* v : values) sum += e.OnServerCpus(family, {{label, v}}).value_or(0);
  return sum;
}

std::optional<CpuSplit> CpuSplitOf(const Evidence& e) {
  auto server = e.ServerCpuSeconds();
  if (!server || server->capacity <= 0) return std::nullopt;
  CpuSplit out;
  out.basis = server->basis;
  out.capacity = server->capacity;
  out.probe_seconds = server->probe_seconds;
  const double busy = std::min(server->busy(), server->capacity);
  const double softirq = e.OnServerCpus(kSoftirqSeconds).value_or(0);
  const double netfilter = e.OnServerCpus(kNetfilterSeconds).value_or(0);
  // The receive hooks run inside the NET_RX softirq, so their time is already in softirq's;
  // the output hooks run in the sender's context (the server's sendmsg).
  const double netfilter_rx =
      OnServerCpusFor(e, kNetfilterSeconds, "hook", {"prerouting", "input", "forward", "ingress"});
  const double qdisc = e.OnServerCpus(kQdiscSeconds).value_or(0);
  // Each part takes what is left of the busy time, so that approximations (a transmit inside a
  // softirq, a tick charged to the wrong side) never make the parts exceed it.
  double left = busy;
  auto take = [&left](double v) {
    double t = std::clamp(v, 0.0, left);
    left -= t;
    return t;
  };
  const double nf = take(netfilter);
  const double q = take(qdisc);
  const double si = take(softirq - netfilter_rx);
  // The target's own CPU time less the transmit work on its behalf counted above.
  const double own = e.cpu().target_cpu_seconds
                         ? take(*e.cpu().target_cpu_seconds - (netfilter - netfilter_rx) - qdisc)
                         : 0;
  const bool target = e.cpu().target_cpu_seconds.has_value();
  out.parts = {
      {target ? "server" : "server (no target given: in other)", own, kServerColor},
      {"softirq", si, kSoftirqColor},
      {"netfilter", nf, kNetfilterColor},
      {"qdisc (transmit path)", q, kQdiscColor},
      {"other tasks and kernel", left, kOtherColor},
      {"idle", std::max(0.0, server->capacity - busy), kIdleColor},
  };
  out.target_run_seconds = e.cpu().target_run_seconds;
  out.target_wait_seconds = e.cpu().target_wait_seconds;
  return out;
}

std::optional<Distribution> DistributionOf(const Evidence& e, std::string_view family,
                                           std::string title, std::string what,
                                           std::string missing_reason,
                                           std::vector<std::string>& not_shown) {
  auto h = e.Histogram(family);
  if (!h) {
    not_shown.push_back(title + ": " + missing_reason);
    return std::nullopt;
  }
  if (h->count <= 0) {
    not_shown.push_back(title + ": no samples in the window");
    return std::nullopt;
  }
  Distribution d;
  d.title = std::move(title);
  d.what = std::move(what);
  d.count = h->count;
  double previous = 0;
  for (const auto& [le, cumulative] : h->buckets) {
    d.buckets.push_back({le, std::max(0.0, cumulative - previous)});
    previous = cumulative;
  }
  // Leading and trailing empty buckets say nothing; keep one on each side for context.
  auto first = std::find_if(d.buckets.begin(), d.buckets.end(),
                            [](const Distribution::Bucket& b) { return b.count > 0; });
  auto last = std::find_if(d.buckets.rbegin(), d.buckets.rend(),
                           [](const Distribution::Bucket& b) { return b.count > 0; });
  if (first != d.buckets.end()) {
    size_t begin = static_cast<size_t>(std::max<std::ptrdiff_t>(0, first - d.buckets.begin() - 1));
    size_t end = std::min(d.buckets.size(), static_cast<size_t>(d.buckets.rend() - last) + 1);
    d.buckets =
        std::vector<Distribution::Bucket>(d.buckets.begin() + static_cast<std::ptrdiff_t>(begin),
                                          d.buckets.begin() + static_cast<std::ptrdiff_t>(end));
  }
  d.p50 = h->QuantileUpperBound(0.5);
  d.p99 = h->QuantileUpperBound(0.99);
  return d;
}

std::string BucketLabel(double le) {
  return std::isinf(le) ? std::string("> max") : "\u2264 " + Duration(le);
}

std::string HistogramChart(const Distribution& d) {
  // `top` leaves room for the axis title above the tallest bar's share.
  const double height = 230, top = 36, bottom = 44, left = 48;
  const double plot_h = height - top - bottom;
  const double n = static_cast<double>(d.buckets.size());
  const double step = (kChartWidth - left - 8) / std::max(1.0, n);
  double peak = 0;
  for (const auto& b : d.buckets) peak = std::max(peak, b.count);
  std::string svg = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + Coord(kChartWidth) + " " +
                    Coord(height) + "\" width=\"" + Coord(kChartWidth) + "\" height=\"" +
                    Coord(height) + "\" aria-label=\"" + Escape(d.title) + "\">";
  svg += "<line x1=\"" + Coord(left) + "\" y1=\"" + Coord(top + plot_h) + "\" x2=\"" +
         Coord(kChartWidth - 8) + "\" y2=\"" + Coord(top + plot_h) + "\" class=\"axis\"/>";
  svg += "<text x=\"4\" y=\"12\" class=\"small\">share of samples</text>";
  // Label every k-th bucket so that the labels (up to ~10 characters of 11 px) never overlap.
  const size_t every = static_cast<size_t>(std::ceil(64 / std::max(step, 1.0)));
  for (size_t i = 0; i < d.buckets.size(); ++i) {
    const auto& b = d.buckets[i];
    const double share = d.count > 0 ? b.count / d.count : 0;
    const double h = peak > 0 ? plot_h * b.count / peak : 0;
    const double x = left + step * static_cast<double>(i);
    const bool p99 = d.p99 && b.le == *d.p99;
    const bool p50 = d.p50 && b.le == *d.p50;
    const char* color = p99 ? kWaitColor : p50 ? kServerColor : "#7fa7e0";
    svg += "<rect x=\"" + Coord(x + 2) + "\" y=\"" + Coord(top + plot_h - h) + "\" width=\"" +
           Coord(std::max(1.0, step - 4)) + "\" height=\"" + Coord(h) + "\" fill=\"" + color +
           "\"><title>" +
           Escape(BucketLabel(b.le) + ": " + Printf("%.0f", b.count) + " samples (" +
                  Percent(share) + ")") +
           "</title></rect>";
    if (share >= 0.005) {
      svg += "<text x=\"" + Coord(x + step / 2) + "\" y=\"" + Coord(top + plot_h - h - 4) +
             "\" class=\"small\" text-anchor=\"middle\">" + Escape(Percent(share)) + "</text>";
    }
    if (i % every == 0) {
      svg += "<text x=\"" + Coord(x + step / 2) + "\" y=\"" + Coord(top + plot_h + 16) +
             "\" class=\"small\" text-anchor=\"middle\">" + Escape(BucketLabel(b.le)) + "</text>";
    }
  }
  svg += "<text x=\"" + Coord(left) + "\" y=\"" + Coord(height - 6) +
         "\" class=\"small\">bucket upper bound (log2 buckets); dark blue: the median's "
         "bucket, red: the 99th percentile's</text>";
  svg += "</svg>";
  return svg;
}

std::string Definition(std::string_view term, const std::string& html_value) {
  return "<dt>" + Escape(term) + "</dt><dd>" + html_value + "</dd>";
}

std::string TuningEntry(const Prediction& p) {
  const Tuning& t = *p.tuning;
  std::string cls = std::string(Basis(p));
  std::string out =
      "<article class=\"tuning " + Escape(cls) + "\" id=\"tuning-" + Escape(t.id) +
      "\"><h3><span class=\"rank\">" + std::to_string(p.rank) + ".</span> <code>" + Escape(t.id) +
      "</code> <span class=\"payoff\">" + Escape(PayoffText(p)) + "</span> " + Escape(t.title) +
      " <span class=\"verdict\">[" + Escape(to_string(p.verdict)) +
      (p.confidence == "none" ? "" : ", confidence " + Escape(p.confidence)) + "]</span></h3><dl>";
  out += Definition("why", Escape(p.reason));
  if (!p.numbers.empty()) {
    std::string numbers = "<table class=\"numbers\">";
    for (const Number& n : p.numbers) {
      numbers += "<tr><td><code>" + Escape(n.name) + "</code></td><td>" + Escape(NumberText(n)) +
                 "</td></tr>";
    }
    out += Definition("numbers", numbers + "</table>");
  }
  if (!p.applied() && p.verdict != Verdict::kNotApplicable) {
    out += Definition("apply", "<code>" + Escape(t.apply) + "</code>");
    out += Definition("revert", "<code>" + Escape(t.revert) + "</code>");
    out += Definition("risk", (t.weakens_security ? "<strong>" : "") + Escape(t.risk) +
                                  (t.weakens_security ? "</strong>" : ""));
  }
  std::string source = Escape(t.source.Cite());
  if (!t.source.url.empty()) {
    // A link the reader may follow; nothing is fetched when the page loads.
    source += " <a href=\"" + Escape(t.source.url) + "\" rel=\"noreferrer\">link</a>";
  }
  out += Definition("source", source);
  out += Definition("claims", Escape(t.documented_gain));
  if (Experimentable(t) && !p.applied() && p.verdict != Verdict::kNotApplicable) {
    out += Definition("try", "<code>tunescope experiment --tuning " + Escape(t.id) +
                                 " --load \"YOUR LOAD COMMAND\" --yes</code>");
  }
  return out + "</dl></article>";
}

}  // namespace

std::string Printf(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Percent(double ratio) {
  return Printf(std::fabs(ratio) >= 0.1 || ratio == 0 ? "%.0f%%" : "%.1f%%", ratio * 100);
}

std::string Duration(double seconds) {
  const double a = std::fabs(seconds);
  if (a == 0) return "0 s";
  if (a < 1e-6) return Printf("%.0f ns", seconds * 1e9);
  if (a < 1e-3) return Printf("%.3g us", seconds * 1e6);
  if (a < 1) return Printf("%.3g ms", seconds * 1e3);
  return Printf("%.3g s", seconds);
}

Figures FiguresOf(const Evidence& e) {
  Figures f;
  f.cpu = CpuSplitOf(e);
  if (!f.cpu) f.not_shown.push_back("CPU split: the CPUs' busy time was not read");
  auto add = [&](std::string_view family, std::string title, std::string what,
                 std::string missing) {
    if (auto d = DistributionOf(e, family, std::move(title), std::move(what), std::move(missing),
                                f.not_shown)) {
      f.distributions.push_back(std::move(*d));
    }
  };
  add(probes::runqlat_metrics::kLatency, "Run-queue wait, all CPUs",
      "how long runnable threads waited for a CPU (probe runqlat)",
      "not measured: probe runqlat is not running");
  add(kTargetRunqueue, "Run-queue wait, the server's threads",
      "the same for the threads of --target-pid/--target-comm",
      "not measured: needs --target-pid or --target-comm (probe runqlat)");
  add(probes::reqlat_metrics::kLatency, "Request latency",
      "first request bytes queued on the socket to the response write (probe reqlat)",
      "not measured: needs --target-port (probe reqlat)");
  return f;
}

std::string PageStart(std::string_view title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         // Nothing to fetch, nothing to run: the page is complete as it is.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:\">"
         // An empty icon, so that a browser does not ask for /favicon.ico.
         "<link rel=\"icon\" href=\"data:,\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         Escape(title) +
         "</title><style>"
         "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
         "max-width:880px;padding:0 16px;color:#1d2330;background:#fff}"
         "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;"
         "border-bottom:1px solid #dde1e6;padding-bottom:4px}h3{font-size:15px;margin:0 0 6px}"
         ".meta{color:#555d6b}code{font:12.5px ui-monospace,Menlo,Consolas,monospace;"
         "background:#f3f4f6;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}"
         ".tuning{border:1px solid #dde1e6;border-left:5px solid #8a8f98;border-radius:4px;"
         "padding:10px 12px;margin:10px 0}.tuning.measured{border-left-color:#2e8b57}"
         ".tuning.documented{border-left-color:#e8a23a}.payoff{font-weight:600;color:#2e8b57}"
         ".documented .payoff{color:#b9770e}.verdict{color:#555d6b;font-weight:400}"
         "dl{display:grid;grid-template-columns:80px 1fr;gap:3px 10px;margin:0}"
         "dt{color:#555d6b}dd{margin:0}table{border-collapse:collapse}"
         "td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}"
         "table.rounds td,table.rounds th{text-align:right;padding:2px 8px}"
         "table.rounds th:first-child,table.rounds td:first-child{text-align:left}"
         ".chart{max-width:100%;height:auto;display:block;margin:6px 0 12px}"
         ".chart text{font:12px system-ui,sans-serif;fill:#1d2330}.chart .small{font-size:11px;"
         "fill:#555d6b}.axis{stroke:#8a8f98;stroke-width:1}.legend{display:flex;flex-wrap:wrap;"
         "gap:4px 14px;margin:4px 0}.swatch{display:inline-block;width:11px;height:11px;"
         "margin-right:5px;vertical-align:-1px;border-radius:2px}"
         ".note{color:#555d6b;font-size:13px}.tail .tuning{opacity:.85}"
         "</style></head><body>\n";
}

std::string PageEnd() {
  return "<p class=\"note\">Made by tunescope; the methods are in docs/advisor.md.</p>"
         "</body></html>\n";
}

std::string BarChart(std::span<const Bar> bars, std::string_view aria_label) {
  std::vector<std::string> labels;
  double peak = 0;
  for (const Bar& b : bars) {
    labels.push_back(b.label);
    peak = std::max(peak, std::fabs(b.value));
  }
  const double label_w = LabelWidth(labels), text_w = 120, row = 22;
  const double plot_w = kChartWidth - label_w - text_w;
  const double height = row * static_cast<double>(bars.size()) + 8;
  std::string svg = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + Coord(kChartWidth) + " " +
                    Coord(height) + "\" width=\"" + Coord(kChartWidth) + "\" height=\"" +
                    Coord(height) + "\" aria-label=\"" + Escape(aria_label) + "\">";
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = 4 + row * static_cast<double>(i);
    const double w = peak > 0 ? plot_w * std::fabs(b.value) / peak : 0;
    svg += "<text x=\"" + Coord(label_w - 8) + "\" y=\"" + Coord(y + 15) +
           "\" text-anchor=\"end\">" + Escape(b.label) + "</text>";
    svg += "<rect x=\"" + Coord(label_w) + "\" y=\"" + Coord(y + 3) + "\" width=\"" +
           Coord(std::max(w, 1.0)) + "\" height=\"" + Coord(row - 6) + "\" fill=\"" +
           Escape(b.color) + "\"><title>" + Escape(b.label + ": " + b.text) + "</title></rect>";
    svg += "<text x=\"" + Coord(label_w + w + 6) + "\" y=\"" + Coord(y + 15) + "\">" +
           Escape(b.text) + "</text>";
  }
  return svg + "</svg>";
}

std::string StackedChart(std::span<const StackedRow> rows, std::string_view aria_label) {
  std::vector<std::string> labels;
  for (const StackedRow& r : rows) labels.push_back(r.label);
  const double label_w = LabelWidth(labels), row = 30;
  const double plot_w = kChartWidth - label_w - 8;
  const double height = row * static_cast<double>(rows.size()) + 8;
  std::string svg = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + Coord(kChartWidth) + " " +
                    Coord(height) + "\" width=\"" + Coord(kChartWidth) + "\" height=\"" +
                    Coord(height) + "\" aria-label=\"" + Escape(aria_label) + "\">";
  std::vector<std::pair<std::string, std::string>> legend;  // name, colour; in order
  for (size_t i = 0; i < rows.size(); ++i) {
    const StackedRow& r = rows[i];
    double total = 0;
    for (const Part& p : r.parts) total += std::max(0.0, p.value);
    const double y = 4 + row * static_cast<double>(i);
    svg += "<text x=\"" + Coord(label_w - 8) + "\" y=\"" + Coord(y + 19) +
           "\" text-anchor=\"end\">" + Escape(r.label) + "</text>";
    double x = label_w;
    for (const Part& p : r.parts) {
      if (std::none_of(legend.begin(), legend.end(),
                       [&p](const auto& l) { return l.first == p.name; })) {
        legend.emplace_back(p.name, p.color);
      }
      if (total <= 0 || p.value <= 0) continue;
      const double share = p.value / total;
      const double w = plot_w * share;
      svg += "<rect x=\"" + Coord(x) + "\" y=\"" + Coord(y + 3) + "\" width=\"" + Coord(w) +
             "\" height=\"" + Coord(row - 6) + "\" fill=\"" + Escape(p.color) + "\"><title>" +
             Escape(p.name + ": " + Percent(share)) + "</title></rect>";
      // The share inside its segment when it fits.
      if (w >= 34) {
        svg += "<text x=\"" + Coord(x + w / 2) + "\" y=\"" + Coord(y + 19) +
               "\" text-anchor=\"middle\" class=\"small\" style=\"fill:#fff\">" +
               Escape(Percent(share)) + "</text>";
      }
      x += w;
    }
  }
  svg += "</svg><div class=\"legend\">";
  for (const auto& [name, color] : legend) {
    svg += "<span><span class=\"swatch\" style=\"background:" + Escape(color) + "\"></span>" +
           Escape(name) + "</span>";
  }
  return svg + "</div>";
}

std::string CpuSection(const Figures& f, std::string_view heading) {
  std::string out = "<section id=\"cpu\"><h2>" + Escape(heading) + "</h2>";
  if (!f.cpu)
    return out + "<p class=\"note\">Not shown: the CPUs' busy time was not read.</p></section>";
  const CpuSplit& c = *f.cpu;
  std::vector<StackedRow> rows;
  rows.push_back({"server CPUs", c.parts});
  if (c.target_run_seconds && c.target_wait_seconds &&
      *c.target_run_seconds + *c.target_wait_seconds > 0) {
    rows.push_back({"server threads",
                    {{"running", *c.target_run_seconds, kRunColor},
                     {"waiting (run-queue)", *c.target_wait_seconds, kWaitColor}}});
  }
  out += "<p class=\"meta\">" + Escape(c.basis) + "; " + Escape(Duration(c.capacity)) +
         " of CPU time in all.</p>";
  out += StackedChart(rows, "the server CPUs' time split by where it went");
  std::string seconds;
  for (const Part& p : c.parts) {
    seconds += (seconds.empty() ? "" : ", ") + p.name + " " + Duration(p.value);
  }
  out += "<p class=\"note\">" + Escape(seconds) +
         ". softirq excludes the netfilter receive hooks that run inside it; server is the "
         "target's CPU time less the transmit work (qdisc, netfilter output hooks) counted "
         "apart; tunescope's own programs took " +
         Escape(Duration(c.probe_seconds)) +
         " of the busy time (inside the parts above). The second bar is the server's threads: "
         "time on a CPU and time runnable but waiting for one (the kernel's schedstat).</p>";
  return out + "</section>";
}

std::string DistributionSection(const Figures& f, std::string_view heading) {
  std::string out = "<section id=\"distributions\"><h2>" + Escape(heading) + "</h2>";
  for (const Distribution& d : f.distributions) {
    out += "<h3>" + Escape(d.title) + "</h3><p class=\"meta\">" + Escape(d.what) + "; " +
           Printf("%.0f", d.count) + " samples";
    if (d.p50) out += ", median \u2264 " + Escape(Duration(*d.p50));
    if (d.p99) out += ", p99 \u2264 " + Escape(Duration(*d.p99));
    out += "</p>" + HistogramChart(d);
  }
  if (!f.not_shown.empty()) {
    out += "<p class=\"note\">Not shown: ";
    for (size_t i = 0; i < f.not_shown.size(); ++i) {
      out += (i ? "; " : "") + Escape(f.not_shown[i]);
    }
    out += ".</p>";
  }
  return out + "</section>";
}

std::string HtmlReport(const Advice& a, const Figures& f) {
  std::string out = PageStart("tunescope advise");
  out += "<h1>tunescope advise</h1><p class=\"meta\">" + Escape(Printf("%.0f", a.window_seconds)) +
         " s window; server CPU = " + Escape(a.server_cpu_basis) + "</p>";
  std::string up, down;
  for (const auto& p : a.probes_up) up += (up.empty() ? "" : ", ") + p;
  for (const auto& p : a.probes_down) down += (down.empty() ? "" : "; ") + p;
  out += "<p class=\"meta\">probes up: " + Escape(up.empty() ? "none" : up) + "</p>";
  if (!down.empty()) out += "<p class=\"meta\">probes down: " + Escape(down) + "</p>";

  // The payoffs at a glance: the entries with a number, best first.
  std::vector<Bar> bars;
  for (const Prediction& p : a.ranked) {
    // Throughput and headroom payoffs share one scale; latency payoffs are in the list below.
    if (!p.payoff_ratio) continue;
    if (p.verdict != Verdict::kMeasured && p.verdict != Verdict::kDocumented) continue;
    double value = p.headroom && p.removed_share ? *p.removed_share : *p.payoff_ratio;
    bars.push_back({std::to_string(p.rank) + ". " + std::string(p.tuning->id), value, PayoffText(p),
                    p.verdict == Verdict::kMeasured ? "#2e8b57" : "#e8a23a"});
  }
  out += "<section id=\"payoffs\"><h2>Predicted payoffs</h2>";
  if (bars.empty()) {
    out += "<p class=\"note\">No tuning has a payoff here: see the list below for why.</p>";
  } else {
    out +=
        "<div class=\"legend\"><span><span class=\"swatch\" style=\"background:#2e8b57\">"
        "</span>measured on this host</span><span><span class=\"swatch\" "
        "style=\"background:#e8a23a\"></span>documented (the source's figure, not measured "
        "here)</span></div>";
    out += BarChart(bars, "predicted payoff per tuning");
  }
  out += "</section>";

  out += CpuSection(f, "Where the server's CPU time went");
  out += DistributionSection(f, "Run-queue and request latency");

  out += "<section id=\"tunings\"><h2>Tunings, best predicted payoff first</h2>";
  bool tail = false;
  for (const Prediction& p : a.ranked) {
    bool judged = p.verdict == Verdict::kMeasured || p.verdict == Verdict::kDocumented;
    if (!judged && !tail) {
      out +=
          "</section><section id=\"tail\" class=\"tail\"><h2>Not measurable here, nothing "
          "to gain, or already applied</h2>";
      tail = true;
    }
    out += TuningEntry(p);
  }
  out += "</section>";
  return out + PageEnd();
}

}  // namespace tunescope::advisor::html
