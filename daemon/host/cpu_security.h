// Speculative-execution mitigations: /sys/devices/system/cpu/vulnerabilities/* and the
// kernel command line (/proc/cmdline). talawah.io 2021 measured +28% from turning them off; the
// advisor must say plainly that doing so weakens security.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

enum class VulnState { kNotAffected, kMitigated, kVulnerable, kUnknown };
std::string_view to_string(VulnState s);

struct Vulnerability {
  std::string name;  // file name: "spectre_v2", "meltdown", ...
  std::string text;  // "Mitigation: Retpolines; STIBP: disabled; ..."
  VulnState state = VulnState::kUnknown;
};

VulnState ClassifyVulnerability(std::string_view text);

struct VulnerabilityList {
  std::vector<Vulnerability> items;
  const Vulnerability* find(std::string_view name) const;
  int count(VulnState s) const;
};

Result<VulnerabilityList> ReadVulnerabilities(const HostPaths& paths);

struct CmdlineParam {
  std::string key;                   // "mitigations"
  std::optional<std::string> value;  // "off"; absent for bare flags ("nopti")
};

struct KernelCmdline {
  std::string raw;
  std::vector<CmdlineParam> params;  // kernel parameters, up to a "--" (init's arguments)
  bool has(std::string_view key) const;
  std::optional<std::string> value(std::string_view key) const;  // last occurrence wins

  // Derived from the parameters named in talawah.io 2021.
  bool mitigations_off() const;  // mitigations=off
  bool nospectre_v1() const;
  bool nospectre_v2() const;  // nospectre_v2 or spectre_v2=off
  bool pti_off() const;       // pti=off or nopti
  bool mds_off() const;       // mds=off
  bool tsx_async_abort_off() const;
  std::optional<bool> audit() const;  // audit=0 / audit=1, absent if not given
};

KernelCmdline ParseCmdline(std::string_view text);
Result<KernelCmdline> ReadCmdline(const HostPaths& paths);

}  // namespace tunescope::host
