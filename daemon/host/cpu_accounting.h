// What the kernel already accounts for CPUs and threads, read without BPF: busy time per CPU
// (/proc/stat), and per thread its CPU time (/proc/PID/task/TID/stat), its run time, its
// run-queue wait and its timeslices (/proc/PID/task/TID/schedstat, CONFIG_SCHED_INFO) and the
// CPU it ran on last. The advisor takes window deltas of these: the server's CPUs and their
// busy time are the basis every removed cost is divided by.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

// Cumulative busy seconds per CPU: user nice system irq softirq steal (guest time is inside
// user; idle and iowait are not busy).
using CpuBusy = std::map<int, double>;
Result<CpuBusy> parse_proc_stat_busy(std::string_view text, long ticks_per_second);
Result<CpuBusy> read_cpu_busy(const HostPaths& paths);

// One /proc/PID/task/TID/stat line: utime+stime ticks and the last CPU. The comm field may
// hold spaces and parentheses: fields are counted after the last ')'.
struct TaskStat {
  std::uint64_t ticks = 0;
  int cpu = -1;
};
std::optional<TaskStat> parse_task_stat(std::string_view line);

// /proc/PID/task/TID/schedstat: "run_ns wait_ns timeslices".
struct SchedStat {
  std::uint64_t run_ns = 0;
  std::uint64_t wait_ns = 0;
  std::uint64_t timeslices = 0;
};
std::optional<SchedStat> parse_schedstat(std::string_view line);

struct ThreadAccounting {
  int pid = 0;
  int tid = 0;
  double cpu_seconds = 0;              // utime + stime
  std::optional<SchedStat> schedstat;  // absent without CONFIG_SCHED_INFO
  int cpu = -1;                        // the CPU it ran on last
};

// Every thread of `pids` and every thread named one of `comms` (each thread once).
std::vector<ThreadAccounting> read_threads(const HostPaths& paths, const std::vector<int>& pids,
                                           const std::vector<std::string>& comms);

// Does process `pid` exist under paths.proc?
bool process_exists(const HostPaths& paths, int pid);

// Moves every thread of this process off `cpus` (onto the other online CPUs), so that its work
// does not queue behind, or ahead of, a server measured there. Fails when no CPU would be left.
Result<std::vector<int>> keep_own_threads_off(const std::vector<int>& cpus);

}  // namespace tunescope::host
