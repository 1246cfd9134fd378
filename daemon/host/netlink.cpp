#include "host/netlink.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tunescope::host {

Result<NetlinkSocket> NetlinkSocket::open(int protocol, std::string_view what) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    return Result<NetlinkSocket>::Error(std::string(what) +
                                        ": netlink socket: " + std::strerror(errno));
  }
  timeval tv{};
  tv.tv_sec = 5;  // a kernel that never answers must not hang the daemon
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return NetlinkSocket(fd, std::string(what));
}

NetlinkSocket::NetlinkSocket(NetlinkSocket&& other) noexcept
    : fd_(other.fd_), what_(std::move(other.what_)), seq_(other.seq_) {
  other.fd_ = -1;
}

NetlinkSocket& NetlinkSocket::operator=(NetlinkSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    what_ = std::move(other.what_);
    seq_ = other.seq_;
    other.fd_ = -1;
  }
  return *this;
}

NetlinkSocket::~NetlinkSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Ok> RouteDump(std::uint16_t type, std::span<const std::uint8_t> header,
                     std::string_view what, const NetlinkSocket::Handler& on_message) {
  auto sock = NetlinkSocket::open(NETLINK_ROUTE, what);
  if (!sock) return Result<Ok>::Error(sock.error());
  std::vector<std::uint8_t> req(NLMSG_SPACE(header.size()), 0);
  nlmsghdr hdr{};
  hdr.nlmsg_type = type;
  hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  std::memcpy(req.data(), &hdr, sizeof(hdr));
  std::memcpy(req.data() + NLMSG_HDRLEN, header.data(), header.size());
  return sock->request(req, true, on_message);
}

bool WalkNetlinkMessages(std::span<const std::uint8_t> buf, NetlinkWalk& state,
                         const NetlinkSocket::Handler& on_message) {
  std::size_t off = 0;
  while (off + sizeof(nlmsghdr) <= buf.size()) {
    nlmsghdr hdr;
    std::memcpy(&hdr, buf.data() + off, sizeof(hdr));
    if (hdr.nlmsg_len < sizeof(nlmsghdr) || hdr.nlmsg_len > buf.size() - off) {
      state.error = "malformed netlink message length " + std::to_string(hdr.nlmsg_len);
      return false;
    }
    const auto payload = buf.subspan(off + NLMSG_HDRLEN, hdr.nlmsg_len - NLMSG_HDRLEN);
    if (hdr.nlmsg_type == NLMSG_DONE) {
      state.done = true;
      return true;
    }
    if (hdr.nlmsg_type == NLMSG_ERROR) {
      if (payload.size() < sizeof(int)) {
        state.error = "truncated NLMSG_ERROR";
        return false;
      }
      int err = 0;
      std::memcpy(&err, payload.data(), sizeof(err));
      state.got_error_msg = true;
      state.nl_error = err;
      return true;
    }
    if (hdr.nlmsg_type != NLMSG_NOOP) on_message(hdr.nlmsg_type, payload);
    off += NLMSG_ALIGN(hdr.nlmsg_len);
  }
  if (off != buf.size() && off < buf.size()) {
    state.error = "trailing bytes after netlink messages";
    return false;
  }
  return true;
}

Result<Ok> NetlinkSocket::request(std::span<std::uint8_t> req, bool dump,
                                  const Handler& on_message) {
  if (req.size() < sizeof(nlmsghdr)) return Result<Ok>::Error(what_ + ": request too short");
  nlmsghdr hdr;
  std::memcpy(&hdr, req.data(), sizeof(hdr));
  hdr.nlmsg_len = static_cast<std::uint32_t>(req.size());
  hdr.nlmsg_seq = seq_++;
  std::memcpy(req.data(), &hdr, sizeof(hdr));

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return Result<Ok>::Error(what_ + ": netlink send: " + std::strerror(errno));
  }
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Result<Ok>::Error(what_ + ": netlink recv: " + std::strerror(errno));
    }
    if (n == 0) return Result<Ok>::Error(what_ + ": netlink socket closed");
    NetlinkWalk state;
    bool got_reply = false;
    const auto counting = [&](std::uint16_t type, std::span<const std::uint8_t> payload) {
      got_reply = true;
      on_message(type, payload);
    };
    if (!WalkNetlinkMessages(std::span<const std::uint8_t>(buf.data(), std::size_t(n)), state,
                             counting)) {
      return Result<Ok>::Error(what_ + ": " + state.error);
    }
    if (state.got_error_msg) {
      if (state.nl_error != 0)
        return Result<Ok>::Error(what_ + ": " + std::strerror(-state.nl_error));
      return Ok{};  // ACK
    }
    if (state.done) return Ok{};
    if (!dump && got_reply) return Ok{};
  }
}

}  // namespace tunescope::host
