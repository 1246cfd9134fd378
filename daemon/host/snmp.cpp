#include "host/snmp.h"

#include <vector>

#include "host/text.h"

namespace tunescope::host {

std::optional<std::int64_t> CounterTable::get(std::string_view prefix,
                                              std::string_view name) const {
  const auto g = groups.find(prefix);
  if (g == groups.end()) return std::nullopt;
  const auto v = g->second.find(name);
  if (v == g->second.end()) return std::nullopt;
  return v->second;
}

Result<CounterTable> ParseCounterPairs(std::string_view text, std::string_view source) {
  const std::string src(source);
  CounterTable table;
  std::vector<std::string_view> lines;
  for (auto l : SplitLines(text)) {
    if (!Trim(l).empty()) lines.push_back(l);
  }
  if (lines.empty()) return Result<CounterTable>::Error(src + ": empty");
  if (lines.size() % 2 != 0) {
    return Result<CounterTable>::Error(src +
                                       ": odd number of lines; a header has no value line "
                                       "(truncated?)");
  }
  for (std::size_t i = 0; i < lines.size(); i += 2) {
    const auto names = SplitWhitespace(lines[i]);
    const auto values = SplitWhitespace(lines[i + 1]);
    const std::string where = src + ": line " + std::to_string(i + 1);
    if (names.empty() || names[0].size() < 2 || names[0].back() != ':') {
      return Result<CounterTable>::Error(where + ": expected 'Prefix: names...'");
    }
    if (values.empty() || values[0] != names[0]) {
      return Result<CounterTable>::Error(where + ": value line does not start with '" +
                                         std::string(names[0]) + "'");
    }
    if (names.size() != values.size()) {
      return Result<CounterTable>::Error(where + ": " + std::to_string(names.size() - 1) +
                                         " names but " + std::to_string(values.size() - 1) +
                                         " values (truncated?)");
    }
    auto& group = table.groups[std::string(names[0].substr(0, names[0].size() - 1))];
    for (std::size_t k = 1; k < names.size(); ++k) {
      const auto v = ParseI64(values[k]);
      if (!v) {
        // Very large unsigned counters would not fit; say so rather than wrap.
        return Result<CounterTable>::Error(where + ": bad value '" + std::string(values[k]) +
                                           "' for " + std::string(names[k]));
      }
      group[std::string(names[k])] = *v;
    }
  }
  return table;
}

namespace {

Result<CounterTable> ReadPairs(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return Result<CounterTable>::Error(text.error());
  return ParseCounterPairs(*text, path);
}

}  // namespace

Result<CounterTable> ReadNetstat(const HostPaths& paths) {
  return ReadPairs(paths.Net() + "/netstat");
}

Result<CounterTable> ReadSnmp(const HostPaths& paths) {
  return ReadPairs(paths.Net() + "/snmp");
}

TcpCounters TcpCountersOf(const CounterTable& netstat, const CounterTable& snmp) {
  TcpCounters c;
  c.listen_overflows = netstat.get("TcpExt", "ListenOverflows");
  c.listen_drops = netstat.get("TcpExt", "ListenDrops");
  c.backlog_drops = netstat.get("TcpExt", "TCPBacklogDrop");
  c.req_q_full_drops = netstat.get("TcpExt", "TCPReqQFullDrop");
  c.syncookies_sent = netstat.get("TcpExt", "SyncookiesSent");
  c.syn_retrans = netstat.get("TcpExt", "TCPSynRetrans");
  c.timewait_overflow = netstat.get("TcpExt", "TCPTimeWaitOverflow");
  c.busy_poll_rx_packets = netstat.get("TcpExt", "BusyPollRxPackets");
  c.retrans_segs = snmp.get("Tcp", "RetransSegs");
  c.out_segs = snmp.get("Tcp", "OutSegs");
  c.in_segs = snmp.get("Tcp", "InSegs");
  c.passive_opens = snmp.get("Tcp", "PassiveOpens");
  c.active_opens = snmp.get("Tcp", "ActiveOpens");
  c.curr_estab = snmp.get("Tcp", "CurrEstab");
  return c;
}

TcpCounters ReadTcpCounters(const HostPaths& paths) {
  const CounterTable empty;
  auto netstat = ReadNetstat(paths);
  auto snmp = ReadSnmp(paths);
  return TcpCountersOf(netstat ? *netstat : empty, snmp ? *snmp : empty);
}

}  // namespace tunescope::host
