// What one clock read costs on this host, measured once at start: every timing probe reads
// the clock about twice per event, and the clocksource sets the price (tsc is cheap; kvm-clock
// and Xen's clocks cost more). Exported as tunescope_clock_read_seconds{clocksource,reader}.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "kernelstats/source.h"

namespace tunescope::kernelstats {

struct ClockReadCost {
  std::string clocksource;             // clocksource0/current_clocksource, "unknown" if unread
  std::optional<double> bpf_seconds;   // bpf_ktime_get_ns in a BPF program (BPF_PROG_TEST_RUN)
  std::string bpf_error;               // why bpf_seconds is missing
  std::optional<double> vdso_seconds;  // clock_gettime(CLOCK_MONOTONIC) in this process
};

// Takes ~0.1 s; the BPF half needs CAP_BPF (or root) and CAP_NET_ADMIN (XDP programs).
ClockReadCost MeasureClockReadCost(const host::HostPaths& paths);
// One log line with the result (info), or why the BPF half is missing (warning).
void LogClockReadCost(const ClockReadCost& cost);

// clocksource0's current_clocksource ("tsc", "kvm-clock"), "unknown" when unreadable.
std::string ReadClocksource(const host::HostPaths& paths);

// The BPF half alone: per-read cost from the median of `rounds` paired test runs.
std::optional<double> MeasureBpfClockRead(int rounds, int repeat, std::string& error);
// What each run of a tracepoint program costs beyond the run time BPF statistics record for it
// (the tracepoint's dispatch, and the parts of the statistics' two clock reads and update
// outside their timestamps), with statistics on: the median over `rounds` of `calls` prctl
// calls timed with an empty program on their tracepoint against without, less the program's
// recorded run time per run. Turns statistics on for the measurement if they are off.
std::optional<double> MeasureBpfRunOverhead(int rounds, int calls, std::string& error);
// The userspace proxy: clock_gettime(CLOCK_MONOTONIC) through the vDSO.
double MeasureUserClockRead(int rounds, int reads);

// Exports nothing until Set: the daemon measures once it listens, before attaching probes.
class ClockRead : public prometheus::Collectable {
 public:
  void Set(ClockReadCost cost);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mu_;
  std::optional<ClockReadCost> cost_;
};

}  // namespace tunescope::kernelstats
