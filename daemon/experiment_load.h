// Running the user's load command for one phase of `tunescope experiment`, and the per-CPU
// busy time that a round is measured with.
#pragma once

#include <signal.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tunescope::experiment {

// What one run of the load command gave.
struct LoadResult {
  double seconds = 0;                // from the end of hook `started` to hook `ended`
  std::optional<double> rate;        // "Requests/sec:" in its output (wrk)
  bool finished = false;             // exited by itself with status 0 within the time
  std::optional<int> failed_status;  // exited by itself otherwise (wait status)
  int signal = 0;                    // a termination signal arrived; the load was stopped
  std::string error;                 // could not start it
  std::string last_line;             // of its output, for error messages
};

struct LoadHooks {
  std::function<void()> started;  // right after the command started
  std::function<void()> tick;     // about every 200 ms while it runs
  std::function<void()> ended;    // when it exited, or just before it is stopped
};

// Runs `command` (sh -c, in its own process group, output captured) until it exits or
// `seconds` pass, taking `signals` with sigtimedwait meanwhile. A load still running at the
// end gets SIGINT first, on which wrk prints its summary, then SIGTERM and SIGKILL.
LoadResult RunLoad(const std::string& command, double seconds, const sigset_t& signals,
                   const LoadHooks& hooks);

// Clock ticks of one CPU from a "cpuN" line of /proc/stat.
struct CpuTicks {
  unsigned long long busy = 0;   // user nice system irq softirq steal: not idle or iowait
  unsigned long long tasks = 0;  // user nice system: time in tasks (the target's and others')
};
// By CPU number; empty when malformed.
std::map<int, CpuTicks> ParsePerCpuTicks(std::string_view proc_stat);
std::map<int, CpuTicks> ReadPerCpuTicks(const std::string& proc);
double TicksToSeconds(unsigned long long ticks);

}  // namespace tunescope::experiment
