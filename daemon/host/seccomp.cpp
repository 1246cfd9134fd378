#include "host/seccomp.h"

#include <string>

#include "host/text.h"

namespace tunescope::host {

std::string_view to_string(SeccompMode m) {
  switch (m) {
    case SeccompMode::kDisabled:
      return "disabled";
    case SeccompMode::kStrict:
      return "strict";
    case SeccompMode::kFilter:
      return "filter";
  }
  return "unknown";
}

Result<SeccompState> ParseSeccompStatus(std::string_view status_text, std::string_view source) {
  const std::string src(source);
  SeccompState st;
  bool seen_mode = false;
  for (auto line : SplitLines(status_text)) {
    const auto f = SplitWhitespace(line);
    if (f.size() < 2) continue;
    if (f[0] == "Seccomp:") {
      const auto v = ParseU64(f[1]);
      if (!v || *v > 2) {
        return Result<SeccompState>::Error(src + ": bad Seccomp value '" + std::string(f[1]) + "'");
      }
      st.mode = static_cast<SeccompMode>(*v);
      seen_mode = true;
    } else if (f[0] == "Seccomp_filters:") {
      const auto v = ParseU64(f[1]);
      if (!v || *v > 0x7fffffff) {
        return Result<SeccompState>::Error(src + ": bad Seccomp_filters value '" +
                                           std::string(f[1]) + "'");
      }
      st.filters = static_cast<int>(*v);
    }
  }
  if (!seen_mode) {
    return Result<SeccompState>::Error(src +
                                       ": no 'Seccomp:' line (kernel without CONFIG_SECCOMP?)");
  }
  return st;
}

Result<SeccompState> ReadSeccomp(const HostPaths& paths, int pid) {
  const std::string path = paths.proc + "/" + std::to_string(pid) + "/status";
  auto text = ReadTextFile(path);
  if (!text) return Result<SeccompState>::Error(text.error());
  return ParseSeccompStatus(*text, path);
}

}  // namespace tunescope::host
