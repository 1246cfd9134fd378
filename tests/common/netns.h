// Network namespaces and veth pairs for the network-probe kernel tests. Every pair has names
// unique to this process, is removed by its destructor (deleting a namespace removes its veth
// end and everything configured in it), and carries traffic only between its two namespaces.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace tunescope::testing {

// Runs a shell command; returns its exit status and, if asked, its stdout.
inline int Sh(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen((cmd + (out ? "" : " >/dev/null") + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    if (out) out->append(buf, n);
  }
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline void ShOrThrow(const std::string& cmd) {
  std::string out;
  if (Sh(cmd, &out) != 0) throw std::runtime_error("`" + cmd + "` failed: " + out);
}

// Runs `fn` on a thread that has entered network namespace `ns` (/run/netns/<ns>): sockets
// it creates and BPF links it attaches belong to that namespace. Other threads are unaffected.
template <typename F>
auto InNetns(const std::string& ns, F fn) -> decltype(fn()) {
  using R = decltype(fn());
  std::string error;
  auto body = [&]() -> R {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      if (fd >= 0) close(fd);
      error = "cannot enter netns " + ns;
      return R();
    }
    close(fd);
    return fn();
  };
  R result{};
  std::thread([&] { result = body(); }).join();
  if (!error.empty()) throw std::runtime_error(error);
  return result;
}

// A child process in namespace `ns` (/run/netns/<ns>) that runs `setup` there (its sockets
// belong to the namespace) and then waits to be killed: a target server as tunescope finds
// it. Returns its pid once `setup` succeeded, or -1. The caller kills and reaps it.
template <typename F>
pid_t SpawnInNetns(const std::string& ns, F setup) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(3);
    if (!setup()) _exit(4);
    (void)!write(ready[1], "r", 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  const bool ok = pid > 0 && read(ready[0], &c, 1) == 1;
  close(ready[0]);
  if (!ok && pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  return ok ? pid : -1;
}

// Client namespace A (veth end `a_if`, 10.199.0.1) and server namespace B (`b_if`, 10.199.0.2),
// IPv6 off and static neighbour entries, so the only packets are the ones a test sends.
class VethPair {
 public:
  static constexpr const char* kClientIp = "10.199.0.1";
  static constexpr const char* kServerIp = "10.199.0.2";

  VethPair() {
    static std::atomic<int> counter{0};
    std::string id = std::to_string(getpid()) + "x" + std::to_string(counter++);
    a_ns = "tsnetA" + id;
    b_ns = "tsnetB" + id;
    a_if = "tva" + id;  // <= 15 characters for pids up to 7 digits and 99 pairs
    b_if = "tvb" + id;
    try {
      ShOrThrow("ip netns add " + a_ns);
      ShOrThrow("ip netns add " + b_ns);
      for (const std::string& ns : {a_ns, b_ns}) {
        ShOrThrow(
            "ip netns exec " + ns +
            " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
        ShOrThrow("ip -n " + ns + " link set lo up");
      }
      ShOrThrow("ip link add " + a_if + " address 02:00:0a:c7:00:01 netns " + a_ns +
                " type veth peer name " + b_if + " address 02:00:0a:c7:00:02 netns " + b_ns);
      ShOrThrow("ip -n " + a_ns + " addr add " + kClientIp + "/24 dev " + a_if);
      ShOrThrow("ip -n " + b_ns + " addr add " + kServerIp + "/24 dev " + b_if);
      ShOrThrow("ip -n " + a_ns + " link set " + a_if + " up");
      ShOrThrow("ip -n " + b_ns + " link set " + b_if + " up");
      ShOrThrow("ip -n " + a_ns + " neigh replace " + kServerIp + " lladdr 02:00:0a:c7:00:02 dev " +
                a_if + " nud permanent");
      ShOrThrow("ip -n " + b_ns + " neigh replace " + kClientIp + " lladdr 02:00:0a:c7:00:01 dev " +
                b_if + " nud permanent");
    } catch (...) {
      Remove();
      throw;
    }
  }
  VethPair(const VethPair&) = delete;
  VethPair& operator=(const VethPair&) = delete;
  ~VethPair() { Remove(); }

  std::string a_ns, b_ns, a_if, b_if;

 private:
  void Remove() {
    Sh("ip netns del " + a_ns);
    Sh("ip netns del " + b_ns);
  }
};

inline sockaddr_in Ipv4(const char* ip, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, ip, &addr.sin_addr);
  return addr;
}

// An owned socket created in namespace `ns`.
class NsSocket {
 public:
  NsSocket(const std::string& ns, int type) {
    fd_ = InNetns(ns, [type] { return socket(AF_INET, type | SOCK_CLOEXEC, 0); });
    if (fd_ < 0) throw std::runtime_error("socket in " + ns);
  }
  NsSocket(const NsSocket&) = delete;
  NsSocket& operator=(const NsSocket&) = delete;
  ~NsSocket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  void Bind(const char* ip, uint16_t port) {
    sockaddr_in addr = Ipv4(ip, port);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("bind");
    }
  }

 private:
  int fd_ = -1;
};

// Sends `count` UDP datagrams of `size` bytes to ip:port; returns how many were sent.
inline int SendUdp(int fd, const char* ip, uint16_t port, int count, size_t size = 64) {
  sockaddr_in to = Ipv4(ip, port);
  std::string payload(size, 'x');
  int sent = 0;
  for (int i = 0; i < count; ++i) {
    if (sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof(to)) == static_cast<ssize_t>(payload.size())) {
      ++sent;
    }
  }
  return sent;
}

}  // namespace tunescope::testing
