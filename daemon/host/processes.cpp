#include "host/processes.h"

#include "host/text.h"

namespace tunescope::host {

std::string parse_comm(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return std::string(text);
}

Result<std::vector<ProcessInfo>> list_processes(const HostPaths& paths) {
  auto entries = list_directory(paths.proc);
  if (!entries) return fail<std::vector<ProcessInfo>>(entries.error());
  std::vector<ProcessInfo> procs;
  for (const auto& name : *entries) {
    const auto pid = parse_u64(name);
    if (!pid || *pid > 0x7fffffff) continue;
    auto comm = read_text_file(paths.proc + "/" + name + "/comm");
    if (!comm) continue;  // exited meanwhile
    procs.push_back(ProcessInfo{static_cast<int>(*pid), parse_comm(*comm)});
  }
  return procs;
}

std::vector<int> find_by_comm(const std::vector<ProcessInfo>& procs, std::string_view comm) {
  std::vector<int> pids;
  for (const auto& p : procs) {
    if (p.comm == comm) pids.push_back(p.pid);
  }
  return pids;
}

}  // namespace tunescope::host
