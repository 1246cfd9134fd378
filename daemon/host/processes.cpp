#include "host/processes.h"

#include "host/text.h"

namespace tunescope::host {

std::string ParseComm(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return std::string(text);
}

Result<std::vector<ProcessInfo>> ListProcesses(const HostPaths& paths) {
  auto entries = ListDirectory(paths.proc);
  if (!entries) return Result<std::vector<ProcessInfo>>::Error(entries.error());
  std::vector<ProcessInfo> procs;
  for (const auto& name : *entries) {
    const auto pid = ParseU64(name);
    if (!pid || *pid > 0x7fffffff) continue;
    auto comm = ReadTextFile(paths.proc + "/" + name + "/comm");
    if (!comm) continue;  // exited meanwhile
    procs.push_back(ProcessInfo{static_cast<int>(*pid), ParseComm(*comm)});
  }
  return procs;
}

std::vector<int> FindByComm(const std::vector<ProcessInfo>& procs, std::string_view comm) {
  std::vector<int> pids;
  for (const auto& p : procs) {
    if (p.comm == comm) pids.push_back(p.pid);
  }
  return pids;
}

}  // namespace tunescope::host
