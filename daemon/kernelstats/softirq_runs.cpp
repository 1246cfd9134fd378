#include "kernelstats/sources.h"

#include <cctype>

#include "host/softirqs.h"
#include "host/text.h"
#include "metrics/family.h"

namespace tunescope::kernelstats {

std::string VectorLabel(std::string_view kernel_name) {
  std::string out(kernel_name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status SoftirqRuns::Read(std::vector<prometheus::MetricFamily>& out) const {
  auto table = host::ReadSoftirqs(paths());
  if (!table) return Status::Error(table.error());
  auto runs = metrics::CounterFamily(
      "tunescope_kernel_softirq_runs_total",
      "Softirq handler runs per CPU and vector from /proc/softirqs (counted by the kernel, "
      "all the time).");
  for (const auto& row : table->rows) {
    const std::string vector = VectorLabel(row.name);
    for (std::size_t i = 0; i < row.per_cpu.size() && i < table->cpus.size(); ++i) {
      // Header names are "CPU<n>": offline CPUs leave gaps, so the number is read, not i.
      auto cpu = host::ParseU64(std::string_view(table->cpus[i]).substr(3));
      if (!cpu) continue;
      runs.Counter({{"cpu", std::to_string(*cpu)}, {"vector", vector}},
                   static_cast<double>(row.per_cpu[i]));
    }
  }
  metrics::Append(out, std::move(runs));
  return {};
}

}  // namespace tunescope::kernelstats
