#include "kernelstats/kernel_stats.h"

#include "core/log.h"
#include "host/kernel_config.h"
#include "kernelstats/sources.h"
#include "metrics/family.h"

namespace tunescope::kernelstats {

KernelStats::KernelStats(std::vector<std::unique_ptr<Source>> sources, std::string notice)
    : sources_(std::move(sources)),
      logged_(std::make_unique<std::atomic<bool>[]>(sources_.size())),
      notice_(std::move(notice)) {}

std::vector<prometheus::MetricFamily> KernelStats::Collect() const {
  if (!notice_.empty() && !noticed_.exchange(true)) TS_LOG(kInfo) << notice_;
  std::vector<prometheus::MetricFamily> out;
  auto up = metrics::GaugeFamily(
      "tunescope_kernel_source_up",
      "1 when the kernel statistics file behind the tunescope_kernel_* series of this source "
      "was read at this scrape, 0 when it was not (the log says why).");
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const Source& source = *sources_[i];
    Status s = source.Read(out);
    up.Gauge({{"source", std::string(source.name())}}, s.ok() ? 1 : 0);
    if (!s.ok() && !logged_[i].exchange(true)) {
      TS_LOG(kWarn) << "kernel statistics: " << source.name() << ": " << s.error();
    }
  }
  metrics::Append(out, std::move(up));
  return out;
}

std::shared_ptr<KernelStats> MakeKernelStats(const KernelStatsOptions& o) {
  const host::IrqTimeAccounting accounting = host::ReadIrqTimeAccounting(o.paths);
  std::string notice = "kernel statistics: /proc/stat softirq time is " +
                       std::string(host::to_string(accounting)) +
                       (accounting == host::IrqTimeAccounting::kExact
                            ? " (CONFIG_IRQ_TIME_ACCOUNTING)"
                            : " (no IRQ time accounting: only the ticks that land in a softirq)");
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<SoftirqTime>(o.paths, accounting));
  sources.push_back(std::make_unique<SoftirqRuns>(o.paths));
  sources.push_back(std::make_unique<Runqueue>(o.paths));
  sources.push_back(std::make_unique<ListenDrops>(o.paths, o.target_pids, o.target_comms));
  sources.push_back(std::make_unique<Softnet>(o.paths));
  if (!o.target_pids.empty() || !o.target_comms.empty()) {
    sources.push_back(std::make_unique<TargetSched>(o.paths, o.target_pids, o.target_comms));
  }
  return std::make_shared<KernelStats>(std::move(sources), std::move(notice));
}

}  // namespace tunescope::kernelstats
