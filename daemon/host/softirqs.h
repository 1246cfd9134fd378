// /proc/softirqs: per-CPU counts of each softirq vector (NET_RX, NET_TX, TIMER, ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct SoftirqRow {
  std::string name;                    // "NET_RX"
  std::vector<std::uint64_t> per_cpu;  // one count per CPU column
  std::uint64_t total() const;
};

struct SoftirqTable {
  std::vector<std::string> cpus;  // header names, "CPU0", "CPU1", ...
  std::vector<SoftirqRow> rows;
  const SoftirqRow* find(std::string_view name) const;
};

// `source` names the file in error messages.
Result<SoftirqTable> ParseSoftirqs(std::string_view text,
                                   std::string_view source = "/proc/softirqs");
Result<SoftirqTable> ReadSoftirqs(const HostPaths& paths);

}  // namespace tunescope::host
