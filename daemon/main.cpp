// tunescope: measures where an API server's CPU time and latency go in the kernel's network
// path and ranks the documented tunings by predicted payoff.
#include <bpf/libbpf.h>

#include <exception>
#include <iostream>
#include <span>
#include <string_view>
#include <vector>

#include "advise.h"
#include "experiment.h"
#include "serve.h"
#include "version.h"

namespace {

constexpr const char* kUsage =
    "usage: tunescope [COMMAND] [flags]\n\n"
    "commands:\n"
    "  serve       run the daemon: probes + /metrics + /advice (the default command)\n"
    "  advise      measure for a while, then rank the documented tunings by predicted payoff\n"
    "  experiment  apply one reversible tuning under a load, measure before/after, revert\n"
    "  help        show this help (tunescope COMMAND --help shows a command's flags)\n"
    "  version     print the version\n";

int Dispatch(std::span<const std::string_view> args, std::string_view command) {
  if (command == "serve") return tunescope::RunServe(args);
  if (command == "advise") return tunescope::RunAdvise(args);
  if (command == "experiment") return tunescope::RunExperiment(args);
  if (command == "version") {
    std::cout << "tunescope " << tunescope::kVersion << " (libbpf " << libbpf_version_string()
              << ")\n";
    return 0;
  }
  if (command == "help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "tunescope: unknown command \"" << command << "\" (see tunescope --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string_view command = "serve";
  if (!args.empty() && !args.front().starts_with("--")) {
    command = args.front();
    args.erase(args.begin());
  } else if (!args.empty() && (args.front() == "--version")) {
    command = "version";
  } else if (args.size() == 1 && args.front() == "--help") {
    command = "help";
  }
  return Dispatch(args, command);
} catch (const std::exception& e) {
  // A resource the process could not get (a thread under a pids limit, memory): one line and
  // a non-zero exit; the probes' links and fds close with the process.
  std::cerr << "tunescope: " << e.what() << "\n";
  return 1;
}
