#include "advisor/rule_support.h"

#include <algorithm>
#include <cstdio>

#include "host/cpu_accounting.h"

namespace tunescope::advisor {

double ThroughputPayoff(double removed_share) {
  double s = std::clamp(removed_share, 0.0, 0.95);
  return s / (1 - s);
}

namespace rule_support {
namespace {

// Numbers every share-based prediction shows: what the share was taken of.
void AddBasis(std::vector<Number>& numbers, const Evidence::ServerCpu& server) {
  numbers.push_back({"server_cpu_seconds", server.seconds, "s"});
  numbers.push_back({"server_cpu_busy_share", server.busy_share(), "ratio"});
  if (server.probe_seconds > 0) {
    numbers.push_back({"tunescope_programs_seconds", server.probe_seconds, "s"});
  }
  if (server.others_seconds > 0) {
    numbers.push_back({"other_processes_seconds", server.others_seconds, "s"});
  }
}

}  // namespace

std::string Pct(double ratio) {
  char buf[32];
  double p = ratio * 100;
  std::snprintf(buf, sizeof(buf), p >= 10 || p == 0 ? "%.0f%%" : "%.1f%%", p);
  return buf;
}

std::string Seconds(double s) {
  char buf[32];
  if (s >= 1) {
    std::snprintf(buf, sizeof(buf), "%.2f s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buf, sizeof(buf), "%.1f ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f us", s * 1e6);
  }
  return buf;
}

std::string Count(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

Prediction Make(const Tuning& t, Verdict v, std::string reason) {
  Prediction p;
  p.tuning = &t;
  p.verdict = v;
  p.reason = std::move(reason);
  return p;
}

Prediction Applied(const Tuning& t, std::string reason) {
  return Make(t, Verdict::kApplied, "already applied: " + reason);
}
Prediction NotApplicable(const Tuning& t, std::string reason) {
  return Make(t, Verdict::kNotApplicable, "nothing to gain here: " + reason);
}
Prediction NotMeasured(const Tuning& t, std::string reason) {
  return Make(t, Verdict::kNotMeasured, "not measured here: " + reason);
}
Prediction NeedsProbe(const Tuning& t, std::string_view probe, std::string_view metric) {
  return NotMeasured(t, "needs probe " + std::string(probe) + " (" + std::string(metric) + ")");
}
// Applicable, but only the source's number is known.
Prediction Documented(const Tuning& t, std::string evidence) {
  Prediction p = Make(t, Verdict::kDocumented, std::move(evidence));
  p.payoff_ratio = t.documented_ratio;
  p.confidence = "low";
  p.reason += "; documented " + std::string(t.documented_gain) + " (" + std::string(t.source) +
              "), not measured here";
  return p;
}

Prediction FromShare(const Tuning& t, double share, const std::string& what,
                     const Evidence::ServerCpu& server, std::vector<Number> numbers) {
  AddBasis(numbers, server);
  if (const double min_basis = kMinBasisTicks / static_cast<double>(host::ClockTicksPerSecond());
      server.seconds < min_basis) {
    Prediction p = NotMeasured(t, "the server's CPUs were busy for " + Seconds(server.seconds) +
                                      " of its own work in the window, under the " +
                                      Seconds(min_basis) + " a share of it needs");
    p.numbers = std::move(numbers);
    return p;
  }
  numbers.push_back({"removed_cpu_share", share, "ratio"});
  if (share < kMinShare) {
    Prediction p = NotApplicable(t, what + " take " + Pct(share) + " of the server's CPU time");
    p.numbers = std::move(numbers);
    return p;
  }
  Prediction p = Make(t, Verdict::kMeasured, "");
  p.payoff_ratio = ThroughputPayoff(share);
  p.removed_share = share;
  p.confidence = "high";
  p.reason = what + " take " + Pct(share) + " of the server's CPU time (" + server.basis;
  if (server.saturated()) {
    p.reason += "), predicted +" + Pct(*p.payoff_ratio) + " req/s";
  } else {
    p.headroom = true;
    p.reason += "); those CPUs were " + Pct(server.busy_share()) +
                " busy, not saturated: removing it frees " + Pct(share) +
                " of their CPU per request (headroom), up to +" + Pct(*p.payoff_ratio) +
                " req/s once the server is CPU-bound";
  }
  p.numbers = std::move(numbers);
  return p;
}

bool RanInMode(const Evidence& e, std::string_view probe, std::string_view mode) {
  for (const LabelSet& info : e.Series(kProbeInfo)) {
    auto p = info.find("probe");
    auto m = info.find("mode");
    if (p != info.end() && m != info.end() && p->second == probe && m->second == mode) {
      return true;
    }
  }
  return false;
}

std::optional<long long> SysctlInt(const Evidence& e, std::string_view name) {
  return e.host().sysctls.get_int(name);
}
std::optional<std::string> SysctlText(const Evidence& e, std::string_view name) {
  const host::SysctlValue* v = e.host().sysctls.find(name);
  if (v == nullptr || !v->value.ok()) return std::nullopt;
  return *v->value;
}

std::vector<const host::DeviceFacts*> TrafficDevices(const Evidence& e, bool physical_only) {
  std::vector<const host::DeviceFacts*> out;
  if (!e.host().devices.ok()) return out;
  for (const host::DeviceFacts& d : *e.host().devices) {
    if (d.device.name == "lo") continue;
    if (physical_only && !d.device.has_device) continue;
    if (d.device.operstate && *d.device.operstate != "up" && *d.device.operstate != "unknown") {
      continue;
    }
    out.push_back(&d);
  }
  return out;
}

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace rule_support
}  // namespace tunescope::advisor
