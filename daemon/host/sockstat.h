// /proc/net/sockstat: "TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 251" and similar lines.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct SockStat {
  std::optional<std::uint64_t> sockets_used;  // "sockets: used N"
  std::optional<std::uint64_t> tcp_inuse;
  std::optional<std::uint64_t> tcp_orphan;
  std::optional<std::uint64_t> tcp_tw;  // TIME_WAIT sockets
  std::optional<std::uint64_t> tcp_alloc;
  std::optional<std::uint64_t> tcp_mem_pages;  // in pages, as the kernel prints it
  std::optional<std::uint64_t> udp_inuse;
  // Every "PROTO: key value ..." pair, keyed "TCP.inuse", "FRAG.memory", ...
  std::map<std::string, std::uint64_t, std::less<>> all;
};

Result<SockStat> ParseSockstat(std::string_view text,
                               std::string_view source = "/proc/net/sockstat");
Result<SockStat> ReadSockstat(const HostPaths& paths);

}  // namespace tunescope::host
