// A process's seccomp mode, from the "Seccomp:" and "Seccomp_filters:" lines of
// /proc/PID/status. talawah.io 2021 gained (with audit) 11% by running without seccomp filters.
#pragma once

#include <optional>
#include <string_view>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

enum class SeccompMode { kDisabled = 0, kStrict = 1, kFilter = 2 };
std::string_view to_string(SeccompMode m);

struct SeccompState {
  SeccompMode mode = SeccompMode::kDisabled;
  std::optional<int> filters;  // "Seccomp_filters:" (kernel 5.9+)
};

Result<SeccompState> ParseSeccompStatus(std::string_view status_text,
                                        std::string_view source = "/proc/PID/status");
Result<SeccompState> ReadSeccomp(const HostPaths& paths, int pid);

}  // namespace tunescope::host
