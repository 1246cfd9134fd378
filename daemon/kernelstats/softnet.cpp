#include "kernelstats/softnet.h"

#include "host/softnet_stat.h"
#include "metrics/family.h"

namespace tunescope::kernelstats {

Status Softnet::Read(std::vector<prometheus::MetricFamily>& out) const {
  auto stat = host::read_softnet_stat(paths());
  if (!stat) return Status::Error(stat.error());
  auto processed = metrics::CounterFamily(
      "tunescope_kernel_softnet_processed_total",
      "Packets the receive softirq took from each CPU's backlog or NAPI poll "
      "(/proc/net/softnet_stat).");
  auto dropped = metrics::CounterFamily(
      "tunescope_kernel_softnet_dropped_total",
      "Packets dropped because a CPU's input backlog was full (netdev_max_backlog, "
      "/proc/net/softnet_stat).");
  auto squeezed = metrics::CounterFamily(
      "tunescope_kernel_softnet_times_squeezed_total",
      "Receive softirq runs that stopped with work left, out of budget or time "
      "(netdev_budget, netdev_budget_usecs; /proc/net/softnet_stat).");
  for (const host::SoftnetCpu& c : stat->cpus) {
    const metrics::Labels cpu{{"cpu", CpuLabel(c.cpu)}};
    processed.Counter(cpu, static_cast<double>(c.processed));
    dropped.Counter(cpu, static_cast<double>(c.dropped));
    squeezed.Counter(cpu, static_cast<double>(c.time_squeeze));
  }
  metrics::Append(out, std::move(processed));
  metrics::Append(out, std::move(dropped));
  metrics::Append(out, std::move(squeezed));
  return {};
}

}  // namespace tunescope::kernelstats
