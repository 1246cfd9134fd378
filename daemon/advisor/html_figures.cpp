#include "advisor/html_figures.h"

#include <algorithm>
#include <cmath>

#include "advisor/rules.h"
#include "probes/reqlat_metrics.h"
#include "probes/runqlat_metrics.h"

namespace tunescope::advisor::html {
namespace {

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
      {target ? "server's threads" : "server (no target given: in other)", own, palette::kBlue},
      {"softirq", si, palette::kOrange},
      {"netfilter", nf, palette::kRed},
      {"qdisc (transmit path)", q, palette::kPurple},
      {"other tasks and kernel", left, palette::kGrey},
      {"idle", std::max(0.0, server->capacity - busy), palette::kIdle},
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
  std::string svg = SvgOpen(height, d.title);
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
    const char* color = p99 ? palette::kDarkRed : p50 ? palette::kBlue : palette::kLightBlue;
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

}  // namespace

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
                    {{"running", *c.target_run_seconds, palette::kLightBlue},
                     {"waiting (run-queue)", *c.target_wait_seconds, palette::kDarkRed}}});
  }
  out += "<p class=\"meta\">" + Escape(c.basis) + "; " + Escape(Duration(c.capacity)) +
         " of CPU time in all.</p>";
  out += StackedChart(rows, "the server CPUs' time split by where it went");
  std::string seconds;
  for (const Part& p : c.parts) {
    seconds += (seconds.empty() ? "" : ", ") + p.name + " " + Duration(p.value);
  }
  out += "<p class=\"note\">" + Escape(seconds) +
         ". softirq excludes the netfilter receive hooks that run inside it; server's threads is "
         "the target's CPU time less the transmit work (qdisc, netfilter output hooks) counted "
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

}  // namespace tunescope::advisor::html
