#include "advisor/html_report.h"

#include <cmath>

#include "advisor/report.h"

namespace tunescope::advisor::html {
namespace {

std::string NumberText(const Number& n) {
  if (n.unit == "s") return Duration(n.value);
  if (n.unit == "ratio") return Printf("%.3f", n.value);
  if (std::fabs(n.value - std::round(n.value)) < 1e-9) return Printf("%.0f", n.value);
  return Printf("%.3g", n.value);
}

std::string Definition(std::string_view term, const std::string& html_value) {
  return "<dt>" + Escape(term) + "</dt><dd>" + html_value + "</dd>";
}

std::string TuningEntry(const Prediction& p, std::optional<int> netns_pid) {
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
      const std::string cells[] = {"<code>" + Escape(n.name) + "</code>", Escape(NumberText(n))};
      numbers += TableRow(cells);
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
    out += Definition("try", "<code>" + Escape(ExperimentCommand(t, netns_pid)) + "</code>");
  }
  return out + "</dl></article>";
}

}  // namespace

std::string HtmlReport(const Advice& a, const Figures& f) {
  std::string out = PageStart("tunescope advise");
  out += "<h1>tunescope advise</h1><p class=\"meta\">" + Escape(Printf("%.0f", a.window_seconds)) +
         " s window; server CPU = " + Escape(a.server_cpu_basis) + "</p>";
  if (!a.network_namespace.empty()) {
    out += "<p class=\"meta\">server's network namespace: " + Escape(a.network_namespace) + "</p>";
  }
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
                    p.verdict == Verdict::kMeasured ? palette::kGreen : palette::kOrange});
  }
  out += "<section id=\"payoffs\"><h2>Predicted payoffs</h2>";
  if (bars.empty()) {
    out += "<p class=\"note\">No tuning has a payoff here: see the list below for why.</p>";
  } else {
    const LegendEntry legend[] = {
        {"measured on this host", palette::kGreen},
        {"documented (the source's figure, not measured here)", palette::kOrange}};
    out += Legend(legend);
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
    out += TuningEntry(p, a.netns_pid);
  }
  out += "</section>";
  return out + PageEnd();
}

}  // namespace tunescope::advisor::html
