#include "kernelstats/runqueue.h"

#include "host/cpu_accounting.h"
#include "metrics/family.h"

namespace tunescope::kernelstats {

Status Runqueue::Read(std::vector<prometheus::MetricFamily>& out) const {
  auto stats = host::read_proc_schedstat(paths());
  if (!stats) return Status::Error(stats.error());
  auto wait = metrics::CounterFamily(
      "tunescope_kernel_runqueue_wait_seconds_total",
      "Time runnable tasks waited on each CPU's run queue (/proc/schedstat run_delay).");
  auto slices = metrics::CounterFamily(
      "tunescope_kernel_runqueue_timeslices_total",
      "Timeslices run on each CPU, i.e. waits that ended (/proc/schedstat pcount).");
  for (const auto& [cpu, s] : *stats) {
    wait.Counter({{"cpu", CpuLabel(cpu)}}, static_cast<double>(s.wait_ns) * 1e-9);
    slices.Counter({{"cpu", CpuLabel(cpu)}}, static_cast<double>(s.timeslices));
  }
  metrics::Append(out, std::move(wait));
  metrics::Append(out, std::move(slices));
  return {};
}

}  // namespace tunescope::kernelstats
