#include "probes/bpf_stats.h"

#include <bpf/bpf.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "host/sysctl.h"
#include "probes/bpf_stats_metrics.h"

namespace tunescope::probes {
namespace {

// The sysctl shows only its own setting, not stats turned on through BPF_ENABLE_STATS.
std::atomic<int> g_enabled_by_fd{0};

}  // namespace

Status BpfStats::Enable() {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) return Status::Error(ErrnoMessage("enable BPF run-time statistics", errno));
  if (!stats_fd_.valid()) g_enabled_by_fd.fetch_add(1);
  stats_fd_.reset(fd);
  return {};
}

void BpfStats::Disable() {
  if (!stats_fd_.valid()) return;
  stats_fd_.reset();
  g_enabled_by_fd.fetch_sub(1);
}

BpfStats::~BpfStats() {
  Disable();
}

bool BpfStats::Active() {
  if (g_enabled_by_fd.load() > 0) return true;
  auto enabled = host::ReadSysctlInt(host::HostPaths{}, "kernel.bpf_stats_enabled");
  return enabled && *enabled && **enabled != 0;
}

ProgramStatsCollector::ProgramStatsCollector()
    : runs_(metrics::CounterFamily(
          bpf_stats_metrics::kProgramRuns,
          "Runs of each tunescope BPF program (kernel BPF stats; needs bpf_stats_enabled).")),
      seconds_(metrics::CounterFamily(bpf_stats_metrics::kProgramRunSeconds,
                                      "Time spent running each tunescope BPF program.")) {}

std::optional<ProgramRun> ReadProgramRun(const bpf_program* prog) {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) return std::nullopt;
  return ProgramRun{info.run_cnt, static_cast<double>(info.run_time_ns) * 1e-9};
}

void ProgramStatsCollector::Add(std::string_view probe,
                                const std::vector<const bpf_program*>& programs) {
  for (const bpf_program* prog : programs) {
    auto run = ReadProgramRun(prog);
    if (!run) continue;
    metrics::Labels labels{{"probe", std::string(probe)}, {"program", bpf_program__name(prog)}};
    runs_.Counter(labels, static_cast<double>(run->runs));
    seconds_.Counter(std::move(labels), run->seconds);
  }
}

void ProgramStatsCollector::AppendTo(std::vector<prometheus::MetricFamily>& out) {
  metrics::Append(out, std::move(runs_));
  metrics::Append(out, std::move(seconds_));
}

}  // namespace tunescope::probes
