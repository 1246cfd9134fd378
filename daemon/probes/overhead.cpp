#include "probes/overhead.h"

#include <sys/resource.h>

#include "metrics/family.h"

namespace tunescope::probes {

double SelfCpuSeconds() {
  auto seconds = [](int who) {
    rusage usage{};
    if (getrusage(who, &usage) != 0) return 0.0;
    auto s = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return s(usage.ru_utime) + s(usage.ru_stime);
  };
  // The host facts a window reads run nft and iptables-save: their CPU is the daemon's too.
  return seconds(RUSAGE_SELF) + seconds(RUSAGE_CHILDREN);
}

std::vector<prometheus::MetricFamily> OverheadMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  metrics::Append(
      out, std::move(metrics::CounterFamily(kSelfCpuSeconds,
                                            "CPU time of the daemon's own threads and of the "
                                            "commands it ran (nft, iptables-save), user and system "
                                            "(its BPF programs run in other tasks' time: see "
                                            "tunescope_bpf_program_run_seconds_total).")
                         .Counter({}, SelfCpuSeconds())));
  metrics::Append(out, std::move(metrics::GaugeFamily(
                                     kOverheadBudgetRatio,
                                     "--overhead-budget: the share of one CPU the daemon keeps "
                                     "its programs and itself within (0: no budget).")
                                     .Gauge({}, budget_.load())));
  metrics::Append(
      out, std::move(metrics::GaugeFamily(kWindowDutyRatio,
                                          "Share of time the windowed probes attach in the current "
                                          "cycle (window length / period; 1: attached for good, 0: "
                                          "this window skipped to stay within the budget).")
                         .Gauge({}, duty())));
  return out;
}

}  // namespace tunescope::probes
