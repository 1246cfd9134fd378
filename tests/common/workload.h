// Real workloads for kernel tests: loopback TCP traffic, CPU hogs and periodic sleepers in
// child processes pinned to a CPU. Everything is bounded in time and cleaned up by RAII.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tunescope::testing {

inline void PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

// A child process running `body` until it returns or the child is killed.
class ChildProcess {
 public:
  explicit ChildProcess(const std::function<void()>& body) {
    pid_ = fork();
    if (pid_ == 0) {
      body();
      _exit(0);
    }
    if (pid_ < 0) throw std::runtime_error("fork failed");
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Stop(); }
  pid_t pid() const { return pid_; }
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
};

// Spins on `cpu` for at most `limit` (the parent normally kills it sooner).
inline void CpuHog(int cpu, std::chrono::seconds limit) {
  PinToCpu(cpu);
  auto end = std::chrono::steady_clock::now() + limit;
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < end) x = x + 1;
}

// Sleeps `period` and wakes again, on `cpu`, for at most `limit`: each wakeup is one
// run-queue latency sample.
inline void PeriodicSleeper(int cpu, std::chrono::microseconds period, std::chrono::seconds limit) {
  PinToCpu(cpu);
  auto end = std::chrono::steady_clock::now() + limit;
  timespec ts{0, static_cast<long>(period.count()) * 1000};
  while (std::chrono::steady_clock::now() < end) nanosleep(&ts, nullptr);
}

// Sends `bytes` over a loopback TCP connection and returns once the receiver has read it all.
inline void LoopbackTcpTransfer(size_t bytes) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0) {
    close(listener);
    throw std::runtime_error("loopback listen failed");
  }
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread receiver([listener, bytes] {
    int conn = accept(listener, nullptr, nullptr);
    std::vector<char> buf(1 << 16);
    size_t got = 0;
    while (got < bytes) {
      ssize_t n = recv(conn, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    close(conn);
  });
  int sender = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(sender, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::vector<char> buf(1 << 14, 'x');  // small writes: many segments, many NET_RX runs
    size_t sent = 0;
    while (sent < bytes) {
      ssize_t n = send(sender, buf.data(), std::min(buf.size(), bytes - sent), 0);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  close(sender);
  receiver.join();
  close(listener);
}

}  // namespace tunescope::testing
