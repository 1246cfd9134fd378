// Process scan over <proc>/[0-9]*/comm: is irqbalance / auditd running, is kauditd there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct ProcessInfo {
  int pid = 0;
  std::string comm;  // as in /proc/PID/comm, without the newline
};

// The comm file's text -> the name (the kernel truncates to 15 characters).
std::string ParseComm(std::string_view text);

// All processes visible under paths.proc; processes that exit during the scan are skipped.
Result<std::vector<ProcessInfo>> ListProcesses(const HostPaths& paths);

// PIDs whose comm equals `comm` exactly.
std::vector<int> FindByComm(const std::vector<ProcessInfo>& procs, std::string_view comm);

}  // namespace tunescope::host
