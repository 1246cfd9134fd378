#include "experiment_report.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "advisor/report.h"

namespace tunescope::experiment {
namespace {

std::string Format(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Percent(std::optional<double> r) {
  return r ? Format("%+.1f%%", *r * 100) : "-";
}

std::string SpreadText(const std::optional<Spread>& s) {
  return s ? Percent(s->min) + " .. " + Percent(s->max) : "-";
}

std::string Order(const std::vector<RoundMeasure>& rounds) {
  std::string out;
  for (const RoundMeasure& r : rounds) out.append(out.empty() ? "" : " ").append(Letter(r.variant));
  return out;
}

std::string CpuList(const std::vector<int>& cpus) {
  std::string out;
  for (int c : cpus) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out;
}

std::string MeasureText(const Realized& z, const std::string& unit) {
  if (!z.busy_a) return "server CPU busy time unknown: compare both measures";
  std::string busy = Format("%.0f%%", *z.busy_a * 100);
  if (z.saturated) {
    return "server CPUs busy " + busy + " in the A rounds (median): saturated, so " + unit +
           " is the measure";
  }
  return "server CPUs busy " + busy +
         " in the A rounds (median): not saturated, so the CPU per request is the measure (" +
         unit + " follows the load generator)";
}

}  // namespace

std::optional<double> PredictedShare(const advisor::Prediction& p) {
  if (!p.payoff_ratio || *p.payoff_ratio <= -1) return std::nullopt;
  return ShareFromPayoff(*p.payoff_ratio);
}

std::string TextReport(const Report& r) {
  std::string out = "experiment " + std::string(r.tuning->id) + ": " +
                    std::string(r.tuning->title) + "\n  source: " + r.tuning->source.Cite() + "\n";
  for (const Setting& s : r.settings) {
    out += "  setting " + s.what + ": " + s.original + " -> " + s.target + "\n";
  }
  out += "prediction (" + Format("%.0f", r.prediction_seconds) +
         " s under the load, original settings, probes attached): ";
  if (r.prediction && advisor::PayoffText(*r.prediction) != "-") {
    out += advisor::PayoffText(*r.prediction) + " - " + r.prediction->reason + "\n";
  } else if (r.prediction) {
    out += "no payoff predicted: " + r.prediction->reason + "\n";
  } else {
    out += "none\n";
  }
  size_t pairs = r.rounds.size() / 2;
  // Per request, or per run of the load when its run time is the measure.
  std::string per = r.rate_unit == "runs/s" ? "run" : "req";
  out += "rounds: " + std::to_string(pairs) + (pairs == 1 ? " pair of " : " pairs of ") +
         Format("%.0f", r.round_seconds) + " s in the order " + Order(r.rounds) +
         " (A original, B tuned), probes detached\n";
  out += "server CPUs: " + CpuList(r.server_cpus) + " (" + r.server_cpus_basis + ")\n\n";

  char line[200];
  std::snprintf(line, sizeof(line), "%5s  %-10s %12s %11s %14s %12s %7s\n", "round", "variant",
                r.rate_unit.c_str(), ("CPU us/" + per).c_str(), ("target us/" + per).c_str(),
                "server busy", "others");
  out += line;
  auto us = [](std::optional<double> s) { return s ? Format("%.2f", *s * 1e6) : "-"; };
  auto share = [](std::optional<double> s) { return s ? Format("%.0f%%", *s * 100) : "-"; };
  auto row = [&](const std::string& round, const std::string& variant, const RoundMeasure& m) {
    std::snprintf(line, sizeof(line), "%5s  %-10s %12s %11s %14s %12s %7s\n", round.c_str(),
                  variant.c_str(), m.rate ? Format("%.1f", *m.rate).c_str() : "-",
                  us(m.CpuPerRequest()).c_str(), us(m.TargetCpuPerRequest()).c_str(),
                  share(m.BusyShare()).c_str(), share(m.OthersShare()).c_str());
    out += line;
  };
  // Not a round: the prediction's load with the probes attached, beside the A rounds what
  // the probes cost.
  row("-", "A probes", r.while_predicting);
  for (const RoundMeasure& m : r.rounds) {
    row(std::to_string(m.round),
        std::string(Letter(m.variant)) + " " + std::string(Name(m.variant)), m);
  }
  out += "\n";
  const Realized& z = r.realized;
  std::optional<double> predicted_payoff, predicted_share;
  std::string documented;
  if (r.prediction && r.prediction->payoff_ratio) {
    predicted_payoff = r.prediction->payoff_ratio;
    predicted_share = PredictedShare(*r.prediction);
    if (r.prediction->verdict == advisor::Verdict::kDocumented) documented = " (doc.)";
  }
  std::snprintf(line, sizeof(line), "%-24s %18s %18s  %s\n", "", "predicted", "realized (median)",
                "spread over pairs");
  out += line;
  std::snprintf(line, sizeof(line), "%-24s %18s %18s  %s\n",
                ("payoff (" + r.rate_unit + ")").c_str(),
                (Percent(predicted_payoff) + documented).c_str(), Percent(z.payoff).c_str(),
                SpreadText(z.payoff_spread).c_str());
  out += line;
  std::snprintf(line, sizeof(line), "%-24s %18s %18s  %s\n",
                ("removed CPU per " + std::string(per == "run" ? "run" : "request")).c_str(),
                (Percent(predicted_share) + documented).c_str(), Percent(z.removed_share).c_str(),
                SpreadText(z.removed_share_spread).c_str());
  out += line;
  if (!z.payoff && !z.removed_share) {
    out +=
        "realized: not measurable: the load printed no \"Requests/sec:\" and did not finish "
        "within a round\n";
  }
  out += MeasureText(z, r.rate_unit) + "\n";
  if (!z.noisy_rounds.empty()) {
    std::string list;
    for (int n : z.noisy_rounds) list += (list.empty() ? "" : ", ") + std::to_string(n);
    out += "noisy: other tasks used over " + Format("%.0f", kNoisyOthers * 100) +
           "% of the server's CPUs in round(s) " + list +
           ", so those rounds measure them too; rerun on a quieter host or keep the load "
           "generator off the server's CPUs\n";
  }
  return out;
}

std::string JsonReport(const Report& r) {
  using advisor::NumberOrNull;
  using Json = nlohmann::ordered_json;
  auto spread = [](const std::optional<Spread>& s) {
    return s ? Json::array({s->min, s->max}) : Json(nullptr);
  };
  Json settings = Json::array();
  for (const Setting& s : r.settings) {
    settings.push_back(
        {{"what", s.what}, {"path", s.path}, {"original", s.original}, {"target", s.target}});
  }
  Json prediction = nullptr;
  if (r.prediction) {
    const advisor::Prediction& p = *r.prediction;
    Json numbers = Json::object();
    for (const advisor::Number& n : p.numbers) numbers[n.name] = n.value;
    prediction = {{"window_seconds", r.prediction_seconds},
                  {"verdict", to_string(p.verdict)},
                  {"payoff", advisor::PayoffText(p)},
                  {"payoff_ratio", NumberOrNull(p.payoff_ratio)},
                  {"removed_share", NumberOrNull(PredictedShare(p))},
                  {"latency_removed_seconds", NumberOrNull(p.latency_removed_seconds)},
                  {"confidence", p.confidence},
                  {"reason", p.reason},
                  {"numbers", std::move(numbers)}};
  }
  auto measure = [](const RoundMeasure& m) {
    return Json{{"seconds", m.seconds},
                {"rate", NumberOrNull(m.rate)},
                {"cpu_per_request_seconds", NumberOrNull(m.CpuPerRequest())},
                {"target_cpu_per_request_seconds", NumberOrNull(m.TargetCpuPerRequest())},
                {"server_busy_seconds", m.server_busy_seconds},
                {"server_busy_share", NumberOrNull(m.BusyShare())},
                {"others_share", NumberOrNull(m.OthersShare())}};
  };
  Json rounds = Json::array();
  for (const RoundMeasure& m : r.rounds) {
    Json round = {{"round", m.round}, {"variant", Letter(m.variant)}, {"setting", Name(m.variant)}};
    round.update(measure(m));  // ordered_json appends the new keys after these three
    rounds.push_back(std::move(round));
  }
  const Realized& z = r.realized;
  return advisor::JsonText(
      {{"tuning", r.tuning->id},
       {"title", r.tuning->title},
       {"source", r.tuning->source.Cite()},
       {"source_url", advisor::SourceUrl(*r.tuning)},
       {"settings", std::move(settings)},
       {"prediction", std::move(prediction)},
       {"probes_up", r.probes_up},
       {"probes_down", r.probes_down},
       {"probes_during_rounds", "detached"},
       {"round_seconds", r.round_seconds},
       {"order", Order(r.rounds)},
       {"server_cpus", r.server_cpus},
       {"server_cpus_basis", r.server_cpus_basis},
       {"rate_unit", r.rate_unit},
       {"while_predicting", measure(r.while_predicting)},
       {"rounds", std::move(rounds)},
       {"realized",
        {{"payoff", NumberOrNull(z.payoff)},
         {"payoff_spread", spread(z.payoff_spread)},
         {"removed_share", NumberOrNull(z.removed_share)},
         {"removed_share_spread", spread(z.removed_share_spread)},
         {"median_rate_a", NumberOrNull(z.rate_a)},
         {"median_rate_b", NumberOrNull(z.rate_b)},
         {"median_cpu_per_request_a_seconds", NumberOrNull(z.cpu_per_request_a)},
         {"median_cpu_per_request_b_seconds", NumberOrNull(z.cpu_per_request_b)},
         {"median_busy_share_a", NumberOrNull(z.busy_a)},
         {"saturated", z.saturated},
         {"noisy_rounds", z.noisy_rounds},
         {"measure", z.saturated ? "rate" : "cpu_per_request"}}},
       {"outcome", r.outcome}});
}

}  // namespace tunescope::experiment
