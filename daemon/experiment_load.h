// Running the user's load command for one phase of `tunescope experiment`.
#pragma once

#include <signal.h>

#include <functional>
#include <optional>
#include <string>

namespace tunescope::experiment {

// What one run of the load command gave.
struct LoadResult {
  double seconds = 0;                // from the end of hook `started` to hook `ended`
  std::optional<double> rate;        // "Requests/sec:" in its output (wrk)
  bool finished = false;             // exited by itself with status 0 within the time
  std::optional<int> failed_status;  // exited by itself otherwise (wait status)
  int signal = 0;                    // a termination signal arrived; the load was stopped
  std::string error;                 // could not start it
  std::string last_line;             // of its output, for error messages
};

struct LoadHooks {
  std::function<void()> started;  // right after the command started
  std::function<void()> tick;     // about every 200 ms while it runs
  std::function<void()> ended;    // when it exited, or just before it is stopped
};

// Runs `command` (sh -c, in its own process group, output captured) until it exits or
// `seconds` pass, taking `signals` with sigtimedwait meanwhile. A load still running at the
// end gets SIGINT first, on which wrk prints its summary, then SIGTERM and SIGKILL.
LoadResult RunLoad(const std::string& command, double seconds, const sigset_t& signals,
                   const LoadHooks& hooks);

}  // namespace tunescope::experiment
