#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace tunescope::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::mutex g_write_mutex;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "?";
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view name) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == LevelName(l)) return l;
  }
  return std::nullopt;
}

void SetLevel(Level level) {
  g_level.store(level);
}
bool Enabled(Level level) {
  return level >= g_level.load();
}

void Write(Level level, std::string_view message) {
  if (!Enabled(level)) return;
  std::lock_guard lock(g_write_mutex);
  std::fprintf(stderr, "level=%s msg=\"%.*s\"\n", LevelName(level),
               static_cast<int>(message.size()), message.data());
}

}  // namespace tunescope::log
