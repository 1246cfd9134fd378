// Root qdisc of each device, from an rtnetlink RTM_GETQDISC dump (NETLINK_ROUTE) in the
// caller's network namespace. talawah.io 2021: "noqueue" / "mq" root avoided the qdisc spin lock
// (+2%); Dropbox 2017 and the API tuning guide recommend fq for pacing with BBR.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "host/result.h"

namespace tunescope::host {

struct Qdisc {
  int ifindex = 0;
  std::uint32_t handle = 0;  // major:minor packed as the kernel does (0x80010000 = 8001:)
  std::uint32_t parent = 0;  // TC_H_ROOT (0xFFFFFFFF) for a root qdisc
  std::string kind;          // "noqueue", "pfifo_fast", "mq", "fq", "fq_codel", ...
  bool is_root() const;
  bool is_ingress() const;  // ingress/clsact
};

// One RTM_NEWQDISC payload (struct tcmsg + attributes) -> Qdisc; nullopt if malformed.
std::optional<Qdisc> ParseQdiscMessage(std::span<const std::uint8_t> payload);

// All qdiscs of all devices.
Result<std::vector<Qdisc>> DumpQdiscs();

struct RootQdisc {
  int ifindex = 0;
  std::string device;  // from if_indextoname; empty if the device vanished meanwhile
  std::string kind;
  std::vector<std::string> children;  // kinds of qdiscs whose parent is under the root (mq's)
};

// The root qdisc of every device, with the kinds of its direct children (so "mq" with "fq"
// children can be told from "mq" with "pfifo_fast").
Result<std::vector<RootQdisc>> ReadRootQdiscs();

// "8001:" for 0x80010000, "1:2" for 0x00010002, "root" for TC_H_ROOT.
std::string FormatTcHandle(std::uint32_t handle);

}  // namespace tunescope::host
