// /proc/net/netstat and /proc/net/snmp: pairs of lines "Prefix: Name1 Name2 ..." followed by
// "Prefix: v1 v2 ...". Values are looked up by prefix and name ("TcpExt", "ListenOverflows").
// /proc/net/snmp6 has another format and is not handled here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct CounterTable {
  // prefix ("TcpExt", "Tcp", "IpExt") -> name -> value. Values are signed: Tcp MaxConn is -1.
  std::map<std::string, std::map<std::string, std::int64_t, std::less<>>, std::less<>> groups;
  std::optional<std::int64_t> get(std::string_view prefix, std::string_view name) const;
};

Result<CounterTable> ParseCounterPairs(std::string_view text, std::string_view source);
Result<CounterTable> ReadNetstat(const HostPaths& paths);  // /proc/net/netstat
Result<CounterTable> ReadSnmp(const HostPaths& paths);     // /proc/net/snmp

// The TCP counters the advisor cares about, each absent if this kernel lacks it.
struct TcpCounters {
  std::optional<std::int64_t> listen_overflows;      // TcpExt ListenOverflows
  std::optional<std::int64_t> listen_drops;          // TcpExt ListenDrops
  std::optional<std::int64_t> backlog_drops;         // TcpExt TCPBacklogDrop
  std::optional<std::int64_t> req_q_full_drops;      // TcpExt TCPReqQFullDrop
  std::optional<std::int64_t> syncookies_sent;       // TcpExt SyncookiesSent
  std::optional<std::int64_t> syn_retrans;           // TcpExt TCPSynRetrans (SYN and SYN-ACK)
  std::optional<std::int64_t> timewait_overflow;     // TcpExt TCPTimeWaitOverflow
  std::optional<std::int64_t> busy_poll_rx_packets;  // TcpExt BusyPollRxPackets
  std::optional<std::int64_t> retrans_segs;          // Tcp RetransSegs
  std::optional<std::int64_t> out_segs;              // Tcp OutSegs
  std::optional<std::int64_t> in_segs;               // Tcp InSegs
  std::optional<std::int64_t> passive_opens;         // Tcp PassiveOpens
  std::optional<std::int64_t> active_opens;          // Tcp ActiveOpens
  std::optional<std::int64_t> curr_estab;            // Tcp CurrEstab
};

TcpCounters TcpCountersOf(const CounterTable& netstat, const CounterTable& snmp);
// Both files read now; counters of an unreadable file are absent.
TcpCounters ReadTcpCounters(const HostPaths& paths);

}  // namespace tunescope::host
