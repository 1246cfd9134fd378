// Sysctls by dotted name ("net.core.somaxconn" -> <proc>/sys/net/core/somaxconn): a generic
// reader and writer (writes back the exact text read, so tunings can be reverted), and the
// table of the sysctls the advisor looks at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

// The sysctls the advisor reads (talawah.io 2021 and the API tuning guide).
inline constexpr std::string_view kAdvisorSysctls[] = {
    "net.core.somaxconn",
    "net.core.busy_read",
    "net.core.busy_poll",
    "net.core.default_qdisc",
    "net.ipv4.tcp_congestion_control",
    "net.ipv4.tcp_tw_reuse",
    "net.core.netdev_budget",
    "net.core.netdev_budget_usecs",
    "net.core.netdev_max_backlog",
    "fs.file-max",
    "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.ip_local_port_range",
    "net.core.rps_sock_flow_entries",
};

// Of those, the net.* ones that exist only in the host's (initial) network namespace; the
// other net.* ones each namespace has its own of (a container's somaxconn).
inline constexpr std::string_view kHostWideNetSysctls[] = {
    "net.core.busy_read",
    "net.core.busy_poll",
    "net.core.default_qdisc",
    "net.core.netdev_budget",
    "net.core.netdev_budget_usecs",
    "net.core.netdev_max_backlog",
    "net.core.rps_sock_flow_entries",
};
bool PerNetnsSysctl(std::string_view name);

// "net.core.somaxconn" -> "/proc/sys/net/core/somaxconn". Names with "..", empty components,
// or characters outside [A-Za-z0-9_.-/] are refused. "/" may be used instead of "." (needed
// for interface names with dots: "net/ipv4/conf/eth0.100/rp_filter").
Result<std::string> SysctlPath(const HostPaths& paths, std::string_view name);

// Value text without the trailing newline; tabs and runs of spaces become one space
// ("4096\t131072\t6291456" -> "4096 131072 6291456").
std::string NormalizeSysctlValue(std::string_view raw);

Result<std::string> ReadSysctl(const HostPaths& paths, std::string_view name);
Result<std::optional<long long>> ReadSysctlInt(const HostPaths& paths, std::string_view name);
Result<Ok> WriteSysctl(const HostPaths& paths, std::string_view name, std::string_view value);

struct SysctlValue {
  std::string name;
  Result<std::string> value;  // error when this kernel lacks the sysctl
};

struct SysctlTable {
  std::vector<SysctlValue> values;
  const SysctlValue* find(std::string_view name) const;
  // The value as an integer, absent if missing or not a single integer.
  std::optional<long long> get_int(std::string_view name) const;
};

SysctlTable ReadAdvisorSysctls(const HostPaths& paths);

}  // namespace tunescope::host
