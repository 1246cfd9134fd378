#include "probes/softirq.h"

#include <array>
#include <cerrno>
#include <iterator>
#include <string>

#include "metrics/family.h"
#include "metrics/log2_histogram.h"
#include "probes/skeleton_probe.h"
#include "probes/softirq_metrics.h"
#include "softirq.skel.h"

extern "C" {
#include "softirq.bpf.h"
}

namespace tunescope::probes {
namespace {

// Names as in /proc/softirqs, lower case.
constexpr std::array<const char*, TS_NR_SOFTIRQS> kVectors = {
    "hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched", "hrtimer", "rcu"};

constexpr ProbeMode kModes[] = {
    {"tp_btf", "_btf", "BTF-typed tracepoints (kernel >= 5.5 with BTF)"},
    {"raw_tp", "_raw", "raw tracepoints (kernel >= 4.17)"},
    {"tracepoint", "_tp", "perf tracepoints irq:softirq_* (tracefs events)"},
};

// 256 ns .. 67 ms: softirq runs below 256 ns are all "cheap"; above 67 ms is pathological.
constexpr metrics::Log2Buckets kDurationBuckets{8, 26};

class SoftirqProbe final : public SkeletonProbe<softirq_bpf> {
 public:
  SoftirqProbe()
      : SkeletonProbe(
            {softirq_bpf__open_opts, softirq_bpf__load, softirq_bpf__destroy},
            {"softirq",
             "softirq handler time per CPU and vector, run durations, NET_RX raise-to-run delay "
             "(--softirq.raise-delay)",
             kModes,
             {}}) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto seconds = metrics::CounterFamily(
        softirq_metrics::kSeconds,
        "Time spent in softirq handlers, per CPU and vector (with --softirq.sample=N: N x the "
        "time of the timed runs).");
    auto runs =
        metrics::CounterFamily(softirq_metrics::kRuns, "Softirq handler runs, per CPU and vector.");
    auto durations = metrics::HistogramFamily(
        softirq_metrics::kDuration,
        "Duration of single softirq handler runs (the timed ones: 1 in N with "
        "--softirq.sample=N).");
    const softirq_bpf& s = *skel();
    auto states = ReadPerCpu<softirq_cpu_state>(s.maps.cpu_state, 0);
    const double sample = static_cast<double>(s.rodata->sample_mask + 1);
    for (uint32_t vec = 0; vec < TS_NR_SOFTIRQS; ++vec) {
      auto per_cpu = ReadPerCpu<ts_hist>(s.maps.durations, vec);
      if (!per_cpu || !states) continue;
      for (size_t cpu = 0; cpu < per_cpu->size() && cpu < states->size(); ++cpu) {
        metrics::Labels labels{{"cpu", std::to_string(cpu)}, {"vector", kVectors[vec]}};
        seconds.Counter(labels, static_cast<double>((*per_cpu)[cpu].sum) * sample * 1e-9);
        runs.Counter(labels, static_cast<double>((*states)[cpu].runs[vec]));
      }
      durations.Histogram({{"vector", kVectors[vec]}},
                          metrics::ToPrometheus(metrics::SumPerCpu(*per_cpu), kDurationBuckets));
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(seconds));
    metrics::Append(out, std::move(runs));
    metrics::Append(out, std::move(durations));
    if (raise_delay_) {
      auto raise = metrics::HistogramFamily(
          softirq_metrics::kNetRxRaiseDelay,
          "Delay from raising the NET_RX softirq to its handler starting (softirq backlog).");
      if (auto per_cpu = ReadPerCpu<ts_hist>(s.maps.net_rx_raise_delay, 0)) {
        raise.Histogram({}, metrics::ToPrometheus(metrics::SumPerCpu(*per_cpu), kDurationBuckets));
      }
      metrics::Append(out, std::move(raise));
    }
    return out;
  }

 protected:
  Status Configure(softirq_bpf& s, const ProbeMode&, const ProbeConfig& config) override {
    raise_delay_ = config.softirq_raise_delay;
    s.rodata->raise_delay = raise_delay_;
    s.rodata->sample_mask = config.softirq_sample - 1;
    if (!raise_delay_) {
      for (bpf_program* p :
           {s.progs.ts_sirq_raise_btf, s.progs.ts_sirq_raise_raw, s.progs.ts_sirq_raise_tp}) {
        bpf_program__set_autoload(p, false);
      }
    }
    return {};
  }

  // The start and raise stamps go; the run counters in the same per-CPU value stay.
  Status ForgetHalfFinished(softirq_bpf& s) override {
    const int fd = bpf_map__fd(s.maps.cpu_state);
    const uint32_t zero = 0;
    auto states = ReadPerCpu<softirq_cpu_state>(fd, &zero);
    if (!states) return Status::Error(ErrnoMessage("read cpu_state", errno));
    for (softirq_cpu_state& state : *states) {
      state.entry_ns = 0;
      state.net_rx_raised_ns = 0;
    }
    if (bpf_map_update_elem(fd, &zero, states->data(), BPF_ANY) != 0) {
      return Status::Error(ErrnoMessage("clear cpu_state stamps", errno));
    }
    return {};
  }

 private:
  bool raise_delay_ = false;
};

}  // namespace

std::unique_ptr<Probe> MakeSoftirqProbe() {
  return std::make_unique<SoftirqProbe>();
}

}  // namespace tunescope::probes
