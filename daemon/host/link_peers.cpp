#include "host/link_peers.h"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "host/netlink.h"

namespace tunescope::host {

std::optional<LinkPeer> ParseLinkMessage(std::span<const std::uint8_t> payload) {
  if (payload.size() < NLMSG_ALIGN(sizeof(ifinfomsg))) return std::nullopt;
  ifinfomsg info;
  std::memcpy(&info, payload.data(), sizeof(info));
  LinkPeer out;
  out.ifindex = info.ifi_index;
  std::optional<int> link;
  bool elsewhere = false;
  std::size_t off = NLMSG_ALIGN(sizeof(ifinfomsg));
  while (off + sizeof(rtattr) <= payload.size()) {
    rtattr attr;
    std::memcpy(&attr, payload.data() + off, sizeof(attr));
    if (attr.rta_len < sizeof(rtattr) || attr.rta_len > payload.size() - off) return std::nullopt;
    const auto* data = payload.data() + off + RTA_LENGTH(0);
    const std::size_t len = attr.rta_len - RTA_LENGTH(0);
    switch (attr.rta_type & NLA_TYPE_MASK) {
      case IFLA_IFNAME:
        out.name.assign(reinterpret_cast<const char*>(data),
                        strnlen(reinterpret_cast<const char*>(data), len));
        break;
      case IFLA_LINK:
        if (len >= sizeof(std::int32_t)) {
          std::int32_t v;
          std::memcpy(&v, data, sizeof(v));
          link = v;
        }
        break;
      case IFLA_LINK_NETNSID:
        elsewhere = true;
        break;
      default:
        break;
    }
    off += RTA_ALIGN(attr.rta_len);
  }
  if (elsewhere && link) out.peer_ifindex = *link;
  return out;
}

Result<std::vector<LinkPeer>> ReadLinkPeers() {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  std::vector<LinkPeer> out;
  bool malformed = false;
  auto r = RouteDump(RTM_GETLINK, {reinterpret_cast<const std::uint8_t*>(&info), sizeof(info)},
                     "link dump", [&](std::uint16_t type, std::span<const std::uint8_t> p) {
                       if (type != RTM_NEWLINK) return;
                       if (auto l = ParseLinkMessage(p)) {
                         if (l->peer_ifindex > 0) out.push_back(std::move(*l));
                       } else {
                         malformed = true;
                       }
                     });
  if (!r) return Result<std::vector<LinkPeer>>::Error(r.error());
  if (malformed) return Result<std::vector<LinkPeer>>::Error("link dump: malformed RTM_NEWLINK");
  return out;
}

}  // namespace tunescope::host
