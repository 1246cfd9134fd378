#include "experiment_rounds.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/median.h"

namespace tunescope::experiment {

using host::Median;

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

// Per pair (two neighbouring rounds of different variants), in order, B's value over A's;
// nullopt where either has no value, so that pairs keep their places.
template <typename Get>
std::vector<std::optional<double>> PairRatios(std::span<const RoundMeasure> rounds, Get get) {
  std::vector<std::optional<double>> out;
  for (size_t i = 0; i + 1 < rounds.size(); i += 2) {
    const RoundMeasure& x = rounds[i];
    const RoundMeasure& y = rounds[i + 1];
    if (x.variant == y.variant) continue;
    const RoundMeasure& a = x.variant == Variant::kOriginal ? x : y;
    const RoundMeasure& b = x.variant == Variant::kOriginal ? y : x;
    std::optional<double> va = get(a), vb = get(b);
    out.push_back(va && vb && *va > 0 ? std::optional<double>(*vb / *va) : std::nullopt);
  }
  return out;
}

std::vector<double> Present(const std::vector<std::optional<double>>& ratios) {
  std::vector<double> out;
  for (const auto& r : ratios)
    if (r) out.push_back(*r);
  return out;
}

// Min and max of the present ratios, through `compare`; nullopt when none is present.
std::optional<Spread> SpreadOf(const std::vector<std::optional<double>>& ratios,
                               double (*compare)(double)) {
  std::vector<double> present = Present(ratios);
  if (present.empty()) return std::nullopt;
  auto [lo, hi] = std::minmax_element(present.begin(), present.end());
  double x = compare(*lo), y = compare(*hi);
  return Spread{std::min(x, y), std::max(x, y)};
}

}  // namespace

Realized Summarize(std::span<const RoundMeasure> rounds) {
  Realized out;
  auto rate = [](const RoundMeasure& r) { return r.rate; };
  auto cpu = [](const RoundMeasure& r) { return r.CpuPerRequest(); };
  auto gain = [](double ratio) { return ratio - 1; };
  auto removed = [](double ratio) { return 1 - ratio; };
  out.rate_a = MedianOf(rounds, Variant::kOriginal, rate);
  out.rate_b = MedianOf(rounds, Variant::kTuned, rate);
  if (auto r = PairRatios(rounds, rate); (out.payoff_spread = SpreadOf(r, gain))) {
    out.payoff = gain(DriftFree(r));
  }
  out.cpu_per_request_a = MedianOf(rounds, Variant::kOriginal, cpu);
  out.cpu_per_request_b = MedianOf(rounds, Variant::kTuned, cpu);
  if (auto r = PairRatios(rounds, cpu); (out.removed_share_spread = SpreadOf(r, removed))) {
    out.removed_share = removed(DriftFree(r));
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

double DriftFree(const std::vector<std::optional<double>>& ratios) {
  std::vector<double> joined;
  for (size_t i = 0; i + 1 < ratios.size(); ++i) {
    if (ratios[i] && ratios[i + 1]) joined.push_back(std::sqrt(*ratios[i] * *ratios[i + 1]));
  }
  return Median(joined.empty() ? Present(ratios) : std::move(joined));
}

double ShareFromPayoff(double payoff) {
  return payoff / (1 + payoff);
}

}  // namespace tunescope::experiment
