#include "host/local_clients.h"

#include <algorithm>
#include <map>
#include <set>

#include "host/cpu_accounting.h"
#include "host/sockets.h"

namespace tunescope::host {
Result<LocalClients> ReadLocalClients(const HostPaths& paths, SocketOwnerIndex& owners,
                                      const std::vector<std::uint64_t>& inodes,
                                      std::optional<int> server_pid) {
  if (inodes.empty()) return Result<LocalClients>::Error("no client on this host");
  std::map<int, ProcessInfo> processes;
  for (std::uint64_t inode : inodes) {
    for (const ProcessInfo& p : owners.Find(inode)) {
      if (p.pid != server_pid) processes.emplace(p.pid, p);
    }
  }
  LocalClients out;
  std::vector<ThreadAccounting> threads;
  for (const auto& [pid, process] : processes) {
    std::vector<ThreadAccounting> theirs = ReadThreads(paths, {pid}, {});
    if (theirs.empty()) continue;  // exited meanwhile
    out.processes.push_back(process);
    threads.insert(threads.end(), theirs.begin(), theirs.end());
  }
  // Idle threads (wrk's main thread, a proxy's spare workers) say nothing about where the
  // clients' work runs, and their last CPU may be any: only the busy ones, as for the server.
  double busiest = 0;
  for (const ThreadAccounting& t : threads) busiest = std::max(busiest, t.cpu_seconds);
  std::set<int> cpus;
  for (const ThreadAccounting& t : threads) {
    if (t.cpu >= 0 && t.cpu_seconds >= kBusyThreadShare * busiest) cpus.insert(t.cpu);
  }
  if (out.processes.empty()) {
    return Result<LocalClients>::Error(
        "the clients' sockets are held by no process that can be read here");
  }
  out.cpus.assign(cpus.begin(), cpus.end());
  return out;
}

}  // namespace tunescope::host
