#include "probes/runqlat.h"

#include <cstring>
#include <string>

#include "metrics/family.h"
#include "metrics/log2_histogram.h"
#include "probes/skeleton_probe.h"
#include "runqlat.skel.h"

extern "C" {
#include "runqlat.bpf.h"
}

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"tp_btf", "_btf", "BTF-typed tracepoints sched_wakeup/_new/switch (kernel >= 5.5 with BTF)"},
    {"raw_tp", "_raw", "raw tracepoints (kernel >= 4.17)"},
};

// 1 us .. 1 s: a run-queue wait under a microsecond is noise, over a second is an outage.
constexpr metrics::Log2Buckets kBuckets{10, 30};
constexpr std::string_view kMapNames[] = {"enqueued_ns"};

class RunqlatProbe final : public SkeletonProbe<runqlat_bpf> {
 public:
  RunqlatProbe()
      : SkeletonProbe({runqlat_bpf__open_opts, runqlat_bpf__load, runqlat_bpf__destroy},
                      {"runqlat", "run-queue latency per CPU and for the target server's threads",
                       kModes, kMapNames}) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    const runqlat_bpf& s = *skel();
    auto per_cpu_family = metrics::HistogramFamily(
        "tunescope_runqueue_latency_seconds",
        "Time from a task becoming runnable to running, per CPU it ran on.");
    if (auto per_cpu = ReadPerCpu<ts_hist>(s.maps.cpu_hist, 0)) {
      for (size_t cpu = 0; cpu < per_cpu->size(); ++cpu) {
        per_cpu_family.Histogram({{"cpu", std::to_string(cpu)}},
                                 metrics::ToPrometheus((*per_cpu)[cpu], kBuckets));
      }
    }
    auto target_family = metrics::HistogramFamily(
        "tunescope_runqueue_target_latency_seconds",
        "Run-queue latency of the threads of the target processes (--target-pid/--target-comm).");
    if (has_targets_) {
      if (auto per_cpu = ReadPerCpu<ts_hist>(s.maps.target_hist, 0)) {
        target_family.Histogram({}, metrics::ToPrometheus(metrics::SumPerCpu(*per_cpu), kBuckets));
      }
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(per_cpu_family));
    metrics::Append(out, std::move(target_family));
    return out;
  }

 protected:
  Status Configure(runqlat_bpf& s, const ProbeConfig& config) override {
    s.rodata->has_target_pids = !config.target_pids.empty();
    s.rodata->has_target_comms = !config.target_comms.empty();
    has_targets_ = s.rodata->has_target_pids || s.rodata->has_target_comms;
    if (bpf_map__set_max_entries(s.maps.enqueued_ns, config.max_tasks) != 0) {
      return Status::Error(ErrnoMessage("set map size", errno));
    }
    return {};
  }

  Status Populate(runqlat_bpf& s, const ProbeConfig& config) override {
    const uint8_t one = 1;
    for (pid_t pid : config.target_pids) {
      auto tgid = static_cast<uint32_t>(pid);
      if (bpf_map_update_elem(bpf_map__fd(s.maps.target_tgids), &tgid, &one, BPF_ANY) != 0) {
        return Status::Error(ErrnoMessage("add target pid " + std::to_string(pid), errno));
      }
    }
    for (const std::string& comm : config.target_comms) {
      comm_key key{};
      std::strncpy(key.comm, comm.c_str(), sizeof(key.comm) - 1);
      if (bpf_map_update_elem(bpf_map__fd(s.maps.target_comms), &key, &one, BPF_ANY) != 0) {
        return Status::Error(ErrnoMessage("add target comm " + comm, errno));
      }
    }
    return {};
  }

 private:
  bool has_targets_ = false;
};

}  // namespace

std::unique_ptr<Probe> MakeRunqlatProbe() {
  return std::make_unique<RunqlatProbe>();
}

}  // namespace tunescope::probes
