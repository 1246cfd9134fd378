#include "probes/runqlat.h"

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "host/cpu_accounting.h"
#include "host/text.h"
#include "metrics/family.h"
#include "metrics/log2_histogram.h"
#include "probes/runqlat_metrics.h"
#include "probes/skeleton_probe.h"
#include "runqlat.skel.h"

extern "C" {
#include "runqlat.bpf.h"
}

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"sched_info", "_si",
     "the scheduler's own queued stamp, on sched_switch only (kernel >= 5.14 with BTF, "
     "CONFIG_SCHED_INFO, CONFIG_FAIR_GROUP_SCHED)"},
    {"tp_btf", "_btf", "BTF-typed tracepoints sched_wakeup/_new/switch (kernel >= 5.5 with BTF)"},
    {"raw_tp", "_raw", "raw tracepoints (kernel >= 4.17)"},
};

// 1 us .. 1 s: a run-queue wait under a microsecond is noise, over a second is an outage.
constexpr metrics::Log2Buckets kBuckets{10, 30};
constexpr std::string_view kMapNames[] = {"enqueued_ns"};
// Wakeup stamps of tasks not switched in yet (tp_btf, raw_tp; sched_info keeps none).
constexpr std::string_view kTransientMaps[] = {"enqueued_ns"};

// pcount of /proc/thread-self/schedstat: how often this thread was switched in, as counted by
// sched_info. Empty without CONFIG_SCHED_INFO.
std::optional<uint64_t> SwitchInCount() {
  auto text = host::ReadTextFile(host::HostPaths{}.proc + "/thread-self/schedstat");
  if (!text) return std::nullopt;
  auto stat = host::ParseSchedstat(*text);
  if (!stat) return std::nullopt;
  return stat->timeslices;
}

// Before 5.14 the kernel kept sched_info only with schedstats or delay accounting on; when a
// sleep does not raise the count, last_queued stays zero and the sched_info mode sees nothing.
bool SchedInfoIsKept() {
  auto before = SwitchInCount();
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto after = SwitchInCount();
  return before && after && *after > *before;
}

class RunqlatProbe final : public SkeletonProbe<runqlat_bpf> {
 public:
  RunqlatProbe()
      : SkeletonProbe({runqlat_bpf__open_opts, runqlat_bpf__load, runqlat_bpf__destroy},
                      {"runqlat", "run-queue latency per CPU and for the target server's threads",
                       kModes, kMapNames, kTransientMaps}) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    const runqlat_bpf& s = *skel();
    auto per_cpu_family = metrics::HistogramFamily(
        runqlat_metrics::kLatency,
        "Time from a task becoming runnable to running, per CPU it ran on.");
    if (auto per_cpu = ReadPerCpu<ts_hist>(s.maps.cpu_hist, 0)) {
      for (size_t cpu = 0; cpu < per_cpu->size(); ++cpu) {
        per_cpu_family.Histogram({{"cpu", std::to_string(cpu)}},
                                 metrics::ToPrometheus((*per_cpu)[cpu], kBuckets));
      }
    }
    auto target_family = metrics::HistogramFamily(
        runqlat_metrics::kTargetLatency,
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
  Status Configure(runqlat_bpf& s, const ProbeMode& mode, const ProbeConfig& config) override {
    const bool sched_info = mode.name == "sched_info";
    if (sched_info && !SchedInfoIsKept()) {
      return Status::Error(
          "the kernel does not keep sched_info stamps (/proc/thread-self/schedstat counts no "
          "switches)");
    }
    s.rodata->has_target_pids = !config.target_pids.empty();
    s.rodata->has_target_comms = !config.target_comms.empty();
    has_targets_ = s.rodata->has_target_pids || s.rodata->has_target_comms;
    // The sched_info flavour keeps no stamps of its own.
    uint32_t tasks = sched_info ? 1 : config.max_tasks;
    if (bpf_map__set_max_entries(s.maps.enqueued_ns, tasks) != 0) {
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
