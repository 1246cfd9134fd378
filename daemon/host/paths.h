// Where the host readers look. Tests point these at fixture trees under tests/host/fixtures/.
#pragma once

#include <string>

namespace tunescope::host {

struct HostPaths {
  std::string proc = "/proc";
  std::string sys = "/sys";
  std::string boot = "/boot";  // config-<release>, where /proc/config.gz is missing
  // Per-network-namespace files (/proc/net/...): empty for the daemon's own namespace,
  // /proc/PID/net for a target server's (host/netns.h).
  std::string net{};
  std::string Net() const { return net.empty() ? proc + "/net" : net; }
};

}  // namespace tunescope::host
