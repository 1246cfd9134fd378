#include "core/flag_parser.h"

#include <charconv>
#include <iostream>
#include <limits>

namespace tunescope::cli {

void FlagParser::Add(std::string name, std::string value_name, std::string help, Setter set) {
  flags_.push_back({std::move(name), std::move(value_name), std::move(help), std::move(set)});
}

void FlagParser::AddSwitch(std::string name, std::string help, bool* target) {
  flags_.push_back({std::move(name), "", std::move(help), [target](std::string_view) {
                      *target = true;
                      return Status();
                    }});
}

void FlagParser::AddCheck(std::function<Status()> check) {
  checks_.push_back(std::move(check));
}

const FlagParser::Flag* FlagParser::Find(std::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

ParseOutcome FlagParser::Parse(std::span<const std::string_view> args) const {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return {ParseOutcome::kHelp, ""};
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return {ParseOutcome::kUsageError, "unexpected argument \"" + std::string(arg) + "\""};
    }
    std::string_view body = arg.substr(2);
    std::string_view name = body;
    std::string_view value;
    bool has_inline_value = false;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_inline_value = true;
    }
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return {ParseOutcome::kUsageError, "unknown flag --" + std::string(name)};
    }
    if (flag->value_name.empty()) {
      if (has_inline_value) {
        return {ParseOutcome::kUsageError, "flag --" + flag->name + " takes no value"};
      }
    } else if (!has_inline_value) {
      if (i + 1 >= args.size()) {
        return {ParseOutcome::kUsageError, "flag --" + flag->name + " needs a value"};
      }
      value = args[++i];
    }
    if (Status s = flag->set(value); !s.ok()) return {ParseOutcome::kUsageError, s.error()};
  }
  for (const auto& check : checks_) {
    if (Status s = check(); !s.ok()) return {ParseOutcome::kUsageError, s.error()};
  }
  return {ParseOutcome::kRun, ""};
}

std::string FlagParser::Help() const {
  std::string out;
  for (const Flag& f : flags_) {
    std::string left = "  --" + f.name + (f.value_name.empty() ? "" : "=" + f.value_name);
    if (left.size() < 34) {
      left.resize(34, ' ');
    } else {
      left += "\n" + std::string(34, ' ');
    }
    out += left + f.help + "\n";
  }
  return out;
}

std::optional<int> ParseCommand(const FlagParser& parser, std::span<const std::string_view> args,
                                std::string_view command, std::string_view usage) {
  ParseOutcome parsed = parser.Parse(args);
  switch (parsed.kind) {
    case ParseOutcome::kHelp:
      std::cout << usage << parser.Help();
      return 0;
    case ParseOutcome::kUsageError:
      std::cerr << "tunescope " << command << ": " << parsed.error << " (see tunescope " << command
                << " --help)\n";
      return 2;
    case ParseOutcome::kRun:
      break;
  }
  return std::nullopt;
}

Status ParseUint(std::string_view flag, std::string_view value, uint64_t min, uint64_t max,
                 uint64_t& out) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || v < min ||
      v > max) {
    return Status::Error("flag --" + std::string(flag) + ": \"" + std::string(value) +
                         "\" is not a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max));
  }
  out = v;
  return {};
}

std::optional<double> DurationSeconds(std::string_view value) {
  struct Unit {
    std::string_view suffix;
    double seconds;
  };
  static constexpr Unit kUnits[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  std::string_view number = value;
  double scale = 1;
  for (const Unit& u : kUnits) {
    if (value.size() > u.suffix.size() &&
        value.substr(value.size() - u.suffix.size()) == u.suffix) {
      number = value.substr(0, value.size() - u.suffix.size());
      scale = u.seconds;
      break;
    }
  }
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (number.empty() || end != number.data() + number.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<double>::infinity();
  if (ec != std::errc()) return std::nullopt;
  return static_cast<double>(n) * scale;
}

Status ParseDurationSeconds(std::string_view flag, std::string_view value, double& out,
                            double max_seconds) {
  const std::string what = "flag --" + std::string(flag) + ": \"" + std::string(value) + "\" ";
  std::optional<double> seconds = DurationSeconds(value);
  if (!seconds) {
    return Status::Error(what + "is not a whole number of ms, s, m or h (like 500ms, 30s or 5m)");
  }
  if (*seconds > max_seconds) {
    return Status::Error(what + "is longer than " +
                         std::to_string(static_cast<long long>(max_seconds / 3600)) + "h");
  }
  if (*seconds == 0) return Status::Error(what + "is not a positive duration");
  out = *seconds;
  return {};
}

Status SplitList(std::string_view flag, std::string_view value, std::vector<std::string>& out) {
  size_t start = 0;
  while (true) {
    size_t comma = value.find(',', start);
    std::string_view item =
        value.substr(start, comma == std::string_view::npos ? value.npos : comma - start);
    if (item.empty()) {
      return Status::Error("flag --" + std::string(flag) + ": empty item in \"" +
                           std::string(value) + "\"");
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return {};
}

}  // namespace tunescope::cli
