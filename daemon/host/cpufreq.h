// CPU frequency governors (/sys/devices/system/cpu/cpuN/cpufreq/scaling_governor). Dropbox 2017:
// "performance" governor for latency. VMs usually have no cpufreq at all; that is reported as
// a reason, not an error.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct CpuFreq {
  std::map<int, std::string> governor_by_cpu;
  std::vector<std::string> governors() const;  // distinct, sorted
  bool all(std::string_view governor) const;
};

// Fails with "no cpufreq on this host (usual on VMs)" when no CPU has a cpufreq directory.
Result<CpuFreq> ReadCpufreq(const HostPaths& paths);

}  // namespace tunescope::host
