// Audit state: is auditd running, is the kernel audit thread (kauditd) there, was the kernel
// booted with audit=0, and what the kernel reports (AUDIT_GET: enabled flag, auditd pid; the
// number of audit rules). talawah.io 2021: "auditctl -a never,task" was part of an 11% gain.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/cpu_security.h"
#include "host/processes.h"
#include "host/result.h"

namespace tunescope::host {

struct KernelAuditStatus {
  unsigned enabled = 0;  // 0 off, 1 on, 2 locked on
  unsigned auditd_pid = 0;
  unsigned backlog = 0;
  unsigned lost = 0;
  std::optional<int> rule_count;  // absent if the rule list could not be read
};

// Asks the kernel over NETLINK_AUDIT (needs CAP_AUDIT_CONTROL).
Result<KernelAuditStatus> QueryKernelAudit();

struct AuditState {
  std::vector<int> auditd_pids;
  bool kauditd_present = false;
  std::optional<bool> cmdline_audit;  // audit=0 / audit=1 on the kernel command line
  Result<KernelAuditStatus> kernel = Result<KernelAuditStatus>::Error("not queried");

  // Syscall auditing can cost time: what the kernel says when it can be asked; otherwise off
  // with audit=0, on while auditd runs, and unknown else (kauditd exists in every kernel built
  // with audit support, enabled or not, so it proves nothing).
  std::optional<bool> likely_active() const;
};

AuditState AssessAudit(const std::vector<ProcessInfo>& procs, const KernelCmdline& cmdline,
                       Result<KernelAuditStatus> kernel);

}  // namespace tunescope::host
