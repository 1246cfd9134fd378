#include "experiment_load.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/status.h"
#include "experiment.h"

namespace tunescope::experiment {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The user's load command in its own process group (a Ctrl-C on the terminal reaches only
// tunescope, which stops the load itself), output captured.
class LoadRun {
 public:
  explicit LoadRun(const std::string& command) {
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
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;
  ~LoadRun() { Stop(); }

  bool started() const { return pgid_ > 0; }
  // Reads output; true while the command runs.
  bool Poll() {
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
  // SIGINT to the group, then SIGTERM, then SIGKILL, each after a grace period; the output
  // is read until every process of the group closed it (a shell may exit before its wrk
  // has printed its summary).
  void Stop() {
    if (pid_ <= 0 && fd_ < 0) return;  // stopped before
    if (pid_ > 0) stopped_ = true;
    for (int sig : {SIGINT, SIGTERM, SIGKILL}) {
      if (pid_ <= 0 && eof_) break;
      if (pgid_ > 0) ::kill(-pgid_, sig);
      auto deadline = Clock::now() + std::chrono::seconds(2);
      while ((Poll() || !eof_) && Clock::now() < deadline) ::usleep(20000);
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
  bool stopped() const { return stopped_; }
  std::optional<int> exit_status() const { return status_; }
  const std::string& output() const { return output_; }

 private:
  void Drain() {
    if (fd_ < 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof(buf))) > 0) {
      output_.append(buf, static_cast<size_t>(n));
      if (output_.size() > (1 << 20)) output_.erase(0, output_.size() - (1 << 19));
    }
    if (n == 0) eof_ = true;
  }
  pid_t pid_ = -1;
  pid_t pgid_ = -1;
  int fd_ = -1;
  bool eof_ = false;
  bool stopped_ = false;
  std::optional<int> status_;
  std::string output_;
};

std::string LastLine(const std::string& s) {
  std::string_view v(s);
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  auto nl = v.rfind('\n');
  return std::string(nl == std::string_view::npos ? v : v.substr(nl + 1));
}

}  // namespace

LoadResult RunLoad(const std::string& command, double seconds, const sigset_t& signals,
                   const LoadHooks& hooks) {
  LoadResult result;
  LoadRun run(command);
  if (!run.started()) {
    result.error = ErrnoMessage("start the load command", errno);
    return result;
  }
  // SIGCHLD (blocked, so that sigtimedwait takes it) ends the wait as soon as the load exits:
  // a load that finishes by itself is timed to the millisecond, not to the next tick.
  sigset_t wait_for = signals;
  sigaddset(&wait_for, SIGCHLD);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, nullptr);
  if (hooks.started) hooks.started();
  Clock::time_point start = Clock::now();  // after the hook's reads, which may be slow
  while (Since(start) < seconds && run.Poll()) {
    double left = seconds - Since(start);
    long ns = static_cast<long>(std::min(left, 0.2) * 1e9);
    timespec timeout{0, std::max(ns, 1000000L)};
    int sig = sigtimedwait(&wait_for, nullptr, &timeout);
    if (sig == SIGCHLD) continue;  // Poll reaps it
    if (sig > 0) {
      result.signal = sig;
      return result;  // LoadRun's destructor stops the load
    }
    if (hooks.tick) hooks.tick();
  }
  if (hooks.ended) hooks.ended();
  result.seconds = Since(start);
  run.Stop();
  if (!run.stopped() && run.exit_status()) {
    int status = *run.exit_status();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      result.finished = true;
    } else {
      result.failed_status = status;
    }
  }
  double rate = ParseRequestsPerSecond(run.output());
  if (rate >= 0) result.rate = rate;
  result.last_line = LastLine(run.output());
  return result;
}

}  // namespace tunescope::experiment
