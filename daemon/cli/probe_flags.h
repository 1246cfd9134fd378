// The flags every command that loads probes shares (serve, advise, experiment): which probes,
// their modes, the target, map bounds and the log level.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/flag_parser.h"
#include "core/log.h"
#include "probes/probe_config.h"
#include "probes/probe_set.h"
#include "probes/window_scheduler.h"

namespace tunescope::cli {

inline constexpr std::string_view kDefaultBtfPath = "/sys/kernel/btf/vmlinux";

// A base of each command's options rather than a member: the three commands read these fields
// the same way (options.probe_config, options.log_level).
struct ProbeOptions {
  std::vector<std::string> probes;                 // empty: the catalogue's defaults
  std::map<std::string, std::string> probe_modes;  // probe -> forced mode
  log::Level log_level = log::Level::kInfo;
  bool bpf_stats = false;
  bool btf_path_given = false;
  probes::ProbeConfig probe_config;
};

// Targets, probes, modes, map bounds, BTF, log level.
void AddProbeFlags(FlagParser& parser, ProbeOptions& options);

// The probes to start: --probes, or the catalogue's default set (see DefaultOn); the kInWindows
// ones only with `in_windows_too` (advise always; serve when it has windows).
std::vector<std::string> ProbesToRun(const ProbeOptions& options, bool in_windows_too = true);

// A ProbeSet (not started) of ProbesToRun, with forced modes; probes named in --probes may
// pick opt-in modes, and so may the windowed probes when `window` is not always.
std::shared_ptr<probes::ProbeSet> MakeProbeSet(const ProbeOptions& options,
                                               const probes::AttachWindow& window,
                                               bool in_windows_too = true);

}  // namespace tunescope::cli
