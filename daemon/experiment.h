#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tunescope {

// `tunescope experiment --tuning ID --load "CMD" [--duration D] [--keep] --yes`: measures a
// baseline under the load command, applies one reversible tuning, measures again, restores the
// original setting unless --keep (also on any error, SIGINT, SIGTERM or SIGHUP), and prints the
// predicted and the realized payoff. Exit 0, 1 on failure (after restoring), 2 on bad flags or
// refusal, 130 when interrupted (after restoring).
int RunExperiment(std::span<const std::string_view> args);

// "Requests/sec: 12345.67" (wrk) in a load command's output, or a negative value if absent.
double ParseRequestsPerSecond(std::string_view output);

// A CPU mask for CPUs 0..n-1 in the kernel's bitmap syntax (32-bit hex groups, commas).
std::string AllCpusMask(int n);

}  // namespace tunescope
