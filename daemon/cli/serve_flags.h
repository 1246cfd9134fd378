// Flags of `tunescope serve`, in the Prometheus exporter convention.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/probe_flags.h"
#include "core/flag_parser.h"
#include "probes/probe_set.h"
#include "probes/window_scheduler.h"

namespace tunescope::cli {

inline constexpr std::string_view kDefaultListenAddress = ":10027";

struct ServeOptions : ProbeOptions {
  std::string listen_address{kDefaultListenAddress};
  std::string telemetry_path = "/metrics";
  std::string web_config_file;     // --web.config.file: basic auth users (empty: no auth)
  bool drop_capabilities = false;  // --drop-capabilities: none kept once the probes attached
  // --window: the windowed probes (programs on every softirq run, context switch, packet or
  // request) attach for `open` out of every `every`: attached for good they cost more than a
  // host's budget.
  probes::AttachWindow window{std::chrono::seconds(2), std::chrono::seconds(120)};
  bool window_given = false;
  bool no_kernel_stats = false;  // --no-kernel-stats: no tunescope_kernel_* series from /proc
  // --overhead-budget: share of one CPU the windowed probes' programs, the continuous ones and
  // the daemon's own CPU stay within, by shortening (or skipping) windows; 0: no budget.
  double overhead_budget = 0.005;
};

// --overhead-budget's value: a share of one CPU in (0, 1], "0.5%" for 0.005, or off (0).
Status ParseOverheadBudget(std::string_view value, double& out);

// Checks what single flags cannot: --window against --drop-capabilities (re-attaching needs
// the capabilities). Without an explicit --window, --drop-capabilities attaches for good.
Status ResolveServeOptions(ServeOptions& options);

// serve's own flags and AddProbeFlags.
void AddServeFlags(FlagParser& parser, ServeOptions& options);

// serve's probes: the default set leaves the kInWindows ones out when attached for good.
std::vector<std::string> ProbesToRun(const ServeOptions& options);
// MakeProbeSet with serve's --window.
std::shared_ptr<probes::ProbeSet> MakeProbeSet(const ServeOptions& options);

}  // namespace tunescope::cli
