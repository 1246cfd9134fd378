// Flags of `tunescope serve`, in the Prometheus exporter convention.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/flag_parser.h"
#include "core/log.h"
#include "probes/probe_config.h"
#include "probes/probe_set.h"
#include "probes/window_scheduler.h"

namespace tunescope::cli {

inline constexpr std::string_view kDefaultListenAddress = ":10027";
inline constexpr std::string_view kDefaultBtfPath = "/sys/kernel/btf/vmlinux";

struct ServeOptions {
  std::string listen_address{kDefaultListenAddress};
  std::string telemetry_path = "/metrics";
  std::vector<std::string> probes;                 // empty: the catalogue's defaults
  std::map<std::string, std::string> probe_modes;  // probe -> forced mode
  log::Level log_level = log::Level::kInfo;
  bool bpf_stats = false;
  bool btf_path_given = false;
  std::string web_config_file;     // --web.config.file: basic auth users (empty: no auth)
  bool drop_capabilities = false;  // --drop-capabilities: none kept once the probes attached
  probes::ProbeConfig probe_config;
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

// Flags that also apply to `advise` and `experiment` (targets, probes, map sizes).
void AddProbeFlags(FlagParser& parser, ServeOptions& options);
void AddServeFlags(FlagParser& parser, ServeOptions& options);

// The probes to start: --probes, or the catalogue's default set (see DefaultOn).
std::vector<std::string> ProbesToRun(const ServeOptions& options);

// A ProbeSet (not started) of ProbesToRun, with forced modes; probes named in --probes may
// pick opt-in modes.
std::shared_ptr<probes::ProbeSet> MakeProbeSet(const ServeOptions& options);

}  // namespace tunescope::cli
