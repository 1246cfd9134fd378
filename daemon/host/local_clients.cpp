#include "host/local_clients.h"

#include <map>
#include <set>

#include "host/cpu_accounting.h"
#include "host/sockets.h"

namespace tunescope::host {

Result<LocalClients> ReadLocalClients(const HostPaths& paths,
                                      const std::vector<std::uint64_t>& inodes) {
  if (inodes.empty()) return Result<LocalClients>::Error("no client on this host");
  const auto owners = SocketOwners(paths);
  std::map<int, ProcessInfo> processes;
  for (std::uint64_t inode : inodes) {
    auto it = owners.find(inode);
    if (it == owners.end()) continue;
    for (const ProcessInfo& p : it->second) processes.emplace(p.pid, p);
  }
  LocalClients out;
  std::set<int> cpus;
  for (const auto& [pid, process] : processes) {
    std::vector<ThreadAccounting> threads = ReadThreads(paths, {pid}, {});
    if (threads.empty()) continue;  // exited meanwhile
    out.processes.push_back(process);
    for (const ThreadAccounting& t : threads) {
      if (t.cpu >= 0) cpus.insert(t.cpu);
    }
  }
  if (out.processes.empty()) {
    return Result<LocalClients>::Error(
        "the clients' sockets are held by no process that can be read here");
  }
  out.cpus.assign(cpus.begin(), cpus.end());
  return out;
}

}  // namespace tunescope::host
