// Test harness for refserver behaviour tests: starts the real binary on a free loopback port and
// talks HTTP to it over plain sockets.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace refserver::testing {

using Clock = std::chrono::steady_clock;

// Reads everything from fd until EOF or the deadline.
inline std::string ReadAll(int fd, Clock::time_point deadline) {
  std::string out;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<long>(left, 1))) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

struct ExitResult {
  int exit_code = -1;  // -1 if killed by a signal or not exited
  std::string out;
  std::string err;
};

// Runs refserver with `args` and waits for it to exit (kills it after `timeout`).
inline ExitResult RunToExit(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> argv;
    std::string bin = REFSERVER_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ExitResult r;
  const auto deadline = Clock::now() + timeout;
  r.out = ReadAll(out_pipe[0], deadline);
  r.err = ReadAll(err_pipe[0], deadline);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return r;
    }
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

// A running refserver on 127.0.0.1:<random port>. Stopped with SIGTERM on destruction.
class Server {
 public:
  Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() {
    if (pid_ > 0) Stop();
  }

  // Starts the server; false (with the reason in error()) if it did not report listening.
  bool Start(const std::vector<std::string>& extra_args) {
    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out_pipe[1], 1);
      std::vector<std::string> args = {REFSERVER_BINARY, "--listen", "127.0.0.1:0"};
      args.insert(args.end(), extra_args.begin(), extra_args.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(REFSERVER_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    // First stdout line: "refserver: listening on 127.0.0.1:PORT, N workers".
    std::string line;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    char c;
    while (Clock::now() < deadline) {
      pollfd p{out_pipe[0], POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (::read(out_pipe[0], &c, 1) != 1 || c == '\n') break;
      line += c;
    }
    ::close(out_pipe[0]);
    const std::string marker = "listening on 127.0.0.1:";
    const std::size_t at = line.find(marker);
    if (at == std::string::npos) {
      error_ = "no listening line, got '" + line + "'";
      return false;
    }
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(at + marker.size())));
    banner_ = line;
    return true;
  }

  // Sends `sig` and returns the exit code (-1 if it did not exit within 5 s or was killed).
  int Stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool Alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }
  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  const std::string& banner() const { return banner_; }
  const std::string& error() const { return error_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string banner_;
  std::string error_;
};

struct HttpResponse {
  int status = 0;
  std::string status_line;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::size_t Count(const std::string& lower_name) const { return headers.count(lower_name); }
};

// One client connection with a read buffer.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length framed; HEAD responses have no body when head=true).
  std::optional<HttpResponse> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                   bool head = false) {
    const auto deadline = Clock::now() + timeout;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    HttpResponse r;
    std::string_view head_text(buf_.data(), end);
    const std::size_t first_eol = head_text.find("\r\n");
    r.status_line = std::string(head_text.substr(0, first_eol));
    if (r.status_line.size() < 12 || !r.status_line.starts_with("HTTP/1.1 ")) return std::nullopt;
    r.status = std::stoi(r.status_line.substr(9, 3));
    std::size_t pos = first_eol == std::string_view::npos ? head_text.size() : first_eol + 2;
    while (pos < head_text.size()) {
      std::size_t eol = head_text.find("\r\n", pos);
      if (eol == std::string_view::npos) eol = head_text.size();
      const std::string_view line = head_text.substr(pos, eol - pos);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      std::string name(line.substr(0, colon));
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace(name, std::string(value));
      pos = eol + 2;
    }
    const std::size_t length = head ? 0 : std::stoul("0" + r.Header("content-length"));
    while (buf_.size() < end + 4 + length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    r.body = buf_.substr(end + 4, length);
    buf_.erase(0, end + 4 + length);
    return r;
  }

  // True if the server closes the connection (EOF or reset) within `timeout`, having sent
  // nothing more than what is already buffered.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char c[512];
      const ssize_t n = ::recv(fd_, c, sizeof(c), 0);
      if (n <= 0) return true;
      buf_.append(c, static_cast<std::size_t>(n));
    }
    return false;
  }

  const std::string& buffered() const { return buf_; }

 private:
  bool Fill(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char c[8192];
    const ssize_t n = ::recv(fd_, c, sizeof(c), 0);
    if (n <= 0) return false;
    buf_.append(c, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

inline std::string Get(std::string_view path, std::string_view extra_headers = {}) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

}  // namespace refserver::testing
