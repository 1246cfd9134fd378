#include "host/pids_limit.h"

#include <vector>

#include "host/text.h"

namespace tunescope::host {
namespace {

// The pids controller's directory for this process: cgroup v1 ("N:pids,...:/path") or the
// unified hierarchy ("0::/path") when /sys/fs/cgroup is cgroup2.
std::optional<std::pair<std::string, std::string>> PidsCgroup(std::string_view self_cgroup,
                                                              const HostPaths& paths) {
  const std::string root = paths.sys + "/fs/cgroup";
  std::optional<std::pair<std::string, std::string>> unified;
  for (std::string_view line : SplitLines(self_cgroup)) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (controllers.empty()) {
      unified = {root, path};
      continue;
    }
    for (std::string_view rest = controllers; !rest.empty();) {
      auto comma = rest.find(',');
      if (rest.substr(0, comma) == "pids") return std::pair{root + "/pids", path};
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return unified;
}

std::optional<std::uint64_t> ReadCount(const std::string& file) {
  auto text = ReadTextFile(file);
  if (!text) return std::nullopt;
  return ParseU64(Trim(*text));  // "max" parses to nothing: no limit at this level
}

}  // namespace

std::optional<PidsHeadroom> PidsHeadroomOf(std::string_view self_cgroup, const HostPaths& paths) {
  auto where = PidsCgroup(self_cgroup, paths);
  if (!where) return std::nullopt;
  std::optional<PidsHeadroom> tightest;
  // The process's cgroup and each ancestor up to the mount: every level's limit applies.
  for (std::string path = where->second;;) {
    const std::string dir = where->first + (path == "/" ? "" : path);
    auto max = ReadCount(dir + "/pids.max");
    auto current = ReadCount(dir + "/pids.current");
    if (max && current) {
      std::uint64_t left = *max > *current ? *max - *current : 0;
      if (!tightest || left < tightest->tasks) tightest = PidsHeadroom{left, *max, dir};
    }
    if (path.empty() || path == "/") break;
    auto slash = path.rfind('/');
    path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
  return tightest;
}

std::optional<PidsHeadroom> ReadPidsHeadroom(const HostPaths& paths) {
  auto self = ReadTextFile(paths.proc + "/self/cgroup");
  if (!self) return std::nullopt;
  return PidsHeadroomOf(*self, paths);
}

}  // namespace tunescope::host
