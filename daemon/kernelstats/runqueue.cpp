#include "kernelstats/sources.h"

namespace tunescope::kernelstats {

Status Runqueue::Read(std::vector<prometheus::MetricFamily>& out) const {
  static constexpr CpuColumn<host::SchedStat> kColumns[] = {
      {"tunescope_kernel_runqueue_wait_seconds_total",
       "Time runnable tasks waited on each CPU's run queue (/proc/schedstat run_delay).",
       &host::SchedStat::wait_ns, 1e-9},
      {"tunescope_kernel_runqueue_timeslices_total",
       "Timeslices run on each CPU, i.e. waits that ended (/proc/schedstat pcount).",
       &host::SchedStat::timeslices, 1},
  };
  auto stats = host::ReadProcSchedstat(paths());
  if (!stats) return Status::Error(stats.error());
  AppendPerCpu(out, *stats, kColumns);
  return {};
}

}  // namespace tunescope::kernelstats
