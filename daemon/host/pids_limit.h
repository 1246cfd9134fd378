// How many more tasks (threads) this process may start under the pids controller: the limit of
// its cgroup and of every ancestor (a container's or a pod's pids.max), less the tasks already
// there. Podman's default is 2048 and kubelet's podPidsLimit is often lower, below the threads
// CivetWeb is asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/paths.h"

namespace tunescope::host {

struct PidsHeadroom {
  std::uint64_t tasks = 0;  // tasks that can still start
  std::uint64_t max = 0;    // the limit that leaves the fewest
  std::string cgroup;       // the directory holding that limit
};

// `self_cgroup` is /proc/self/cgroup's text; limits are read under paths.sys + "/fs/cgroup".
// Nothing when no pids limit applies (or the files cannot be read: no limit is enforced then).
std::optional<PidsHeadroom> PidsHeadroomOf(std::string_view self_cgroup, const HostPaths& paths);
std::optional<PidsHeadroom> ReadPidsHeadroom(const HostPaths& paths);

}  // namespace tunescope::host
