// The processes on this host at the other end of a server's connections (a load generator, a
// proxy, a sidecar), found by their sockets' inodes, and the CPUs their threads last ran on:
// when those CPUs are saturated, the clients set the server's pace, not its own CPUs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "host/paths.h"
#include "host/processes.h"
#include "host/result.h"
#include "host/sockets.h"

namespace tunescope::host {

struct LocalClients {
  std::vector<ProcessInfo> processes;  // by pid, each once
  std::vector<int> cpus;               // where their threads last ran, sorted, each once
};

// `inodes`: the clients' ends of the server's connections (PortListeners::client_inodes);
// `server_pid`'s process is not its own client (a health check to its own port). Processes
// that exit meanwhile are left out; none found is an error that says so.
Result<LocalClients> ReadLocalClients(const HostPaths& paths, SocketOwnerIndex& owners,
                                      const std::vector<std::uint64_t>& inodes,
                                      std::optional<int> server_pid = std::nullopt);

}  // namespace tunescope::host
