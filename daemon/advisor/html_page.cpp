#include "advisor/html_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tunescope::advisor::html {

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

// A number in SVG coordinates.
std::string Coord(double v) {
  return Printf("%.1f", v);
}

// The width of a text label in the charts' 12 px font, roughly: for the label column.
double LabelWidth(std::span<const std::string> labels) {
  size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  return std::clamp(static_cast<double>(longest) * 7.0 + 12, 60.0, 260.0);
}

std::string SvgOpen(double height, std::string_view aria_label) {
  return "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + Coord(kChartWidth) + " " +
         Coord(height) + "\" width=\"" + Coord(kChartWidth) + "\" height=\"" + Coord(height) +
         "\" aria-label=\"" + Escape(aria_label) + "\">";
}

std::string Legend(std::span<const LegendEntry> entries) {
  std::string out = "<div class=\"legend\">";
  for (const LegendEntry& e : entries) {
    out += "<span><span class=\"swatch\" style=\"background:" + Escape(e.color) + "\"></span>" +
           Escape(e.name) + "</span>";
  }
  return out + "</div>";
}

std::string TableRow(std::span<const std::string> html_cells, bool header) {
  const char* cell = header ? "th" : "td";
  std::string out = "<tr>";
  for (const std::string& c : html_cells)
    out += "<" + std::string(cell) + ">" + c + "</" + cell + ">";
  return out + "</tr>";
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
  // Room for the longest value text, "+100% (documented)", at 12px.
  const double label_w = LabelWidth(labels), text_w = 140, row = 22;
  const double plot_w = kChartWidth - label_w - text_w;
  const double height = row * static_cast<double>(bars.size()) + 8;
  std::string svg = SvgOpen(height, aria_label);
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
  std::string svg = SvgOpen(height, aria_label);
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
      // The share inside its segment when it fits; dark on the light idle segment.
      if (w >= 34) {
        const char* ink = p.color == palette::kIdle ? "#1d2330" : "#fff";
        svg += "<text x=\"" + Coord(x + w / 2) + "\" y=\"" + Coord(y + 19) +
               "\" text-anchor=\"middle\" class=\"small\" style=\"fill:" + ink + "\">" +
               Escape(Percent(share)) + "</text>";
      }
      x += w;
    }
  }
  std::vector<LegendEntry> entries;
  for (const auto& [name, color] : legend) entries.push_back({name, color});
  return svg + "</svg>" + Legend(entries);
}

}  // namespace tunescope::advisor::html
