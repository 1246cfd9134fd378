#include "host/qdisc.h"

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cstdio>
#include <cstring>

#include "host/netlink.h"

namespace tunescope::host {

bool Qdisc::is_root() const {
  return parent == TC_H_ROOT;
}
bool Qdisc::is_ingress() const {
  return parent == TC_H_INGRESS;
}

std::optional<Qdisc> ParseQdiscMessage(std::span<const std::uint8_t> payload) {
  if (payload.size() < NLMSG_ALIGN(sizeof(tcmsg))) return std::nullopt;
  tcmsg tc;
  std::memcpy(&tc, payload.data(), sizeof(tc));
  Qdisc q;
  q.ifindex = tc.tcm_ifindex;
  q.handle = tc.tcm_handle;
  q.parent = tc.tcm_parent;
  std::size_t off = NLMSG_ALIGN(sizeof(tcmsg));
  while (off + sizeof(rtattr) <= payload.size()) {
    rtattr attr;
    std::memcpy(&attr, payload.data() + off, sizeof(attr));
    if (attr.rta_len < sizeof(rtattr) || attr.rta_len > payload.size() - off) return std::nullopt;
    if ((attr.rta_type & NLA_TYPE_MASK) == TCA_KIND) {
      const auto* data = reinterpret_cast<const char*>(payload.data() + off + RTA_LENGTH(0));
      const std::size_t len = attr.rta_len - RTA_LENGTH(0);
      q.kind.assign(data, strnlen(data, len));
    }
    off += RTA_ALIGN(attr.rta_len);
  }
  if (q.kind.empty()) return std::nullopt;
  return q;
}

Result<std::vector<Qdisc>> DumpQdiscs() {
  tcmsg tc{};
  tc.tcm_family = AF_UNSPEC;
  std::vector<Qdisc> out;
  bool malformed = false;
  auto r = RouteDump(RTM_GETQDISC, {reinterpret_cast<const std::uint8_t*>(&tc), sizeof(tc)},
                     "qdisc dump", [&](std::uint16_t type, std::span<const std::uint8_t> p) {
                       if (type != RTM_NEWQDISC) return;
                       if (auto q = ParseQdiscMessage(p)) {
                         out.push_back(std::move(*q));
                       } else {
                         malformed = true;
                       }
                     });
  if (!r) return Result<std::vector<Qdisc>>::Error(r.error());
  if (malformed && out.empty()) {
    return Result<std::vector<Qdisc>>::Error("qdisc dump: malformed RTM_NEWQDISC messages");
  }
  return out;
}

Result<std::vector<RootQdisc>> ReadRootQdiscs() {
  auto all = DumpQdiscs();
  if (!all) return Result<std::vector<RootQdisc>>::Error(all.error());
  std::vector<RootQdisc> roots;
  for (const auto& q : *all) {
    if (!q.is_root()) continue;
    RootQdisc r;
    r.ifindex = q.ifindex;
    r.kind = q.kind;
    char name[IF_NAMESIZE] = {};
    if (::if_indextoname(static_cast<unsigned>(q.ifindex), name) != nullptr) r.device = name;
    for (const auto& c : *all) {
      // A child's parent is a class of the root: same major number, and not the root itself.
      if (c.ifindex == q.ifindex && !c.is_root() && !c.is_ingress() && q.handle != 0 &&
          TC_H_MAJ(c.parent) == TC_H_MAJ(q.handle)) {
        r.children.push_back(c.kind);
      }
    }
    roots.push_back(std::move(r));
  }
  return roots;
}

std::string FormatTcHandle(std::uint32_t handle) {
  if (handle == TC_H_ROOT) return "root";
  char buf[32];
  const unsigned maj = TC_H_MAJ(handle) >> 16;
  const unsigned min = TC_H_MIN(handle);
  if (min == 0) {
    std::snprintf(buf, sizeof(buf), "%x:", maj);
  } else {
    std::snprintf(buf, sizeof(buf), "%x:%x", maj, min);
  }
  return buf;
}

}  // namespace tunescope::host
