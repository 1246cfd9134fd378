// Leveled logging to stderr, one line per message (journald and kubectl logs read it as is).
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace tunescope::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

std::optional<Level> ParseLevel(std::string_view name);
void SetLevel(Level level);
bool Enabled(Level level);
void Write(Level level, std::string_view message);

// Collects one message and writes it when the statement ends.
class Line {
 public:
  explicit Line(Level level) : level_(level) {}
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line() { Write(level_, out_.str()); }
  template <typename T>
  Line& operator<<(const T& value) {
    out_ << value;
    return *this;
  }

 private:
  Level level_;
  std::ostringstream out_;
};

}  // namespace tunescope::log

// A for statement rather than an if, so that TS_LOG inside an unbraced if/else stays unambiguous.
#define TS_LOG(level)                                                                 \
  for (bool ts_log_once_ = ::tunescope::log::Enabled(::tunescope::log::Level::level); \
       ts_log_once_; ts_log_once_ = false)                                            \
  ::tunescope::log::Line(::tunescope::log::Level::level)
