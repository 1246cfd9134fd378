// What the rules share: the payoff model's thresholds, Prediction builders, formatting and
// host look-ups. Only rule files include this.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/rules.h"

namespace tunescope::advisor::rule_support {

// Shares below this are within what a quiet host measures (netfilter_unload +1..+2% in the
// scenarios' quiet rows, a few ns a packet of hook with no rules): not a measured gain to rank
// above the documented ones, nor a change worth making.
inline constexpr double kMinShare = 0.02;
// /proc/stat counts a CPU's busy time in ticks (10 ms at USER_HZ 100): a basis of fewer ticks
// cannot tell a share to 0.05 (a server stopped for most of the window had 1-2).
inline constexpr double kMinBasisTicks = 20;
// talawah.io's "perfect locality" step gained 38%: read as removing s = 0.38/1.38 of the CPU when
// every packet was handled on another CPU than the reader's.
inline constexpr double kLocalityMaxShare = 0.38 / 1.38;
// Run-queue waits at or above this are contention (another task held the CPU for a slice);
// shorter ones are the cost of a wakeup that no placement removes.
inline constexpr double kContentionWait = 64e-6;
// Fewer events than this in a window make a prediction of low confidence.
inline constexpr double kMinSamples = 1000;
// Latency rules: less than this per request is below what a person would act on (talawah.io's
// busy-polling step removed 69 us at p50).
inline constexpr double kMinLatency = 5e-6;

std::string Pct(double ratio);
std::string Seconds(double s);
std::string Count(double v);
std::string Names(const std::vector<std::string>& names);

Prediction Make(const Tuning& t, Verdict v, std::string reason);
Prediction Applied(const Tuning& t, std::string reason);
Prediction NotApplicable(const Tuning& t, std::string reason);
Prediction NotMeasured(const Tuning& t, std::string reason);
Prediction NeedsProbe(const Tuning& t, std::string_view probe, std::string_view metric);
Prediction Documented(const Tuning& t, std::string evidence);
// A measured share s of the server's CPU time that the tuning removes: the payoff model. On a
// saturated server that is s / (1 - s) more req/s; on one with idle time it is CPU saved per
// request (headroom), which the reason says.
Prediction FromShare(const Tuning& t, double share, const std::string& what,
                     const Evidence::ServerCpu& server, std::vector<Number> numbers);

std::optional<long long> SysctlInt(const Evidence& e, std::string_view name);
// Whether `probe` ran in `mode` in the window (the probe set's info metric).
bool RanInMode(const Evidence& e, std::string_view probe, std::string_view mode);
std::optional<std::string> SysctlText(const Evidence& e, std::string_view name);
// Devices that carry the server's traffic: up, not loopback.
std::vector<const host::DeviceFacts*> TrafficDevices(const Evidence& e, bool physical_only);

}  // namespace tunescope::advisor::rule_support
