#include "kernelstats/sources.h"

#include "host/softnet_stat.h"

namespace tunescope::kernelstats {

Status Softnet::Read(std::vector<prometheus::MetricFamily>& out) const {
  static constexpr CpuColumn<host::SoftnetCpu> kColumns[] = {
      {"tunescope_kernel_softnet_processed_total",
       "Packets the receive softirq took from each CPU's backlog or NAPI poll "
       "(/proc/net/softnet_stat).",
       &host::SoftnetCpu::processed, 1},
      {"tunescope_kernel_softnet_dropped_total",
       "Packets dropped because a CPU's input backlog was full (netdev_max_backlog, "
       "/proc/net/softnet_stat).",
       &host::SoftnetCpu::dropped, 1},
      {"tunescope_kernel_softnet_times_squeezed_total",
       "Receive softirq runs that stopped with work left, out of budget or time "
       "(netdev_budget, netdev_budget_usecs; /proc/net/softnet_stat).",
       &host::SoftnetCpu::time_squeeze, 1},
  };
  auto stat = host::ReadSoftnetStat(paths());
  if (!stat) return Status::Error(stat.error());
  // The CPU-index column (or the line number on old kernels) names each row's CPU.
  std::vector<std::pair<int, host::SoftnetCpu>> rows;
  for (const host::SoftnetCpu& c : stat->cpus) rows.emplace_back(c.cpu, c);
  AppendPerCpu(out, rows, kColumns);
  return {};
}

}  // namespace tunescope::kernelstats
