#include "listener.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

namespace refserver {
namespace {

std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

std::vector<UniqueFd> OpenListeners(const sockaddr_storage& addr, socklen_t addr_len, int count,
                                    bool reuseport, std::string& error) {
  std::vector<UniqueFd> fds;
  sockaddr_storage bind_addr = addr;
  for (int i = 0; i < count; ++i) {
    UniqueFd fd(::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
      error = ErrnoText("socket");
      return {};
    }
    const int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (reuseport && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)) {
      error = ErrnoText("setsockopt(SO_REUSEADDR/SO_REUSEPORT)");
      return {};
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&bind_addr), addr_len) != 0) {
      error = ErrnoText("bind");
      return {};
    }
    if (::listen(fd.get(), SOMAXCONN) != 0) {
      error = ErrnoText("listen");
      return {};
    }
    if (i == 0) {
      // Port 0: the kernel chose one; the rest of the group must bind the same.
      socklen_t len = sizeof(bind_addr);
      if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bind_addr), &len) != 0) {
        error = ErrnoText("getsockname");
        return {};
      }
    }
    fds.push_back(std::move(fd));
  }
  return fds;
}

bool AttachCpuSteering(int fd, std::span<const int> socket_cpus, std::string& error) {
  // A = this CPU; then one compare per socket: if A == cpu_i return i. Unlisted CPUs return an
  // out-of-range index, which makes the kernel fall back to its hash.
  std::vector<sock_filter> code;
  code.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<__u32>(SKF_AD_OFF + SKF_AD_CPU)));
  for (std::size_t i = 0; i < socket_cpus.size(); ++i) {
    bool seen = false;  // a CPU listed twice (more workers than CPUs) goes to its first socket
    for (std::size_t j = 0; j < i; ++j) seen = seen || socket_cpus[j] == socket_cpus[i];
    if (seen) continue;
    code.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<__u32>(socket_cpus[i]), 0, 1));
    code.push_back(BPF_STMT(BPF_RET | BPF_K, static_cast<__u32>(i)));
  }
  code.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffffffffU));
  if (code.size() > BPF_MAXINSNS) {
    error = "SO_ATTACH_REUSEPORT_CBPF: too many CPUs for one classic BPF program";
    return false;
  }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(code.size());
  prog.filter = code.data();
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0) {
    error = ErrnoText("setsockopt(SO_ATTACH_REUSEPORT_CBPF)");
    return false;
  }
  return true;
}

std::string LocalAddressText(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
    std::string text = "[";  // built piecewise: GCC 12 warns (-Wrestrict) on "[" + string
    text += host;
    text += "]:";
    text += std::to_string(ntohs(a6->sin6_port));
    return text;
  }
  const auto* a4 = reinterpret_cast<const sockaddr_in*>(&addr);
  ::inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
  return std::string(host) + ":" + std::to_string(ntohs(a4->sin_port));
}

}  // namespace refserver
