#include "host/cpufreq.h"

#include <set>

#include "host/text.h"

namespace tunescope::host {

std::vector<std::string> CpuFreq::governors() const {
  std::set<std::string> g;
  for (const auto& [cpu, gov] : governor_by_cpu) g.insert(gov);
  return {g.begin(), g.end()};
}

bool CpuFreq::all(std::string_view governor) const {
  if (governor_by_cpu.empty()) return false;
  for (const auto& [cpu, gov] : governor_by_cpu) {
    if (gov != governor) return false;
  }
  return true;
}

Result<CpuFreq> ReadCpufreq(const HostPaths& paths) {
  const std::string dir = paths.sys + "/devices/system/cpu";
  auto entries = ListDirectory(dir);
  if (!entries) return Result<CpuFreq>::Error(entries.error());
  CpuFreq f;
  for (const auto& e : *entries) {
    if (!StartsWith(e, "cpu")) continue;
    const auto n = ParseU64(std::string_view(e).substr(3));
    if (!n || *n > 65535) continue;
    auto gov = ReadTextFile(dir + "/" + e + "/cpufreq/scaling_governor");
    if (!gov) continue;
    f.governor_by_cpu[static_cast<int>(*n)] = std::string(Trim(*gov));
  }
  if (f.governor_by_cpu.empty()) {
    return Result<CpuFreq>::Error("no cpufreq on this host (usual on VMs): no " + dir +
                                  "/cpu*/cpufreq/scaling_governor");
  }
  return f;
}

}  // namespace tunescope::host
