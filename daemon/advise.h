#pragma once

#include <span>
#include <string_view>

namespace tunescope {

// `tunescope advise`: measures for --duration, then prints the ranked tunings. Exit 0, 1 on
// failure, 2 on bad flags.
int RunAdvise(std::span<const std::string_view> args);

}  // namespace tunescope
