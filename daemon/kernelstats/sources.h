// The kernel-statistics sources, one .cpp each (softirq_time, softirq_runs, runqueue,
// listen_drops, softnet, target_sched): what each reads and exports is in its .cpp and in
// docs/probes.md, "Kernel statistics".
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "host/cpu_accounting.h"
#include "host/kernel_config.h"
#include "kernelstats/source.h"

namespace tunescope::kernelstats {

// /proc/stat's softirq column per CPU and how the kernel accounts it.
class SoftirqTime : public Source {
 public:
  // `accounting` is read once: the kernel's config and command line do not change.
  SoftirqTime(host::HostPaths paths, host::IrqTimeAccounting accounting)
      : Source(std::move(paths)), accounting_(accounting) {}
  std::string_view name() const override { return "stat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;

 private:
  host::IrqTimeAccounting accounting_;
};

// /proc/softirqs: the kernel's count of the runs the softirq probe counts in windows.
class SoftirqRuns : public Source {
 public:
  using Source::Source;
  std::string_view name() const override { return "softirqs"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;
};

// "NET_RX" -> "net_rx", as the softirq probe labels vectors.
std::string VectorLabel(std::string_view kernel_name);

// /proc/schedstat (CONFIG_SCHEDSTATS): run-queue wait and timeslices per CPU.
class Runqueue : public Source {
 public:
  using Source::Source;
  std::string_view name() const override { return "schedstat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;
};

// /proc/net/netstat: drops at listening sockets, in the target server's network namespace
// (a container's own) when a target is given, else in the daemon's.
class ListenDrops : public Source {
 public:
  ListenDrops(host::HostPaths paths, std::vector<int> pids, std::vector<std::string> comms)
      : Source(std::move(paths)), pids_(std::move(pids)), comms_(std::move(comms)) {}
  std::string_view name() const override { return "netstat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;

 private:
  std::vector<int> pids_;
  std::vector<std::string> comms_;
};

// /proc/net/softnet_stat: per CPU, packets processed, dropped (backlog full), squeezes.
class Softnet : public Source {
 public:
  using Source::Source;
  std::string_view name() const override { return "softnet_stat"; }
  Status Read(std::vector<prometheus::MetricFamily>& out) const override;
};

// Sums per-thread cumulative counters into counters that never go down although threads come
// and go: each update adds each thread's growth since the last one (a new thread all it has),
// so a thread that exits takes away nothing already counted.
class ThreadSums {
 public:
  // `threads` as read now; returns the running totals.
  host::SchedStat Update(const std::vector<host::ThreadAccounting>& threads);

 private:
  std::map<int, host::SchedStat> last_;  // tid -> its values at the previous update
  host::SchedStat total_;
};

// The target's threads from /proc/PID/task/TID/schedstat (CONFIG_SCHED_INFO), summed: a label
// per thread would be unbounded.
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
  mutable host::ThreadNames names_;
};

}  // namespace tunescope::kernelstats
