// `tunescope serve` run inside a test's network namespace, for the kernel tests that check the
// daemon itself (its includers define TUNESCOPE_BINARY, tests/kernel/CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "netns.h"

namespace tunescope::testing {

// GET /metrics from 127.0.0.1:port in namespace ns; empty when nothing answers.
inline std::string ScrapeInNetns(const std::string& ns, uint16_t port) {
  return InNetns(ns, [port]() -> std::string {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Ipv4("127.0.0.1", port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return "";
    }
    std::string req = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[16384];
    for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;)
      out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
  });
}

// `serve` with default flags and `flags` in namespace `ns`, answering on 127.0.0.1:port there;
// stopped with SIGTERM and reaped when it goes out of scope, unless Kill() came first.
class ServeInNetns {
 public:
  ServeInNetns(const std::string& ns, uint16_t port, std::vector<std::string> flags = {})
      : ns_(ns), port_(port) {
    std::vector<std::string> args{"ip",
                                  "netns",
                                  "exec",
                                  ns,
                                  TUNESCOPE_BINARY,
                                  "serve",
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      execvp("ip", argv.data());
      _exit(127);
    }
  }
  ServeInNetns(const ServeInNetns&) = delete;
  ServeInNetns& operator=(const ServeInNetns&) = delete;
  // A daemon that does not stop on SIGTERM fails the test that started it.
  ~ServeInNetns() {
    const int status = Kill(SIGTERM);
    if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ADD_FAILURE() << "tunescope serve did not stop within 20 s of SIGTERM";
    }
  }

  bool started() const { return pid_ > 0; }
  // Sends `signal` and reaps the daemon (`ip netns exec` execs it in place, so the pid is the
  // daemon's); its wait status, or -1 when it was not running or could not be reaped. A daemon
  // still there after 20 s is killed with SIGKILL, so that a hung shutdown cannot hang the test.
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    pid_t reaped = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while ((reaped = waitpid(pid_, &status, WNOHANG)) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        reaped = waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return reaped > 0 ? status : -1;
  }
  // The first scrape that lists the probes (empty when the daemon never answered).
  std::string FirstMetrics() const {
    std::string metrics;
    for (int i = 0;
         pid_ > 0 && i < 100 && metrics.find("tunescope_probe_info") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      metrics = Scrape();
    }
    return metrics;
  }
  std::string Scrape() const { return ScrapeInNetns(ns_, port_); }

 private:
  std::string ns_;
  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace tunescope::testing
