// /proc/net/softnet_stat: one line of hex columns per online CPU. Columns (kernel
// net/core/net-procfs.c): processed, dropped (backlog full), time_squeeze (budget or time ran
// out with work left), five zeros, cpu_collision, received_rps, flow_limit_count, then on newer
// kernels backlog length, CPU index, and more.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct SoftnetCpu {
  int cpu = 0;  // the CPU-index column when present (13+ columns), else the line number
  std::uint64_t processed = 0;
  std::uint64_t dropped = 0;
  std::uint64_t time_squeeze = 0;
  std::uint64_t received_rps = 0;      // 0 when the column is absent
  std::uint64_t flow_limit_count = 0;  // 0 when the column is absent
  std::optional<std::uint64_t> backlog_len;
};

struct SoftnetStat {
  std::vector<SoftnetCpu> cpus;
  std::uint64_t total_processed() const;
  std::uint64_t total_dropped() const;
  std::uint64_t total_time_squeeze() const;
};

Result<SoftnetStat> ParseSoftnetStat(std::string_view text,
                                     std::string_view source = "/proc/net/softnet_stat");
Result<SoftnetStat> ReadSoftnetStat(const HostPaths& paths);

}  // namespace tunescope::host
