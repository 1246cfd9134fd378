#include "advisor/report.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "metrics/family.h"

namespace tunescope::advisor {
namespace {

std::string Percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), std::fabs(ratio) >= 0.1 ? "%+.0f%%" : "%+.1f%%", ratio * 100);
  return buf;
}

std::string Value(const Number& n) {
  char buf[64];
  if (n.unit == "s") {
    // Per-packet times run to nanoseconds: "0.0 us" would hide them.
    if (n.value != 0 && std::fabs(n.value) < 1e-6) {
      std::snprintf(buf, sizeof(buf), "%.0f ns", n.value * 1e9);
    } else if (n.value != 0 && std::fabs(n.value) < 1e-3) {
      std::snprintf(buf, sizeof(buf), "%.1f us", n.value * 1e6);
    } else if (n.value != 0 && std::fabs(n.value) < 1) {
      std::snprintf(buf, sizeof(buf), "%.2f ms", n.value * 1e3);
    } else {
      std::snprintf(buf, sizeof(buf), "%.3f s", n.value);
    }
  } else if (n.unit == "ratio") {
    std::snprintf(buf, sizeof(buf), "%.3f", n.value);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", n.value);
  }
  return buf;
}

void Line(std::string& out, std::string_view label, std::string_view text) {
  out += "     ";
  out += label;
  out.append(label.size() < 9 ? 9 - label.size() : 1, ' ');
  out += text;
  out += '\n';
}

// `s` padded with spaces to `width` columns (as printf's %-Ns): ids and payoffs line up.
std::string PadRight(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

// RFC 3339 in UTC, whole seconds: "2026-12-03T16:40:00Z".
std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  char buf[32];
  if (gmtime_r(&secs, &utc) == nullptr || std::strftime(buf, sizeof(buf), "%FT%TZ", &utc) == 0) {
    return "";
  }
  return buf;
}

std::string_view Basis(const Prediction& p) {
  switch (p.verdict) {
    case Verdict::kMeasured:
      return "measured";
    case Verdict::kDocumented:
      return "documented";
    default:
      return "none";
  }
}

std::string PayoffText(const Prediction& p) {
  if (p.verdict == Verdict::kMeasured) {
    if (p.payoff_ratio && p.headroom) return Percent(-*p.removed_share) + " CPU/request";
    if (p.payoff_ratio) return Percent(*p.payoff_ratio) + " req/s";
    if (p.latency_removed_seconds) {
      // A listen queue's drops cost a second's retransmit, a run-queue wait microseconds.
      const double ms = *p.latency_removed_seconds * 1e3;
      char buf[48];
      if (ms >= 9.95) {
        std::snprintf(buf, sizeof(buf), "-%.0f ms", ms);
      } else if (ms >= 0.9995) {
        std::snprintf(buf, sizeof(buf), "-%.1f ms", ms);
      } else {
        std::snprintf(buf, sizeof(buf), "-%.0f us", ms * 1e3);
      }
      return buf + (p.latency_per.empty() ? "" : "/" + std::string(p.latency_per));
    }
  }
  if (p.verdict == Verdict::kDocumented) {
    if (p.payoff_ratio) return Percent(*p.payoff_ratio) + " (documented)";
    return p.cause_found ? "cause found" : "? (documented)";
  }
  return "-";
}

std::string TextReport(const Advice& a) {
  std::string out;
  char window[32];
  std::snprintf(window, sizeof(window), "%.0f s window", a.window_seconds);
  // The basis names every part taken out of it: no fixed-size buffer may cut it.
  out += "tunescope advise: " + std::string(window) + "; server CPU = " + a.server_cpu_basis + "\n";
  if (!a.network_namespace.empty()) {
    out += "server's network namespace: " + a.network_namespace + "\n";
  }
  std::string up;
  for (const auto& p : a.probes_up) up += (up.empty() ? "" : ", ") + p;
  out += "probes up: " + (up.empty() ? std::string("none") : up) + "\n";
  for (const auto& p : a.probes_down) out += "probe down: " + p + "\n";
  out += "\n";
  bool in_tail = false;
  for (const Prediction& p : a.ranked) {
    const Tuning& t = *p.tuning;
    bool tail = p.verdict != Verdict::kMeasured && p.verdict != Verdict::kDocumented;
    if (tail && !in_tail) {
      out += "---- not measurable here, nothing to gain, or already applied ----\n";
      in_tail = true;
    }
    char rank[16];
    std::snprintf(rank, sizeof(rank), "%2d. ", p.rank);
    out += rank + PadRight(std::string(t.id), 22) + " " + PadRight(PayoffText(p), 20) + " " +
           std::string(t.title) + " [" + std::string(to_string(p.verdict)) +
           (p.confidence == "none" ? "" : ", confidence " + p.confidence) + "]\n";
    Line(out, "why:", p.reason);
    if (!tail) {
      if (!p.numbers.empty()) {
        std::string nums;
        for (const Number& n : p.numbers) {
          nums += (nums.empty() ? "" : ", ") + n.name + "=" + Value(n);
        }
        Line(out, "numbers:", nums);
      }
      Line(out, "apply:", t.apply);
      Line(out, "revert:", t.revert);
      Line(out, "risk:", t.risk);
      Line(out, "source:", t.source.Cite());
      Line(out, "claims:", t.documented_gain);
      if (Experimentable(t)) Line(out, "try:", ExperimentCommand(t, a.netns_pid));
    } else {
      Line(out, "source:", t.source.Cite());
      Line(out, "claims:", t.documented_gain);
    }
  }
  return out;
}

std::string JsonText(const nlohmann::ordered_json& doc) {
  return doc.dump(-1, ' ', /*ensure_ascii=*/false,
                  nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

nlohmann::ordered_json NumberOrNull(std::optional<double> v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json SourceUrl(const Tuning& t) {
  return t.source.url.empty() ? nlohmann::ordered_json(nullptr)
                              : nlohmann::ordered_json(t.source.url);
}

std::string JsonReport(const Advice& a) {
  nlohmann::ordered_json tunings = nlohmann::ordered_json::array();
  for (const Prediction& p : a.ranked) {
    const Tuning& t = *p.tuning;
    nlohmann::ordered_json numbers = nlohmann::ordered_json::object();
    nlohmann::ordered_json units = nlohmann::ordered_json::object();
    for (const Number& n : p.numbers) {
      numbers[n.name] = n.value;
      units[n.name] = n.unit;
    }
    tunings.push_back({{"rank", p.rank},
                       {"id", t.id},
                       {"title", t.title},
                       {"verdict", to_string(p.verdict)},
                       {"applied", p.applied()},
                       {"payoff_ratio", NumberOrNull(p.payoff_ratio)},
                       {"latency_removed_seconds", NumberOrNull(p.latency_removed_seconds)},
                       {"latency_per", p.latency_removed_seconds && !p.latency_per.empty()
                                           ? nlohmann::ordered_json(p.latency_per)
                                           : nlohmann::ordered_json(nullptr)},
                       {"removed_cpu_share", NumberOrNull(p.removed_share)},
                       {"headroom", p.headroom},
                       {"cause_found", p.cause_found},
                       {"basis", Basis(p)},
                       {"payoff", PayoffText(p)},
                       {"confidence", p.confidence},
                       {"reason", p.reason},
                       {"numbers", std::move(numbers)},
                       {"units", std::move(units)},
                       {"evidence_needed", t.evidence},
                       {"applied_when", t.applied_when},
                       {"apply", t.apply},
                       {"revert", t.revert},
                       {"risk", t.risk},
                       {"weakens_security", t.weakens_security},
                       {"experiment", Experimentable(t)},
                       {"source", t.source.Cite()},
                       {"source_url", SourceUrl(t)},
                       {"documented_gain", t.documented_gain}});
  }
  return JsonText({{"finished_at", Rfc3339(a.finished)},
                   {"window_seconds", a.window_seconds},
                   {"server_cpu_basis", a.server_cpu_basis},
                   {"network_namespace", a.network_namespace.empty()
                                             ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(a.network_namespace)},
                   {"probes_up", a.probes_up},
                   {"probes_down", a.probes_down},
                   {"tunings", std::move(tunings)}});
}

std::vector<prometheus::MetricFamily> AdviceMetrics(const Advice& a) {
  auto ratio = metrics::GaugeFamily(
      "tunescope_tuning_payoff_ratio",
      "Throughput gain of a tuning predicted from this host's measurements (0.22 = +22% req/s, "
      "or CPU headroom when the server's CPUs were not saturated).");
  auto documented = metrics::GaugeFamily(
      "tunescope_tuning_documented_payoff_ratio",
      "The source's documented throughput gain of a tuning that applies here but whose payoff "
      "is not measurable here (not a prediction for this host).");
  auto weakens =
      metrics::GaugeFamily("tunescope_tuning_weakens_security",
                           "1 if the tuning weakens security (never recommended by the alerts).");
  auto latency = metrics::GaugeFamily(
      "tunescope_tuning_latency_removed_seconds",
      "Predicted latency removed by a tuning, per connection attempt or timeslice (label per).");
  auto applied =
      metrics::GaugeFamily("tunescope_tuning_applied", "1 if the tuning is already applied.");
  auto rank = metrics::GaugeFamily("tunescope_tuning_rank",
                                   "Rank of the tuning by predicted payoff (1 = first).");
  for (const Prediction& p : a.ranked) {
    metrics::Labels labels{{"tuning", std::string(p.tuning->id)}};
    if (p.payoff_ratio && p.verdict == Verdict::kMeasured) ratio.Gauge(labels, *p.payoff_ratio);
    if (p.payoff_ratio && p.verdict == Verdict::kDocumented) {
      documented.Gauge(labels, *p.payoff_ratio);
    }
    weakens.Gauge(labels, p.tuning->weakens_security ? 1 : 0);
    if (p.latency_removed_seconds) {
      // Seconds per connection and per timeslice do not add up: the unit goes in the series.
      metrics::Labels per = labels;
      per.push_back({"per", std::string(p.latency_per)});
      latency.Gauge(per, *p.latency_removed_seconds);
    }
    applied.Gauge(labels, p.applied() ? 1 : 0);
    rank.Gauge(labels, p.rank);
  }
  std::vector<prometheus::MetricFamily> out;
  metrics::Append(out, std::move(ratio));
  metrics::Append(out, std::move(documented));
  metrics::Append(out, std::move(weakens));
  metrics::Append(out, std::move(latency));
  metrics::Append(out, std::move(applied));
  metrics::Append(out, std::move(rank));
  return out;
}

void AdviceBoard::Publish(Advice advice) {
  auto next = std::make_shared<const Advice>(std::move(advice));
  std::lock_guard lock(mutex_);
  latest_ = std::move(next);
}

std::shared_ptr<const Advice> AdviceBoard::Latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

void AdviceBoard::SetInterval(double seconds) {
  std::lock_guard lock(mutex_);
  interval_s_ = seconds;
}

std::vector<prometheus::MetricFamily> AdviceBoard::Collect() const {
  auto latest = Latest();
  std::vector<prometheus::MetricFamily> out;
  if (latest) out = AdviceMetrics(*latest);
  const auto finished = latest ? latest->finished : created_;
  metrics::Append(
      out,
      std::move(
          metrics::GaugeFamily("tunescope_advice_window_end_timestamp_seconds",
                               "Unix time at which the window behind the tunescope_tuning_* series "
                               "ended (the daemon's start until the first one ends); the advice is "
                               "stale when this falls behind by more than a few intervals.")
              .Gauge({}, std::chrono::duration<double>(finished.time_since_epoch()).count())));
  std::optional<double> interval;
  {
    std::lock_guard lock(mutex_);
    interval = interval_s_;
  }
  if (interval) {
    metrics::Append(
        out, std::move(metrics::GaugeFamily("tunescope_advice_interval_seconds",
                                            "Seconds between the daemon's rankings: its attach "
                                            "windows' period, or 30 s when nothing is windowed.")
                           .Gauge({}, *interval)));
  }
  return out;
}

}  // namespace tunescope::advisor
