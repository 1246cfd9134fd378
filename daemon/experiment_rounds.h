// The statistics of `tunescope experiment`'s alternating rounds: the order of the rounds, what
// each round measured, and the medians and per-pair spreads that compare the tuned setting (B)
// with the original one (A). Pure functions, no I/O.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tunescope::experiment {

enum class Variant { kOriginal, kTuned };  // A, B
std::string_view Letter(Variant v);        // "A", "B"
std::string_view Name(Variant v);          // "original", "tuned"

// 2 * pairs rounds in the order A B, B A, A B, B A, ...: every pair holds one A and one B, and
// the order flips from pair to pair, so a machine that drifts (warming caches, a neighbour
// that starts or stops) weighs on neither variant more than on the other; the setting also
// changes only at every second round boundary.
std::vector<Variant> RoundOrder(int pairs);

struct RoundMeasure {
  int round = 0;  // 1-based
  Variant variant = Variant::kOriginal;
  double seconds = 0;          // from the load's start to its end or to its stop
  std::optional<double> rate;  // requests (or load runs) per second
  // Busy time of the server's CPUs (/proc/stat: everything but idle and iowait) and how many
  // CPUs that was summed over.
  double server_busy_seconds = 0;
  int server_cpus = 0;
  std::optional<double> target_cpu_seconds;  // utime+stime of the target's threads
  // Task time on the server's CPUs that was not the target's (needs a target).
  std::optional<double> others_seconds;

  std::optional<double> Requests() const;
  std::optional<double> CpuPerRequest() const;  // server busy seconds / requests
  std::optional<double> TargetCpuPerRequest() const;
  std::optional<double> BusyShare() const;    // of the server CPUs' time, 0..1
  std::optional<double> OthersShare() const;  // of the server CPUs' time, 0..1
};

// B against A from per-pair ratios B / A in round order (nullopt: a pair without a value),
// free of the host's drift: an A B pair gains what a neighbouring B A pair loses to a drifting
// host, so each estimate joins two neighbouring pairs (geometric mean) and the result is their
// median. Pairs that are not neighbours are never joined: two A B pairs would double the
// drift. Without two neighbouring pairs, the median of the pairs; NaN without any.
double DriftFree(const std::vector<std::optional<double>>& ratios);

struct Spread {
  double min = 0;
  double max = 0;
};

// B against A: medians of each variant, the realized payoff in throughput, the CPU per
// request removed, and the range of the same ratios taken within each pair.
struct Realized {
  std::optional<double> rate_a, rate_b;                        // medians
  std::optional<double> cpu_per_request_a, cpu_per_request_b;  // medians, seconds
  std::optional<double> payoff;         // DriftFree(rate B / rate A per pair) - 1
  std::optional<Spread> payoff_spread;  // per pair: rate B / rate A - 1
  std::optional<double> removed_share;  // 1 - DriftFree(CPU/req B / CPU/req A per pair)
  std::optional<Spread> removed_share_spread;
  std::optional<double> busy_a;   // median busy share of the server CPUs in the A rounds
  bool saturated = false;         // busy_a above kSaturatedBusy
  std::vector<int> noisy_rounds;  // others' share above kNoisyOthers
};

// Above this busy share the server's CPUs limit its throughput, so req/s is the measure of a
// tuning; below it the load generator sets req/s and the CPU per request is the measure.
constexpr double kSaturatedBusy = 0.9;

// Other tasks on the server's CPUs above this share make a round's CPU per request and req/s
// measure them too: the report names such rounds (BENCHMARKING.md: drop runs during which
// other processes used noticeable CPU).
constexpr double kNoisyOthers = 0.1;

// Pairs are consecutive rounds (1-2, 3-4, ...) as RoundOrder makes them; an incomplete or
// unmatched pair adds to the medians but not to the spread.
Realized Summarize(std::span<const RoundMeasure> rounds);

// The CPU share s that a tuning removes when it raises a saturated server's throughput by
// payoff = s / (1 - s) (the advisor's payoff model): s = payoff / (1 + payoff).
double ShareFromPayoff(double payoff);

}  // namespace tunescope::experiment
