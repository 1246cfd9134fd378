// The netlink message walk and the RTM_NEWQDISC and RTM_NEWLINK parsers, on byte buffers built here
// the way the kernel lays them out (linux/netlink.h, linux/rtnetlink.h).
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "host/link_peers.h"
#include "host/netlink.h"
#include "host/qdisc.h"

namespace tunescope::host {
namespace {

using Bytes = std::vector<std::uint8_t>;

void AppendRaw(Bytes& b, const void* data, std::size_t len) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  b.insert(b.end(), p, p + len);
  b.resize(NLMSG_ALIGN(b.size()), 0);
}

// tcmsg + TCA_KIND attribute (+ an unrelated TCA_OPTIONS attribute first).
Bytes QdiscPayload(int ifindex, std::uint32_t handle, std::uint32_t parent, const char* kind) {
  Bytes b;
  tcmsg tc{};
  tc.tcm_ifindex = ifindex;
  tc.tcm_handle = handle;
  tc.tcm_parent = parent;
  AppendRaw(b, &tc, sizeof(tc));
  const std::uint8_t opts[4] = {1, 2, 3, 4};
  rtattr a{};
  a.rta_type = TCA_OPTIONS;
  a.rta_len = static_cast<unsigned short>(RTA_LENGTH(sizeof(opts)));
  Bytes attr;
  attr.insert(attr.end(), reinterpret_cast<std::uint8_t*>(&a),
              reinterpret_cast<std::uint8_t*>(&a) + sizeof(a));
  attr.insert(attr.end(), opts, opts + sizeof(opts));
  AppendRaw(b, attr.data(), attr.size());
  rtattr k{};
  k.rta_type = TCA_KIND;
  k.rta_len = static_cast<unsigned short>(RTA_LENGTH(std::strlen(kind) + 1));
  Bytes kattr;
  kattr.insert(kattr.end(), reinterpret_cast<std::uint8_t*>(&k),
               reinterpret_cast<std::uint8_t*>(&k) + sizeof(k));
  kattr.insert(kattr.end(), kind, kind + std::strlen(kind) + 1);
  AppendRaw(b, kattr.data(), kattr.size());
  return b;
}

Bytes Message(std::uint16_t type, const Bytes& payload) {
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(payload.size()));
  Bytes b;
  AppendRaw(b, &h, sizeof(h));
  b.insert(b.end(), payload.begin(), payload.end());
  b.resize(NLMSG_ALIGN(b.size()), 0);
  return b;
}

TEST(Qdisc, ParsesKindAndHandles) {
  auto q = ParseQdiscMessage(QdiscPayload(3, 0, TC_H_ROOT, "noqueue"));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->ifindex, 3);
  EXPECT_EQ(q->kind, "noqueue");
  EXPECT_TRUE(q->is_root());
  auto child = ParseQdiscMessage(QdiscPayload(3, 0x80010000, 0x00010002, "fq"));
  ASSERT_TRUE(child.has_value());
  EXPECT_FALSE(child->is_root());
  EXPECT_EQ(FormatTcHandle(child->handle), "8001:");
  EXPECT_EQ(FormatTcHandle(child->parent), "1:2");
  EXPECT_EQ(FormatTcHandle(TC_H_ROOT), "root");
}

TEST(Qdisc, MalformedMessagesAreRejected) {
  EXPECT_FALSE(ParseQdiscMessage({}).has_value());
  Bytes p = QdiscPayload(1, 0, TC_H_ROOT, "pfifo");
  // Cut inside the TCA_KIND attribute: the attribute length now overruns the buffer.
  Bytes cut(p.begin(), p.end() - 4);
  EXPECT_FALSE(ParseQdiscMessage(cut).has_value());
  // No TCA_KIND at all.
  Bytes bare(p.begin(), p.begin() + NLMSG_ALIGN(sizeof(tcmsg)));
  EXPECT_FALSE(ParseQdiscMessage(bare).has_value());
}

void AppendAttr(Bytes& b, unsigned short type, const void* data, std::size_t len) {
  rtattr a{};
  a.rta_type = type;
  a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  Bytes attr;
  attr.insert(attr.end(), reinterpret_cast<std::uint8_t*>(&a),
              reinterpret_cast<std::uint8_t*>(&a) + sizeof(a));
  const auto* p = static_cast<const std::uint8_t*>(data);
  attr.insert(attr.end(), p, p + len);
  AppendRaw(b, attr.data(), attr.size());
}

// ifinfomsg + IFLA_IFNAME + IFLA_LINK (+ IFLA_LINK_NETNSID when the peer is elsewhere).
Bytes LinkPayload(int ifindex, const char* name, std::int32_t link, bool elsewhere) {
  Bytes b;
  ifinfomsg info{};
  info.ifi_index = ifindex;
  AppendRaw(b, &info, sizeof(info));
  AppendAttr(b, IFLA_IFNAME, name, std::strlen(name) + 1);
  AppendAttr(b, IFLA_LINK, &link, sizeof(link));
  const std::int32_t nsid = 0;
  if (elsewhere) AppendAttr(b, IFLA_LINK_NETNSID, &nsid, sizeof(nsid));
  return b;
}

TEST(LinkPeers, APeerInAnotherNamespaceIsItsIflaLink) {
  auto veth = ParseLinkMessage(LinkPayload(2, "eth0", 17, true));
  ASSERT_TRUE(veth.has_value());
  EXPECT_EQ(veth->ifindex, 2);
  EXPECT_EQ(veth->name, "eth0");
  EXPECT_EQ(veth->peer_ifindex, 17);
  // A veth pair inside one namespace (or a VLAN on its device): no peer elsewhere.
  auto local = ParseLinkMessage(LinkPayload(5, "vethA", 6, false));
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->peer_ifindex, 0);
  EXPECT_FALSE(ParseLinkMessage({}).has_value());
  Bytes p = LinkPayload(2, "eth0", 17, true);
  EXPECT_FALSE(ParseLinkMessage(Bytes(p.begin(), p.end() - 2)).has_value());
}

TEST(NetlinkWalk, DeliversMessagesUntilDone) {
  Bytes buf = Message(RTM_NEWQDISC, QdiscPayload(1, 0, TC_H_ROOT, "noqueue"));
  Bytes second = Message(RTM_NEWQDISC, QdiscPayload(2, 0, TC_H_ROOT, "mq"));
  buf.insert(buf.end(), second.begin(), second.end());
  Bytes done = Message(NLMSG_DONE, Bytes(4, 0));
  buf.insert(buf.end(), done.begin(), done.end());
  std::vector<std::string> kinds;
  NetlinkWalk st;
  ASSERT_TRUE(WalkNetlinkMessages(buf, st, [&](std::uint16_t type, auto payload) {
    EXPECT_EQ(type, RTM_NEWQDISC);
    kinds.push_back(ParseQdiscMessage(payload)->kind);
  }));
  EXPECT_TRUE(st.done);
  EXPECT_EQ(kinds, (std::vector<std::string>{"noqueue", "mq"}));
}

TEST(NetlinkWalk, ReportsKernelErrorsAndBadLengths) {
  nlmsgerr e{};
  e.error = -EPERM;
  Bytes payload(sizeof(e));
  std::memcpy(payload.data(), &e, sizeof(e));
  NetlinkWalk st;
  ASSERT_TRUE(WalkNetlinkMessages(Message(NLMSG_ERROR, payload), st, [](auto, auto) {}));
  EXPECT_TRUE(st.got_error_msg);
  EXPECT_EQ(st.nl_error, -EPERM);

  Bytes bad = Message(RTM_NEWQDISC, QdiscPayload(1, 0, TC_H_ROOT, "noqueue"));
  nlmsghdr h;
  std::memcpy(&h, bad.data(), sizeof(h));
  h.nlmsg_len = static_cast<std::uint32_t>(bad.size() + 100);
  std::memcpy(bad.data(), &h, sizeof(h));
  NetlinkWalk st2;
  int calls = 0;
  EXPECT_FALSE(WalkNetlinkMessages(bad, st2, [&](auto, auto) { ++calls; }));
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(st2.error.empty());
}

}  // namespace
}  // namespace tunescope::host
