// Every kernel-statistics source as one Collectable, plus tunescope_kernel_source_up{source}:
// 1 when the source's file was read at this scrape, 0 when not (the first failure of each
// source is logged with its reason).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "host/paths.h"
#include "kernelstats/source.h"

namespace tunescope::kernelstats {

struct KernelStatsOptions {
  host::HostPaths paths;
  std::vector<int> target_pids;  // with target_comms: the target's threads; none: no target
  std::vector<std::string> target_comms;
};

class KernelStats : public prometheus::Collectable {
 public:
  // `notice` is logged at the first scrape (not at construction: before the daemon listens,
  // a busy port must be the only line it prints).
  KernelStats(std::vector<std::unique_ptr<Source>> sources, std::string notice = "");
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::vector<std::unique_ptr<Source>> sources_;
  std::unique_ptr<std::atomic<bool>[]> logged_;  // per source: failure already logged
  std::string notice_;
  mutable std::atomic<bool> noticed_{false};
};

// All sources: /proc/stat, /proc/softirqs, /proc/schedstat, /proc/net/netstat,
// /proc/net/softnet_stat, and the target's schedstat when a target is given.
std::shared_ptr<KernelStats> MakeKernelStats(const KernelStatsOptions& options);

}  // namespace tunescope::kernelstats
