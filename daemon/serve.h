// `tunescope serve`: the daemon.
#pragma once

#include <span>
#include <string_view>

namespace tunescope {

// Exit codes: 0 after SIGTERM/SIGINT/SIGHUP, 1 runtime error, 2 usage error.
int RunServe(std::span<const std::string_view> args);

}  // namespace tunescope
