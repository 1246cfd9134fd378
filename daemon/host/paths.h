// Where the host readers look. Tests point these at fixture trees under tests/host/fixtures/.
#pragma once

#include <string>

namespace tunescope::host {

struct HostPaths {
  std::string proc = "/proc";
  std::string sys = "/sys";
  std::string boot = "/boot";  // config-<release>, where /proc/config.gz is missing
};

}  // namespace tunescope::host
