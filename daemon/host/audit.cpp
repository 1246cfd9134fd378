#include "host/audit.h"

#include <linux/audit.h>
#include <linux/netlink.h>

#include <cstring>
#include <vector>

#include "host/netlink.h"

namespace tunescope::host {

namespace {

std::vector<std::uint8_t> AuditRequest(std::uint16_t type, std::uint16_t flags) {
  std::vector<std::uint8_t> req(NLMSG_SPACE(0));
  nlmsghdr hdr{};
  hdr.nlmsg_type = type;
  hdr.nlmsg_flags = flags;
  std::memcpy(req.data(), &hdr, sizeof(hdr));
  return req;
}

}  // namespace

Result<KernelAuditStatus> QueryKernelAudit() {
  auto sock = NetlinkSocket::open(NETLINK_AUDIT, "audit status");
  if (!sock) return Result<KernelAuditStatus>::Error(sock.error());
  KernelAuditStatus st;
  bool got = false;
  auto req = AuditRequest(AUDIT_GET, NLM_F_REQUEST);
  auto r = sock->request(req, false, [&](std::uint16_t type, std::span<const std::uint8_t> p) {
    if (type != AUDIT_GET) return;
    audit_status as{};
    std::memcpy(&as, p.data(), std::min(p.size(), sizeof(as)));
    st.enabled = as.enabled;
    st.auditd_pid = as.pid;
    st.backlog = as.backlog;
    st.lost = as.lost;
    got = true;
  });
  if (!r) return Result<KernelAuditStatus>::Error(r.error());
  if (!got) return Result<KernelAuditStatus>::Error("audit status: kernel sent no AUDIT_GET reply");

  auto rules_sock = NetlinkSocket::open(NETLINK_AUDIT, "audit rules");
  if (rules_sock) {
    int rules = 0;
    auto list = AuditRequest(AUDIT_LIST_RULES, NLM_F_REQUEST | NLM_F_ACK);
    auto lr = rules_sock->request(list, true, [&](std::uint16_t type, auto) {
      if (type == AUDIT_LIST_RULES) ++rules;
    });
    if (lr) st.rule_count = rules;
  }
  return st;
}

std::optional<bool> AuditState::likely_active() const {
  if (kernel) return kernel->enabled != 0;
  if (cmdline_audit == false) return false;
  if (!auditd_pids.empty()) return true;
  return std::nullopt;
}

AuditState AssessAudit(const std::vector<ProcessInfo>& procs, const KernelCmdline& cmdline,
                       Result<KernelAuditStatus> kernel) {
  AuditState st;
  st.auditd_pids = FindByComm(procs, "auditd");
  st.kauditd_present = !FindByComm(procs, "kauditd").empty();
  st.cmdline_audit = cmdline.audit();
  st.kernel = std::move(kernel);
  return st;
}

}  // namespace tunescope::host
