// Per-program run count and run time from the kernel's BPF statistics, so tunescope's own
// cost is visible next to what it measures.
#pragma once

#include <bpf/libbpf.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "host/result.h"
#include "metrics/family.h"
#include "probes/bpf_handles.h"

namespace tunescope::probes {

class BpfStats {
 public:
  BpfStats() = default;
  BpfStats(const BpfStats&) = delete;
  BpfStats& operator=(const BpfStats&) = delete;
  ~BpfStats();

  // Turns statistics on for as long as this object lives (BPF_ENABLE_STATS: the kernel turns
  // them off again when the fd closes, also when the daemon is killed).
  Status Enable();
  // Turns them off again (closes the fd); other programs on the host stop paying for them.
  void Disable();
  // True when statistics are on, by us or by kernel.bpf_stats_enabled.
  static bool Active();

 private:
  UniqueFd stats_fd_;
};

// A loaded program's runs and run time so far (counted while statistics are on); nullopt when
// the kernel does not say.
struct ProgramRun {
  std::uint64_t runs = 0;
  double seconds = 0;
};
std::optional<ProgramRun> ReadProgramRun(const bpf_program* prog);

// Appends run count and run time of `programs` labelled with the probe name.
class ProgramStatsCollector {
 public:
  ProgramStatsCollector();
  void Add(std::string_view probe, const std::vector<const bpf_program*>& programs);
  void AppendTo(std::vector<prometheus::MetricFamily>& out);

 private:
  metrics::Family runs_;
  metrics::Family seconds_;
};

}  // namespace tunescope::probes
