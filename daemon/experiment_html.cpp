#include "experiment_html.h"

#include <algorithm>
#include <cstdio>

#include "advisor/report.h"

namespace tunescope::experiment {
namespace {

using advisor::html::Escape;
using advisor::html::Printf;

namespace palette = advisor::html::palette;
constexpr const char* kOriginalColor = palette::kBlue;
constexpr const char* kTunedColor = palette::kOrange;
constexpr const char* kProbesColor = palette::kGrey;

std::string SignedPercent(std::optional<double> r) {
  return r ? Printf("%+.1f%%", *r * 100) : "-";
}

std::string RoundLabel(const RoundMeasure& m) {
  return std::to_string(m.round) + " " + std::string(Letter(m.variant)) + " " +
         std::string(Name(m.variant));
}

const char* ColorOf(Variant v) {
  return v == Variant::kTuned ? kTunedColor : kOriginalColor;
}

}  // namespace

std::string HtmlReport(const Report& r, const advisor::html::Figures& figures) {
  namespace html = advisor::html;
  const advisor::Tuning& t = *r.tuning;
  std::string out = html::PageStart("tunescope experiment " + std::string(t.id));
  out += "<h1>tunescope experiment <code>" + Escape(t.id) + "</code></h1><p class=\"meta\">" +
         Escape(t.title) + "</p><dl>";
  out += "<dt>source</dt><dd>" + Escape(t.source.Cite()) + "</dd>";
  for (const Setting& s : r.settings) {
    out += "<dt>setting</dt><dd><code>" + Escape(s.what) + "</code>: " + Escape(s.original) +
           " &rarr; " + Escape(s.target) + "</dd>";
  }
  out += "<dt>prediction</dt><dd>";
  if (r.prediction) {
    out += "<strong>" + Escape(advisor::PayoffText(*r.prediction)) + "</strong> " +
           Escape(r.prediction->reason);
  } else {
    out += "none";
  }
  out += " <span class=\"meta\">(" + Printf("%.0f", r.prediction_seconds) +
         " s under the load, original settings, probes attached)</span></dd>";
  std::string cpus;
  for (int c : r.server_cpus) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
  out += "<dt>server CPUs</dt><dd>" + Escape(cpus) + " (" + Escape(r.server_cpus_basis) +
         ")</dd><dt>outcome</dt><dd>" + Escape(r.outcome) + "</dd></dl>";

  // The rounds: the prediction's load with the probes attached first, then A and B in order.
  const std::string per = r.rate_unit == "runs/s" ? "run" : "request";
  std::vector<html::Bar> rate_bars;
  std::vector<html::StackedRow> cpu_rows;
  auto add = [&](const std::string& label, const RoundMeasure& m, const char* color) {
    rate_bars.push_back(
        {label, m.rate.value_or(0), m.rate ? Printf("%.1f ", *m.rate) + r.rate_unit : "-", color});
    // The server CPUs' time in the round: the target, other tasks, the rest of the busy time
    // (the kernel's work for the server: softirq, netfilter, ...), idle.
    double capacity = m.seconds * m.server_cpus;
    double busy = std::min(m.server_busy_seconds, capacity);
    double target = std::min(m.target_cpu_seconds.value_or(0), busy);
    double others = std::min(m.others_seconds.value_or(0), busy - target);
    cpu_rows.push_back({label,
                        {{"server (target's threads)", target, kOriginalColor},
                         {"other tasks", others, palette::kGrey},
                         {"kernel and untracked", busy - target - others, palette::kTeal},
                         {"idle", std::max(0.0, capacity - busy), palette::kIdle}}});
  };
  add("- A probes", r.while_predicting, kProbesColor);
  for (const RoundMeasure& m : r.rounds) add(RoundLabel(m), m, ColorOf(m.variant));

  const size_t pairs = r.rounds.size() / 2;
  out += "<section id=\"rounds\"><h2>Rounds</h2><p class=\"meta\">" + std::to_string(pairs) +
         (pairs == 1 ? " pair of " : " pairs of ") + Printf("%.0f", r.round_seconds) +
         " s, A original and B tuned, probes detached; \"- A probes\" is the prediction's "
         "load with the probes attached.</p>";
  out += "<h3>" + Escape(r.rate_unit) + " per round</h3>";
  const html::LegendEntry legend[] = {
      {"A original", kOriginalColor}, {"B tuned", kTunedColor}, {"probes attached", kProbesColor}};
  out += html::Legend(legend);
  out += html::BarChart(rate_bars, r.rate_unit + " per round");
  out += "<h3>Server CPUs' time per round</h3>";
  out += html::StackedChart(cpu_rows, "server CPU time per round");

  const std::string head[] = {"round",
                              Escape(r.rate_unit),
                              "CPU us/" + Escape(per),
                              "target us/" + Escape(per),
                              "server busy",
                              "others"};
  out += "<table class=\"rounds\">" + html::TableRow(head, true);
  auto us = [](std::optional<double> s) { return s ? Printf("%.2f", *s * 1e6) : "-"; };
  auto share = [](std::optional<double> s) { return s ? html::Percent(*s) : "-"; };
  auto row = [&](const std::string& label, const RoundMeasure& m) {
    const std::string cells[] = {Escape(label),         m.rate ? Printf("%.1f", *m.rate) : "-",
                                 us(m.CpuPerRequest()), us(m.TargetCpuPerRequest()),
                                 share(m.BusyShare()),  share(m.OthersShare())};
    out += html::TableRow(cells);
  };
  row("- A probes", r.while_predicting);
  for (const RoundMeasure& m : r.rounds) row(RoundLabel(m), m);
  out += "</table></section>";

  const Realized& z = r.realized;
  std::optional<double> predicted_payoff, predicted_share;
  std::string documented;  // the source's figure rather than a measured prediction
  if (r.prediction && r.prediction->payoff_ratio) {
    predicted_payoff = r.prediction->payoff_ratio;
    predicted_share = PredictedShare(*r.prediction);
    if (r.prediction->verdict == advisor::Verdict::kDocumented) documented = " (documented)";
  }
  auto spread = [](const std::optional<Spread>& s) {
    return s ? SignedPercent(s->min) + " .. " + SignedPercent(s->max) : std::string("-");
  };
  const std::string realized_head[] = {"", "predicted", "realized (median)", "spread over pairs"};
  const std::string payoff_row[] = {"payoff (" + Escape(r.rate_unit) + ")",
                                    SignedPercent(predicted_payoff) + documented,
                                    SignedPercent(z.payoff), spread(z.payoff_spread)};
  const std::string removed_row[] = {
      "removed CPU per " + Escape(per), SignedPercent(predicted_share) + documented,
      SignedPercent(z.removed_share), spread(z.removed_share_spread)};
  out += "<section id=\"realized\"><h2>Predicted and realized</h2><table class=\"rounds\">" +
         html::TableRow(realized_head, true) + html::TableRow(payoff_row) +
         html::TableRow(removed_row) + "</table>";
  if (z.busy_a) {
    out += "<p class=\"note\">server CPUs busy " + html::Percent(*z.busy_a) +
           " in the A rounds (median): " +
           (z.saturated ? "saturated, so " + Escape(r.rate_unit) + " is the measure"
                        : std::string("not saturated, so the CPU per request is the measure")) +
           "</p>";
  }
  if (!z.noisy_rounds.empty()) {
    std::string list;
    for (int n : z.noisy_rounds) list += (list.empty() ? "" : ", ") + std::to_string(n);
    out += "<p class=\"note\">noisy: other tasks used over " + html::Percent(kNoisyOthers) +
           " of the server's CPUs in round(s) " + list + "</p>";
  }
  out += "</section>";
  out += html::CpuSection(figures, "While predicting: where the server's CPU time went");
  out += html::DistributionSection(figures, "While predicting: run-queue and request latency");
  return out + html::PageEnd();
}

}  // namespace tunescope::experiment
