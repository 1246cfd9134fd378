// A declarative table of --flags for one subcommand: each flag has a help line and a setter that
// validates its value, so every usage error is one line naming the flag.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "host/result.h"

namespace tunescope::cli {

struct ParseOutcome {
  enum Kind { kRun, kHelp, kUsageError } kind = kRun;
  std::string error;  // for kUsageError: one line, no trailing newline
};

class FlagParser {
 public:
  using Setter = std::function<Status(std::string_view value)>;

  // A flag that takes a value: --name=VALUE or --name VALUE. Repeatable when the setter appends.
  void Add(std::string name, std::string value_name, std::string help, Setter set);
  // A switch without value: --name.
  void AddSwitch(std::string name, std::string help, bool* target);
  // Runs after every flag parsed (not for --help): checks across flags or against the host.
  // An error is a usage error; a check may also just warn.
  void AddCheck(std::function<Status()> check);

  ParseOutcome Parse(std::span<const std::string_view> args) const;
  std::string Help() const;

 private:
  struct Flag {
    std::string name;
    std::string value_name;  // empty for switches
    std::string help;
    Setter set;
  };
  const Flag* Find(std::string_view name) const;
  std::vector<Flag> flags_;
  std::vector<std::function<Status()>> checks_;
};

// Parses a subcommand's flags; prints --help or a one-line usage error. Returns the exit code
// when the command should stop here (0 after help, 2 after a usage error).
std::optional<int> ParseCommand(const FlagParser& parser, std::span<const std::string_view> args,
                                std::string_view command, std::string_view usage);

// Value parsers shared by the subcommands; errors name the flag.
Status ParseUint(std::string_view flag, std::string_view value, uint64_t min, uint64_t max,
                 uint64_t& out);
// Every duration here is a window, an interval or a measurement: a week is past any of them, and
// larger values overflow the counters that show progress. A flag with another bound passes it.
inline constexpr double kMaxDurationSeconds = 7 * 24 * 3600;
// A Prometheus-style duration (500ms, 30s, 5m, 1h; a bare number is seconds) in seconds, unbounded
// (zero included); nullopt when `value` has another form.
std::optional<double> DurationSeconds(std::string_view value);
Status ParseDurationSeconds(std::string_view flag, std::string_view value, double& out,
                            double max_seconds = kMaxDurationSeconds);
// Splits "a,b,c" (empty items are an error).
Status SplitList(std::string_view flag, std::string_view value, std::vector<std::string>& out);

}  // namespace tunescope::cli
