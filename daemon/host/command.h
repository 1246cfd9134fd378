// Running a host tool (nft, iptables-save) behind a tiny interface, so the parsers are tested
// on fixture text and the collector can be given a fake runner.
#pragma once

#include <string>
#include <vector>

#include "host/result.h"

namespace tunescope::host {

struct CommandOutput {
  int exit_code = 0;
  std::string out;  // stdout; stderr is discarded
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // argv[0] is looked up in PATH and in /usr/sbin, /sbin, /usr/bin, /bin. A missing program is
  // a failure whose error says "not installed".
  virtual Result<CommandOutput> run(const std::vector<std::string>& argv) = 0;
};

// fork/exec, stdout captured (at most 64 MiB), killed after `timeout_ms`.
class SystemCommandRunner : public CommandRunner {
 public:
  explicit SystemCommandRunner(int timeout_ms = 10000) : timeout_ms_(timeout_ms) {}
  Result<CommandOutput> run(const std::vector<std::string>& argv) override;

 private:
  int timeout_ms_;
};

// Full path of an executable, or empty when not found.
std::string FindProgram(const std::string& name);

}  // namespace tunescope::host
