#include "kernelstats/sources.h"

#include "host/cpu_accounting.h"
#include "metrics/family.h"

namespace tunescope::kernelstats {

Status SoftirqTime::Read(std::vector<prometheus::MetricFamily>& out) const {
  metrics::Append(
      out, std::move(metrics::GaugeFamily(
                         "tunescope_kernel_softirq_accounting_info",
                         "How /proc/stat's softirq time is accounted: exact (IRQ time "
                         "accounting), tick_sampled (the ticks that landed in a softirq) or "
                         "unknown (no kernel config to read); always 1.")
                         .Gauge({{"accounting", std::string(host::to_string(accounting_))}}, 1)));
  auto ticks = host::ReadCpuTicks(paths());
  if (!ticks) return Status::Error(ticks.error());
  const double tick = 1.0 / static_cast<double>(host::ClockTicksPerSecond());
  auto seconds = metrics::CounterFamily(
      "tunescope_kernel_softirq_seconds_total",
      "Time in softirq handlers per CPU from /proc/stat (all vectors; exact only with "
      "accounting=\"exact\" in tunescope_kernel_softirq_accounting_info).");
  for (const auto& [cpu, t] : *ticks) {
    seconds.Counter({{"cpu", CpuLabel(cpu)}}, static_cast<double>(t.softirq) * tick);
  }
  metrics::Append(out, std::move(seconds));
  return {};
}

}  // namespace tunescope::kernelstats
