#include "experiment_load.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "experiment.h"
#include "host/background_command.h"
#include "host/result.h"

namespace tunescope::experiment {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

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
  host::BackgroundCommand run(command);
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
      return result;  // the destructor stops the load
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
