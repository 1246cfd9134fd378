#include "host/sockstat.h"

#include "host/text.h"

namespace tunescope::host {

Result<SockStat> ParseSockstat(std::string_view text, std::string_view source) {
  const std::string src(source);
  SockStat s;
  const auto lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto f = SplitWhitespace(lines[i]);
    if (f.empty()) continue;
    const std::string where = src + ": line " + std::to_string(i + 1);
    if (f[0].size() < 2 || f[0].back() != ':' || f.size() % 2 == 0) {
      return Result<SockStat>::Error(where + ": expected 'PROTO: key value ...'");
    }
    const std::string proto(f[0].substr(0, f[0].size() - 1));
    for (std::size_t k = 1; k + 1 < f.size(); k += 2) {
      const auto v = ParseU64(f[k + 1]);
      if (!v) {
        return Result<SockStat>::Error(where + ": bad value '" + std::string(f[k + 1]) + "' for " +
                                       std::string(f[k]));
      }
      s.all[proto + "." + std::string(f[k])] = *v;
    }
  }
  if (s.all.empty()) return Result<SockStat>::Error(src + ": no counters");
  const auto get = [&](const char* key) -> std::optional<std::uint64_t> {
    const auto it = s.all.find(std::string_view(key));
    if (it == s.all.end()) return std::nullopt;
    return it->second;
  };
  s.sockets_used = get("sockets.used");
  s.tcp_inuse = get("TCP.inuse");
  s.tcp_orphan = get("TCP.orphan");
  s.tcp_tw = get("TCP.tw");
  s.tcp_alloc = get("TCP.alloc");
  s.tcp_mem_pages = get("TCP.mem");
  s.udp_inuse = get("UDP.inuse");
  return s;
}

Result<SockStat> ReadSockstat(const HostPaths& paths) {
  const std::string path = paths.Net() + "/sockstat";
  auto text = ReadTextFile(path);
  if (!text) return Result<SockStat>::Error(text.error());
  return ParseSockstat(*text, path);
}

}  // namespace tunescope::host
