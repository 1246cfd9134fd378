// What the kernel already accounts for CPUs and threads, read without BPF: busy time per CPU
// (/proc/stat), and per thread its CPU time (/proc/PID/task/TID/stat), its run time, its
// run-queue wait and its timeslices (/proc/PID/task/TID/schedstat, CONFIG_SCHED_INFO) and the
// CPU it ran on last. The advisor takes window deltas of these: the server's CPUs and their
// busy time are the basis every removed cost is divided by.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

// A thread with less than this share of its process group's busiest thread's time is idle (an
// nginx master, wrk's main thread): its last CPU says nothing about where the work runs.
inline constexpr double kBusyThreadShare = 0.05;

// Cumulative busy seconds per CPU: user nice system irq softirq steal (guest time is inside
// user; idle and iowait are not busy).
using CpuBusy = std::map<int, double>;
Result<CpuBusy> ParseProcStatBusy(std::string_view text, long ticks_per_second);
Result<CpuBusy> ReadCpuBusy(const HostPaths& paths);

// One /proc/stat cpuN line, in USER_HZ ticks as the kernel prints them. softirq is the time
// accounted to softirq handlers: exact with CONFIG_IRQ_TIME_ACCOUNTING, else the ticks that
// happened to land in a softirq (a sample).
struct CpuTicks {
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                steal = 0;
  // Time in tasks (the target's and others'): user nice system (guest time is inside user).
  std::uint64_t tasks() const { return user + nice + system; }
  // Everything but idle and iowait: tasks, irq, softirq, steal.
  std::uint64_t busy() const { return tasks() + irq + softirq + steal; }
};
using CpuTicksTable = std::map<int, CpuTicks>;
Result<CpuTicksTable> ParseProcStatCpus(std::string_view text);
Result<CpuTicksTable> ReadCpuTicks(const HostPaths& paths);
long ClockTicksPerSecond();

// One /proc/PID/task/TID/stat line: utime+stime ticks and the last CPU. The comm field may
// hold spaces and parentheses: fields are counted after the last ')'.
struct TaskStat {
  std::uint64_t ticks = 0;
  int cpu = -1;
  bool kernel_thread = false;  // PF_KTHREAD in the flags field
};
std::optional<TaskStat> ParseTaskStat(std::string_view line);

// /proc/PID/task/TID/schedstat: "run_ns wait_ns timeslices".
struct SchedStat {
  std::uint64_t run_ns = 0;
  std::uint64_t wait_ns = 0;
  std::uint64_t timeslices = 0;
};
std::optional<SchedStat> ParseSchedstat(std::string_view line);

// /proc/schedstat (CONFIG_SCHEDSTATS, version 15 and later): per CPU the time tasks ran, the
// time runnable tasks waited on its run queue and the timeslices run there.
using CpuSchedStats = std::map<int, SchedStat>;
Result<CpuSchedStats> ParseProcSchedstat(std::string_view text,
                                         std::string_view source = "/proc/schedstat");
Result<CpuSchedStats> ReadProcSchedstat(const HostPaths& paths);

struct ThreadAccounting {
  int pid = 0;
  int tid = 0;
  double cpu_seconds = 0;              // utime + stime
  std::optional<SchedStat> schedstat;  // absent without CONFIG_SCHED_INFO
  int cpu = -1;                        // the CPU it ran on last
};

// Thread names by tid, so that matching --target-comm at every scrape does not read every
// thread's comm each time (on 5,000 threads, 22 ms a scrape against 1 ms without a target:
// bench/scrape/threads.sh). A name is read when its tid is first seen, at its second sighting
// and at every sighting in its first 10 s (a new thread often names itself just after it
// starts), when the tid turns up under another process (reused), and again after `recheck` (a
// later rename); a tid gone from /proc is forgotten. Not thread-safe: one owner, e.g. under the
// scrape source's lock.
class ThreadNames {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ThreadNames(Clock::duration recheck = std::chrono::minutes(5)) : recheck_(recheck) {}
  // (pid, tid) of every thread named one of `comms`, this process's own left out.
  std::vector<std::pair<int, int>> Matching(const HostPaths& paths,
                                            const std::vector<std::string>& comms,
                                            Clock::time_point now = Clock::now());
  std::size_t comm_reads() const { return comm_reads_; }  // for tests: reads so far

 private:
  static constexpr Clock::duration kSettle = std::chrono::seconds(10);
  struct Entry {
    std::string comm;
    int pid = 0;
    int sightings = 0;
    Clock::time_point first_seen;
    Clock::time_point read_at;
  };
  Clock::duration recheck_;
  std::unordered_map<int, Entry> by_tid_;
  std::size_t comm_reads_ = 0;
};

// Every thread of `pids` and every thread named one of `comms` (each thread once); `names`, when
// given, caches the names across calls.
std::vector<ThreadAccounting> ReadThreads(const HostPaths& paths, const std::vector<int>& pids,
                                          const std::vector<std::string>& comms,
                                          ThreadNames* names = nullptr);

// Every thread's scheduler run time and last CPU: who else ran on a server's CPUs.
struct ThreadRun {
  int tid = 0;
  std::uint64_t run_ns = 0;
  int cpu = -1;
  bool kernel_thread = false;
};
std::vector<ThreadRun> ReadAllThreadRuns(const HostPaths& paths);

// Does process `pid` exist under paths.proc?
bool ProcessExists(const HostPaths& paths, int pid);

// Moves every thread of this process off `cpus` (onto the other online CPUs), so that its work
// does not queue behind, or ahead of, a server measured there. Fails when no CPU would be left.
Result<std::vector<int>> KeepOwnThreadsOff(const std::vector<int>& cpus);

}  // namespace tunescope::host
