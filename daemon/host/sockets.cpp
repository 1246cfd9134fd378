#include "host/sockets.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <utility>

#include "host/text.h"

namespace tunescope::host {

Result<std::vector<PacketSocket>> ParseProcNetPacket(std::string_view text,
                                                     std::string_view source) {
  const std::string src(source);
  const auto lines = SplitLines(text);
  if (lines.empty() || !StartsWith(Trim(lines[0]), "sk")) {
    return Result<std::vector<PacketSocket>>::Error(src + ": missing header");
  }
  std::vector<PacketSocket> out;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = SplitWhitespace(lines[i]);
    if (f.empty()) continue;
    const std::string where = src + ": line " + std::to_string(i + 1);
    // sk RefCnt Type Proto Iface R Rmem User Inode
    if (f.size() < 9) {
      return Result<std::vector<PacketSocket>>::Error(where + ": " + std::to_string(f.size()) +
                                                      " columns, expected 9 (truncated?)");
    }
    const auto type = ParseU64(f[2]);
    const auto proto = ParseU64(f[3], 16);
    const auto iface = ParseU64(f[4]);
    const auto running = ParseU64(f[5]);
    const auto rmem = ParseU64(f[6]);
    const auto uid = ParseU64(f[7]);
    const auto inode = ParseU64(f[8]);
    if (!type || !proto || !iface || !running || !rmem || !uid || !inode || *type > 255 ||
        *proto > 0xffff || *iface > INT_MAX || *uid > UINT_MAX) {
      return Result<std::vector<PacketSocket>>::Error(where + ": bad number");
    }
    PacketSocket s;
    s.type = static_cast<int>(*type);
    s.protocol = static_cast<unsigned>(*proto);
    s.ifindex = static_cast<int>(*iface);
    s.running = *running != 0;
    s.rmem = *rmem;
    s.uid = static_cast<unsigned>(*uid);
    s.inode = *inode;
    out.push_back(s);
  }
  return out;
}

Result<std::vector<PacketSocket>> ReadPacketSockets(const HostPaths& paths) {
  const std::string path = paths.Net() + "/packet";
  auto text = ReadTextFile(path);
  if (!text) return Result<std::vector<PacketSocket>>::Error(text.error());
  return ParseProcNetPacket(*text, path);
}

Result<std::vector<TcpSocket>> ParseProcNetTcp(std::string_view text, bool ipv6,
                                               std::string_view source) {
  const std::string src(source);
  const auto lines = SplitLines(text);
  if (lines.empty() || !StartsWith(Trim(lines[0]), "sl")) {
    return Result<std::vector<TcpSocket>>::Error(src + ": missing header");
  }
  const std::size_t addr_len = ipv6 ? 32 : 8;
  std::vector<TcpSocket> out;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = SplitWhitespace(lines[i]);
    if (f.empty()) continue;
    const std::string where = src + ": line " + std::to_string(i + 1);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.size() < 10) {
      return Result<std::vector<TcpSocket>>::Error(where + ": " + std::to_string(f.size()) +
                                                   " columns, expected at least 10 (truncated?)");
    }
    const std::string_view local = f[1];
    const std::size_t colon = local.find(':');
    if (colon != addr_len || local.size() != addr_len + 5) {
      return Result<std::vector<TcpSocket>>::Error(where + ": bad local address '" +
                                                   std::string(local) + "'");
    }
    const auto port = ParseU64(local.substr(colon + 1), 16);
    const bool addr = std::all_of(local.begin(), local.begin() + colon, [](char ch) {
      return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
    });
    const std::string_view remote = f[2];
    const std::size_t rcolon = remote.find(':');
    const std::string_view queues = f[4];
    const std::size_t qcolon = queues.find(':');
    if (rcolon != addr_len || qcolon == std::string_view::npos) {
      return Result<std::vector<TcpSocket>>::Error(where + ": bad remote address or queues");
    }
    const auto rport = ParseU64(remote.substr(rcolon + 1), 16);
    const auto txq = ParseU64(queues.substr(0, qcolon), 16);
    const auto rxq = ParseU64(queues.substr(qcolon + 1), 16);
    const auto state = ParseU64(f[3], 16);
    const auto uid = ParseU64(f[7]);
    const auto inode = ParseU64(f[9]);
    if (!port || !addr || !state || !uid || !inode || *uid > UINT_MAX || !rport || !txq || !rxq) {
      return Result<std::vector<TcpSocket>>::Error(where + ": bad number");
    }
    TcpSocket s;
    s.local_address = std::string(local.substr(0, colon));
    s.local_port = static_cast<unsigned>(*port);
    s.remote_address = std::string(remote.substr(0, rcolon));
    s.remote_port = static_cast<unsigned>(*rport);
    s.tx_queue = *txq;
    s.rx_queue = *rxq;
    s.state = static_cast<unsigned>(*state);
    s.uid = static_cast<unsigned>(*uid);
    s.inode = *inode;
    s.ipv6 = ipv6;
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// socket inode -> owning processes: every process's fds, read once.
std::map<std::uint64_t, std::vector<ProcessInfo>> ScanSocketOwners(const HostPaths& paths) {
  std::map<std::uint64_t, std::vector<ProcessInfo>> owners;
  auto procs = ListProcesses(paths);
  if (!procs) return owners;
  for (const auto& p : *procs) {
    const std::string fddir = paths.proc + "/" + std::to_string(p.pid) + "/fd";
    auto fds = ListDirectory(fddir);
    if (!fds) continue;
    for (const auto& fd : *fds) {
      char buf[64];
      const ssize_t n = ::readlink((fddir + "/" + fd).c_str(), buf, sizeof(buf) - 1);
      if (n <= 0) continue;
      const std::string_view target(buf, static_cast<std::size_t>(n));
      if (!StartsWith(target, "socket:[") || target.back() != ']') continue;
      const auto inode = ParseU64(target.substr(8, target.size() - 9));
      if (!inode) continue;
      auto& list = owners[*inode];
      if (list.empty() || list.back().pid != p.pid) list.push_back(p);
    }
  }
  return owners;
}

}  // namespace

const std::vector<ProcessInfo>& SocketOwnerIndex::Find(std::uint64_t inode) {
  static const std::vector<ProcessInfo> none;
  if (!owners_) owners_ = ScanSocketOwners(paths_);
  auto it = owners_->find(inode);
  return it == owners_->end() ? none : it->second;
}

Result<std::vector<OwnedPacketSocket>> ReadOwnedPacketSockets(const HostPaths& paths,
                                                              SocketOwnerIndex& owners) {
  auto socks = ReadPacketSockets(paths);
  if (!socks) return Result<std::vector<OwnedPacketSocket>>::Error(socks.error());
  std::vector<OwnedPacketSocket> out;
  for (const auto& s : *socks) out.push_back({s, owners.Find(s.inode)});
  return out;
}

int PortListeners::largest_group() const {
  std::map<std::pair<bool, std::string>, int> groups;
  int best = 0;
  for (const auto& l : listeners) best = std::max(best, ++groups[{l.ipv6, l.local_address}]);
  return best;
}

bool IsLoopbackHex(std::string_view a, bool ipv6) {
  // /proc/net/tcp prints each 32-bit word in host byte order (little-endian here): 127.x.y.z is
  // "..7F" in the word's last two digits.
  auto word_is_127 = [](std::string_view w) { return w.size() == 8 && w.substr(6) == "7F"; };
  if (!ipv6) return word_is_127(a);
  if (a.size() != 32) return false;
  if (a == "00000000000000000000000001000000") return true;  // ::1
  return a.substr(0, 16) == "0000000000000000" && a.substr(16, 8) == "FFFF0000" &&
         word_is_127(a.substr(24));
}

std::uint64_t PortListeners::accept_queue() const {
  std::uint64_t out = 0;
  for (const auto& l : listeners) out += l.rx_queue;
  return out;
}

PortListeners FindListeners(const std::vector<TcpSocket>& sockets, unsigned port,
                            const std::vector<TcpSocket>& elsewhere) {
  PortListeners pl;
  pl.port = port;
  constexpr unsigned kListen = 0x0A, kEstablished = 0x01;
  // This host's sockets connected to the port: the clients' ends of local connections.
  std::map<std::pair<std::string_view, unsigned>, std::uint64_t> clients;
  for (const auto* table : {&sockets, &elsewhere}) {
    for (const auto& s : *table) {
      if (s.remote_port != port || s.local_port == port) continue;
      // A TIME_WAIT or orphaned entry has no inode: a live socket's takes its place.
      auto& inode = clients[{s.local_address, s.local_port}];
      if (inode == 0) inode = s.inode;
    }
  }
  for (const auto& s : sockets) {
    if (s.local_port != port) continue;
    if (s.state == kListen) pl.listeners.push_back(s);
    if (s.state != kEstablished) continue;
    ++pl.established;
    auto client = clients.find({s.remote_address, s.remote_port});
    if (client != clients.end() && client->second != 0) pl.client_inodes.push_back(client->second);
    if (IsLoopbackHex(s.remote_address, s.ipv6) || client != clients.end()) ++pl.local_peers;
  }
  return pl;
}

Result<std::vector<TcpSocket>> ReadTcpSockets(const HostPaths& paths) {
  std::vector<TcpSocket> all;
  bool any = false;
  std::string errors;
  for (const bool v6 : {false, true}) {
    const std::string path = paths.Net() + (v6 ? "/tcp6" : "/tcp");
    auto text = ReadTextFile(path);
    if (!text) {
      errors += (errors.empty() ? "" : "; ") + text.error();
      continue;
    }
    auto socks = ParseProcNetTcp(*text, v6, path);
    if (!socks) return Result<std::vector<TcpSocket>>::Error(socks.error());
    any = true;
    all.insert(all.end(), socks->begin(), socks->end());
  }
  if (!any) return Result<std::vector<TcpSocket>>::Error(errors);
  return all;
}

Result<bool> PortServed(const HostPaths& paths, unsigned port) {
  auto tcp = ReadPortListeners(paths, port);
  if (!tcp) return Result<bool>::Error(tcp.error());
  if (!tcp->listeners.empty()) return true;
  for (const bool v6 : {false, true}) {
    const std::string path = paths.Net() + (v6 ? "/udp6" : "/udp");
    auto text = ReadTextFile(path);
    if (!text) continue;  // no IPv6, or no UDP: nothing bound there
    auto socks = ParseProcNetTcp(*text, v6, path);
    if (!socks) return Result<bool>::Error(socks.error());
    for (const TcpSocket& s : *socks) {
      if (s.local_port == port) return true;
    }
  }
  return false;
}

Result<PortListeners> ReadPortListeners(const HostPaths& paths, unsigned port,
                                        const HostPaths* clients) {
  auto own = ReadTcpSockets(paths);
  if (!own) return Result<PortListeners>::Error(own.error());
  std::vector<TcpSocket> elsewhere;
  if (clients != nullptr) {
    // Unreadable, they are simply not found: the server's own table still answers.
    if (auto theirs = ReadTcpSockets(*clients)) elsewhere = std::move(*theirs);
  }
  return FindListeners(*own, port, elsewhere);
}

}  // namespace tunescope::host
