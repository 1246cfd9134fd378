#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tunescope {

// `tunescope experiment --tuning ID --load "CMD" [--duration D] [--rounds N]
// [--round-duration D] [--keep] [--json] --yes`: predicts the payoff of one reversible tuning
// from one advisor window under the load command (probes attached), stops the probes, then
// measures alternating rounds with the original (A) and the tuned (B) setting and prints the
// predicted beside the realized payoff and removed CPU per request. Restores the original
// setting unless --keep (also on any error, SIGINT, SIGTERM or SIGHUP). Exit 0, 1 on failure
// (after restoring), 2 on bad flags or refusal, 130 when interrupted (after restoring).
int RunExperiment(std::span<const std::string_view> args);

// "Requests/sec: 12345.67" (wrk) in a load command's output, or a negative value if absent.
double ParseRequestsPerSecond(std::string_view output);

// A CPU mask for CPUs 0..n-1 in the kernel's bitmap syntax (32-bit hex groups, commas).
std::string AllCpusMask(int n);

}  // namespace tunescope
