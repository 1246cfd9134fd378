// Minimal raw netlink: an owned socket, one request, and the walk over the replies. Used for
// rtnetlink qdisc and link dumps and the audit status query. The message walk is a pure function
// over bytes so it can be tested without a kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "host/result.h"

namespace tunescope::host {

class NetlinkSocket {
 public:
  // `protocol`: NETLINK_ROUTE, NETLINK_AUDIT, ...
  static Result<NetlinkSocket> open(int protocol, std::string_view what);
  NetlinkSocket(NetlinkSocket&& other) noexcept;
  NetlinkSocket& operator=(NetlinkSocket&& other) noexcept;
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  ~NetlinkSocket();

  // Sends `request` (a complete nlmsghdr + payload, seq filled in here) and feeds every reply
  // message to `on_message` until NLMSG_DONE, or, for non-dump requests, until the first
  // reply or ACK. NLMSG_ERROR with a non-zero error becomes a failure with the errno text.
  using Handler = std::function<void(std::uint16_t type, std::span<const std::uint8_t> payload)>;
  Result<Ok> request(std::span<std::uint8_t> request, bool dump, const Handler& on_message);

 private:
  NetlinkSocket(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  int fd_ = -1;
  std::string what_;
  std::uint32_t seq_ = 1;
};

// An rtnetlink (NETLINK_ROUTE) dump request of `type` (RTM_GETQDISC, RTM_GETLINK, ...) whose
// family header (tcmsg, ifinfomsg, ...) is `header`, on a socket of its own; every reply
// message goes to `on_message`.
Result<Ok> RouteDump(std::uint16_t type, std::span<const std::uint8_t> header,
                     std::string_view what, const NetlinkSocket::Handler& on_message);

// Walks the nlmsghdr messages in one received datagram. Returns false with `error` set on a
// malformed buffer. `done` is set at NLMSG_DONE; `nl_error` holds a negative errno from an
// NLMSG_ERROR message (0 for an ACK).
struct NetlinkWalk {
  bool done = false;
  bool got_error_msg = false;
  int nl_error = 0;
  std::string error;
};
bool WalkNetlinkMessages(std::span<const std::uint8_t> buf, NetlinkWalk& state,
                         const NetlinkSocket::Handler& on_message);

}  // namespace tunescope::host
