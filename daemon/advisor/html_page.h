// The building blocks of the HTML reports (advise --html, experiment --html): escaping, short
// number texts, the shared palette, the page frame, legends, table rows and the SVG charts.
// Every text from outside (reasons, commands, device names) goes through Escape.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tunescope::advisor::html {

// Text and attribute values: & < > " ' as entities.
std::string Escape(std::string_view text);
// One number through a printf format (chart coordinates, labels).
std::string Printf(const char* format, double v);

// "12.3%", "45 us", "1.2 ms": short numbers for labels.
std::string Percent(double ratio);
std::string Duration(double seconds);

// The colours of every chart of the HTML reports (advise and experiment): one colour per meaning,
// so that a cost has the same colour on every chart of both pages.
namespace palette {
inline constexpr const char* kBlue = "#3b7dd8";       // the server; original (A)
inline constexpr const char* kOrange = "#e8a23a";     // softirq; tuned (B); documented
inline constexpr const char* kRed = "#d9534f";        // netfilter
inline constexpr const char* kPurple = "#8e5bc4";     // qdisc
inline constexpr const char* kGrey = "#8a8f98";       // other tasks; probes attached
inline constexpr const char* kIdle = "#e6e8eb";       // idle time
inline constexpr const char* kDarkRed = "#c0392b";    // waiting; the p99 bucket
inline constexpr const char* kLightBlue = "#7fa7e0";  // running; a histogram bucket
inline constexpr const char* kGreen = "#2e8b57";      // measured on this host
inline constexpr const char* kTeal = "#5bb5a2";       // kernel and untracked time
}  // namespace palette

// The page frame: a Content-Security-Policy that forbids scripts and fetches, inline CSS.
std::string PageStart(std::string_view title);
std::string PageEnd();

// A legend of coloured swatches, in the order given.
struct LegendEntry {
  std::string name;
  std::string color;  // CSS colour
};
std::string Legend(std::span<const LegendEntry> entries);

// One table row of cells that are already HTML (escape text first); th cells when `header`.
std::string TableRow(std::span<const std::string> html_cells, bool header = false);

// Chart geometry shared by the charts: the width, a number in SVG coordinates, the width of a
// label column for these labels, and the opening <svg> tag of a chart this high.
inline constexpr double kChartWidth = 820;
std::string Coord(double v);
double LabelWidth(std::span<const std::string> labels);
std::string SvgOpen(double height, std::string_view aria_label);

// A horizontal bar chart: one row per bar, a label on the left, the value's text on the right.
struct Bar {
  std::string label;
  double value = 0;
  std::string text;
  std::string color;
};
std::string BarChart(std::span<const Bar> bars, std::string_view aria_label);

// One segment of a stacked bar.
struct Part {
  std::string name;
  double value = 0;
  std::string color;  // CSS colour
};
// Horizontal stacked bars, each row's parts scaled to the row's total, with a legend.
struct StackedRow {
  std::string label;
  std::vector<Part> parts;
};
std::string StackedChart(std::span<const StackedRow> rows, std::string_view aria_label);

}  // namespace tunescope::advisor::html
