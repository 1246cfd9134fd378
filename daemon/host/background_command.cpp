#include "host/background_command.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>

namespace tunescope::host {

BackgroundCommand::BackgroundCommand(const std::string& command) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid_ < 0) {
    ::close(fds[0]);
    return;
  }
  ::setpgid(pid_, pid_);
  pgid_ = pid_;
  fd_ = fds[0];
  ::fcntl(fd_, F_SETFL, O_NONBLOCK);
}

bool BackgroundCommand::Poll() {
  Drain();
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    pid_ = -1;
    Drain();
    return false;
  }
  return true;
}

void BackgroundCommand::Stop() {
  if (pid_ <= 0 && fd_ < 0) return;  // stopped before
  if (pid_ > 0) stopped_ = true;
  for (int sig : {SIGINT, SIGTERM, SIGKILL}) {
    if (pid_ <= 0 && eof_) break;
    if (pgid_ > 0) ::kill(-pgid_, sig);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while ((Poll() || !eof_) && std::chrono::steady_clock::now() < deadline) ::usleep(20000);
  }
  if (pid_ > 0) {
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void BackgroundCommand::Drain() {
  if (fd_ < 0) return;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd_, buf, sizeof(buf))) > 0) {
    output_.append(buf, static_cast<size_t>(n));
    if (output_.size() > (1 << 20)) output_.erase(0, output_.size() - (1 << 19));
  }
  if (n == 0) eof_ = true;
}

}  // namespace tunescope::host
