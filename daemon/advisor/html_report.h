// `tunescope advise --html FILE`: one self-contained HTML page (inline CSS and SVG, no script,
// nothing fetched: a Content-Security-Policy forbids it) with the ranked tunings and the charts
// a person takes in faster than numbers: where the server's CPU time went and the run-queue and
// request-latency distributions. The building blocks are shared with the experiment's page
// (experiment_html.h). Every text from outside (reasons, commands, device names) is escaped.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/advisor.h"
#include "advisor/evidence.h"

namespace tunescope::advisor::html {

// Text and attribute values: & < > " ' as entities.
std::string Escape(std::string_view text);
// One number through a printf format (chart coordinates, labels).
std::string Printf(const char* format, double v);

// One segment of a stacked bar.
struct Part {
  std::string name;
  double value = 0;
  std::string color;  // CSS colour
};

// Where the server's CPUs' time went over the window (seconds; the parts add up to capacity).
struct CpuSplit {
  std::string basis;    // which CPUs, and why those
  double capacity = 0;  // window x number of those CPUs
  std::vector<Part> parts;
  // The target's threads: time running and time runnable but waiting for a CPU (schedstat).
  std::optional<double> target_run_seconds, target_wait_seconds;
  double probe_seconds = 0;  // tunescope's own programs on those CPUs, within the busy time
};

// A histogram's counts per bucket over the window.
struct Distribution {
  std::string title;
  std::string what;  // one line: what it counts
  struct Bucket {
    double le = 0;  // upper bound in seconds (+inf for the last)
    double count = 0;
  };
  std::vector<Bucket> buckets;  // not cumulative
  double count = 0;
  std::optional<double> p50, p99;  // upper bounds of the buckets holding them
};

struct Figures {
  std::optional<CpuSplit> cpu;
  std::vector<Distribution> distributions;  // the measured ones
  std::vector<std::string> not_shown;       // "request latency: ...": why a chart is missing
};

// Reads the figures off a window's evidence.
Figures FiguresOf(const Evidence& e);

// Page parts shared with the experiment's report.
std::string PageStart(std::string_view title);
std::string PageEnd();
std::string CpuSection(const Figures& f, std::string_view heading);
std::string DistributionSection(const Figures& f, std::string_view heading);

// A horizontal bar chart: one row per bar, a label on the left, the value's text on the right.
struct Bar {
  std::string label;
  double value = 0;
  std::string text;
  std::string color;
};
std::string BarChart(std::span<const Bar> bars, std::string_view aria_label);
// Horizontal stacked bars, each row's parts scaled to the row's total, with a legend.
struct StackedRow {
  std::string label;
  std::vector<Part> parts;
};
std::string StackedChart(std::span<const StackedRow> rows, std::string_view aria_label);

// "12.3%", "45 us", "1.2 ms": short numbers for labels.
std::string Percent(double ratio);
std::string Duration(double seconds);

std::string HtmlReport(const Advice& advice, const Figures& figures);

}  // namespace tunescope::advisor::html
