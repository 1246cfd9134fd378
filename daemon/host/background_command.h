// A shell command running in the background in its own process group, its output captured:
// the user's load of `tunescope experiment`. A Ctrl-C on the terminal reaches only tunescope,
// which stops the group itself. host/command.h runs a tool to completion instead.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace tunescope::host {

class BackgroundCommand {
 public:
  explicit BackgroundCommand(const std::string& command);  // /bin/sh -c command
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;
  ~BackgroundCommand() { Stop(); }

  bool started() const { return pgid_ > 0; }
  // Reads output; true while the command runs.
  bool Poll();
  // SIGINT to the group, then SIGTERM, then SIGKILL, each after a grace period; the output is
  // read until every process of the group closed it (a shell may exit before its wrk has
  // printed its summary).
  void Stop();
  bool stopped() const { return stopped_; }                   // Stop() found it running
  std::optional<int> exit_status() const { return status_; }  // waitpid status, if it exited
  const std::string& output() const { return output_; }       // the last ~1 MiB

 private:
  void Drain();
  pid_t pid_ = -1;
  pid_t pgid_ = -1;
  int fd_ = -1;
  bool eof_ = false;
  bool stopped_ = false;
  std::optional<int> status_;
  std::string output_;
};

}  // namespace tunescope::host
