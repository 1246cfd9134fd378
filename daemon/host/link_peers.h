// Devices whose other end is in another network namespace (a container's veth eth0, whose
// peer is on the host), from an rtnetlink RTM_GETLINK dump in the caller's namespace: the
// peer's ifindex is IFLA_LINK where IFLA_LINK_NETNSID says that it lives elsewhere.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "host/result.h"

namespace tunescope::host {

struct LinkPeer {
  int ifindex = 0;       // this end, in the caller's namespace
  std::string name;      // IFLA_IFNAME
  int peer_ifindex = 0;  // the other end, in its own namespace; 0: none elsewhere
};

// One RTM_NEWLINK payload (struct ifinfomsg + attributes); nullopt if malformed.
std::optional<LinkPeer> ParseLinkMessage(std::span<const std::uint8_t> payload);

// The caller's devices whose peer is in another namespace.
Result<std::vector<LinkPeer>> ReadLinkPeers();

}  // namespace tunescope::host
