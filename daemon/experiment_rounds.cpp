#include "experiment_rounds.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tunescope::experiment {

std::string_view Letter(Variant v) {
  return v == Variant::kOriginal ? "A" : "B";
}
std::string_view Name(Variant v) {
  return v == Variant::kOriginal ? "original" : "tuned";
}

std::vector<Variant> RoundOrder(int pairs) {
  std::vector<Variant> order;
  for (int p = 0; p < pairs; ++p) {
    bool a_first = p % 2 == 0;
    order.push_back(a_first ? Variant::kOriginal : Variant::kTuned);
    order.push_back(a_first ? Variant::kTuned : Variant::kOriginal);
  }
  return order;
}

std::optional<double> RoundMeasure::Requests() const {
  if (!rate || *rate <= 0 || seconds <= 0) return std::nullopt;
  return *rate * seconds;
}

std::optional<double> RoundMeasure::CpuPerRequest() const {
  auto n = Requests();
  if (!n || server_cpus <= 0) return std::nullopt;
  return server_busy_seconds / *n;
}

std::optional<double> RoundMeasure::TargetCpuPerRequest() const {
  auto n = Requests();
  if (!n || !target_cpu_seconds) return std::nullopt;
  return *target_cpu_seconds / *n;
}

std::optional<double> RoundMeasure::BusyShare() const {
  if (server_cpus <= 0 || seconds <= 0) return std::nullopt;
  return std::clamp(server_busy_seconds / (seconds * server_cpus), 0.0, 1.0);
}

std::optional<double> RoundMeasure::OthersShare() const {
  if (!others_seconds || server_cpus <= 0 || seconds <= 0) return std::nullopt;
  return std::clamp(*others_seconds / (seconds * server_cpus), 0.0, 1.0);
}

double Median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

namespace {

// Median of `get` over the rounds of variant `v` that have a value.
template <typename Get>
std::optional<double> MedianOf(std::span<const RoundMeasure> rounds, Variant v, Get get) {
  std::vector<double> values;
  for (const RoundMeasure& r : rounds) {
    if (r.variant != v) continue;
    if (std::optional<double> x = get(r)) values.push_back(*x);
  }
  if (values.empty()) return std::nullopt;
  return Median(std::move(values));
}

// min..max over the pairs of compare(value of A, value of B), where both have a value.
template <typename Get, typename Compare>
std::optional<Spread> PairSpread(std::span<const RoundMeasure> rounds, Get get, Compare compare) {
  std::optional<Spread> out;
  for (size_t i = 0; i + 1 < rounds.size(); i += 2) {
    const RoundMeasure& x = rounds[i];
    const RoundMeasure& y = rounds[i + 1];
    if (x.variant == y.variant) continue;
    const RoundMeasure& a = x.variant == Variant::kOriginal ? x : y;
    const RoundMeasure& b = x.variant == Variant::kOriginal ? y : x;
    std::optional<double> va = get(a), vb = get(b);
    if (!va || !vb || *va <= 0) continue;
    double r = compare(*va, *vb);
    if (!out) out = Spread{r, r};
    out->min = std::min(out->min, r);
    out->max = std::max(out->max, r);
  }
  return out;
}

}  // namespace

Realized Summarize(std::span<const RoundMeasure> rounds) {
  Realized out;
  auto rate = [](const RoundMeasure& r) { return r.rate; };
  auto cpu = [](const RoundMeasure& r) { return r.CpuPerRequest(); };
  auto gain = [](double a, double b) { return b / a - 1; };
  auto removed = [](double a, double b) { return 1 - b / a; };
  out.rate_a = MedianOf(rounds, Variant::kOriginal, rate);
  out.rate_b = MedianOf(rounds, Variant::kTuned, rate);
  if (out.rate_a && out.rate_b && *out.rate_a > 0) {
    out.payoff = gain(*out.rate_a, *out.rate_b);
    out.payoff_spread = PairSpread(rounds, rate, gain);
  }
  out.cpu_per_request_a = MedianOf(rounds, Variant::kOriginal, cpu);
  out.cpu_per_request_b = MedianOf(rounds, Variant::kTuned, cpu);
  if (out.cpu_per_request_a && out.cpu_per_request_b && *out.cpu_per_request_a > 0) {
    out.removed_share = removed(*out.cpu_per_request_a, *out.cpu_per_request_b);
    out.removed_share_spread = PairSpread(rounds, cpu, removed);
  }
  out.busy_a =
      MedianOf(rounds, Variant::kOriginal, [](const RoundMeasure& r) { return r.BusyShare(); });
  out.saturated = out.busy_a && *out.busy_a > kSaturatedBusy;
  for (const RoundMeasure& r : rounds) {
    std::optional<double> others = r.OthersShare();
    if (others && *others > kNoisyOthers) out.noisy_rounds.push_back(r.round);
  }
  return out;
}

double ShareFromPayoff(double payoff) {
  return payoff / (1 + payoff);
}

}  // namespace tunescope::experiment
