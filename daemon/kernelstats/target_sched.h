// The target's threads from /proc/PID/task/TID/schedstat (CONFIG_SCHED_INFO): time running,
// time runnable but waiting for a CPU, timeslices (tunescope_kernel_target_*). One series
// each, summed over the threads: a label per thread would be unbounded.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "host/cpu_accounting.h"
#include "kernelstats/source.h"

namespace tunescope::kernelstats {

// Sums per-thread cumulative counters into counters that never go down although threads come
// and go: each scrape adds each thread's growth since the last one (a new thread all it has),
// so a thread that exits takes away nothing already counted.
class ThreadSums {
 public:
  // `threads` as read now; returns the running totals.
  host::SchedStat Update(const std::vector<host::ThreadAccounting>& threads);

 private:
  std::map<int, host::SchedStat> last_;  // tid -> its values at the previous update
  host::SchedStat total_;
};

class TargetSched : public Source {
 public:
  TargetSched(host::HostPaths paths, std::vector<int> pids, std::vector<std::string> comms)
      : Source(std::move(paths)), pids_(std::move(pids)), comms_(std::move(comms)) {}
  std::string_view name() const override { return "target_schedstat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;

 private:
  std::vector<int> pids_;
  std::vector<std::string> comms_;
  mutable std::mutex mu_;  // scrapes may run concurrently
  mutable ThreadSums sums_;
};

}  // namespace tunescope::kernelstats
