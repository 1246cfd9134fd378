#include "experiment_report.h"

#include <cmath>
#include <cstdio>

#include "advisor/json_writer.h"
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
  for (const RoundMeasure& r : rounds)
    out.append(out.empty() ? "" : " ").append(Letter(r.variant));
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
  advisor::JsonWriter w;
  auto number = [&w](std::optional<double> v) { v ? w.Number(*v) : w.Null(); };
  auto spread = [&w](const std::optional<Spread>& s) {
    if (!s) {
      w.Null();
      return;
    }
    w.BeginArray().Number(s->min).Number(s->max).EndArray();
  };
  w.BeginObject();
  w.Key("tuning").String(r.tuning->id);
  w.Key("title").String(r.tuning->title);
  w.Key("source").String(r.tuning->source.Cite());
  w.Key("source_url");
  r.tuning->source.url.empty() ? w.Null() : w.String(r.tuning->source.url);
  w.Key("settings").BeginArray();
  for (const Setting& s : r.settings) {
    w.BeginObject();
    w.Key("what").String(s.what);
    w.Key("path").String(s.path);
    w.Key("original").String(s.original);
    w.Key("target").String(s.target);
    w.EndObject();
  }
  w.EndArray();
  w.Key("prediction");
  if (r.prediction) {
    const advisor::Prediction& p = *r.prediction;
    w.BeginObject();
    w.Key("window_seconds").Number(r.prediction_seconds);
    w.Key("verdict").String(to_string(p.verdict));
    w.Key("payoff").String(advisor::PayoffText(p));
    w.Key("payoff_ratio");
    number(p.payoff_ratio);
    w.Key("removed_share");
    number(PredictedShare(p));
    w.Key("latency_removed_seconds");
    number(p.latency_removed_seconds);
    w.Key("confidence").String(p.confidence);
    w.Key("reason").String(p.reason);
    w.Key("numbers").BeginObject();
    for (const advisor::Number& n : p.numbers) w.Key(n.name).Number(n.value);
    w.EndObject();
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("probes_up").BeginArray();
  for (const auto& p : r.probes_up) w.String(p);
  w.EndArray();
  w.Key("probes_down").BeginArray();
  for (const auto& p : r.probes_down) w.String(p);
  w.EndArray();
  w.Key("probes_during_rounds").String("detached");
  w.Key("round_seconds").Number(r.round_seconds);
  w.Key("order").String(Order(r.rounds));
  w.Key("server_cpus").BeginArray();
  for (int c : r.server_cpus) w.Int(c);
  w.EndArray();
  w.Key("server_cpus_basis").String(r.server_cpus_basis);
  w.Key("rate_unit").String(r.rate_unit);
  auto measure = [&](const RoundMeasure& m) {
    w.Key("seconds").Number(m.seconds);
    w.Key("rate");
    number(m.rate);
    w.Key("cpu_per_request_seconds");
    number(m.CpuPerRequest());
    w.Key("target_cpu_per_request_seconds");
    number(m.TargetCpuPerRequest());
    w.Key("server_busy_seconds").Number(m.server_busy_seconds);
    w.Key("server_busy_share");
    number(m.BusyShare());
    w.Key("others_share");
    number(m.OthersShare());
  };
  w.Key("while_predicting").BeginObject();
  measure(r.while_predicting);
  w.EndObject();
  w.Key("rounds").BeginArray();
  for (const RoundMeasure& m : r.rounds) {
    w.BeginObject();
    w.Key("round").Int(m.round);
    w.Key("variant").String(Letter(m.variant));
    w.Key("setting").String(Name(m.variant));
    measure(m);
    w.EndObject();
  }
  w.EndArray();
  const Realized& z = r.realized;
  w.Key("realized").BeginObject();
  w.Key("payoff");
  number(z.payoff);
  w.Key("payoff_spread");
  spread(z.payoff_spread);
  w.Key("removed_share");
  number(z.removed_share);
  w.Key("removed_share_spread");
  spread(z.removed_share_spread);
  w.Key("median_rate_a");
  number(z.rate_a);
  w.Key("median_rate_b");
  number(z.rate_b);
  w.Key("median_cpu_per_request_a_seconds");
  number(z.cpu_per_request_a);
  w.Key("median_cpu_per_request_b_seconds");
  number(z.cpu_per_request_b);
  w.Key("median_busy_share_a");
  number(z.busy_a);
  w.Key("saturated").Bool(z.saturated);
  w.Key("noisy_rounds").BeginArray();
  for (int n : z.noisy_rounds) w.Int(n);
  w.EndArray();
  w.Key("measure").String(z.saturated ? "rate" : "cpu_per_request");
  w.EndObject();
  w.Key("outcome").String(r.outcome);
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace tunescope::experiment
