// Sockets from /proc/net: packet sockets (/proc/net/packet; talawah.io 2021: dhclient's raw socket
// cost 6%) and TCP listeners on a port (/proc/net/tcp, tcp6; several listeners on one
// address and port mean an SO_REUSEPORT group). Owners are found by socket inode in
// /proc/PID/fd.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/paths.h"
#include "host/processes.h"
#include "host/result.h"

namespace tunescope::host {

struct PacketSocket {
  int type = 0;           // SOCK_RAW 3, SOCK_DGRAM 2
  unsigned protocol = 0;  // ethertype in host order as printed (hex), 0x0003 = ETH_P_ALL
  int ifindex = 0;        // 0 = all interfaces
  bool running = false;
  std::uint64_t rmem = 0;
  unsigned uid = 0;
  std::uint64_t inode = 0;
};

Result<std::vector<PacketSocket>> ParseProcNetPacket(std::string_view text,
                                                     std::string_view source = "/proc/net/packet");
Result<std::vector<PacketSocket>> ReadPacketSockets(const HostPaths& paths);

struct TcpSocket {
  std::string local_address;  // hex as printed: "0100007F" or 32 hex digits for tcp6
  unsigned local_port = 0;
  std::string remote_address;  // same form
  unsigned remote_port = 0;
  // tx_queue:rx_queue; for a listener rx_queue is its accept queue now (sk_ack_backlog). Its
  // limit (sk_max_ack_backlog) is not in this file: only sock_diag reports it.
  std::uint64_t tx_queue = 0;
  std::uint64_t rx_queue = 0;
  unsigned state = 0;  // 0x0A = LISTEN
  unsigned uid = 0;
  std::uint64_t inode = 0;
  bool ipv6 = false;
};

Result<std::vector<TcpSocket>> ParseProcNetTcp(std::string_view text, bool ipv6,
                                               std::string_view source = "/proc/net/tcp");

// socket inode -> owning processes, from readlink(/proc/PID/fd/N) == "socket:[INODE]": one
// scan of every process's fds, on the first lookup, for all the lookups of one read of facts.
class SocketOwnerIndex {
 public:
  explicit SocketOwnerIndex(HostPaths paths) : paths_(std::move(paths)) {}
  // Empty when no process here holds the socket (another namespace's /proc, no permission).
  const std::vector<ProcessInfo>& Find(std::uint64_t inode);

 private:
  HostPaths paths_;
  std::optional<std::map<std::uint64_t, std::vector<ProcessInfo>>> owners_;
};

struct OwnedPacketSocket {
  PacketSocket socket;
  std::vector<ProcessInfo> owners;  // empty if not found (other netns, or no permission)
};

Result<std::vector<OwnedPacketSocket>> ReadOwnedPacketSockets(const HostPaths& paths,
                                                              SocketOwnerIndex& owners);

struct PortListeners {
  unsigned port = 0;
  std::vector<TcpSocket> listeners;  // tcp and tcp6 sockets in LISTEN on the port
  int established = 0;               // connections accepted on the port
  // Of those, connections whose peer is on this host: a loopback address, or a peer socket
  // that the tables read list (the client's end of the same connection; for a server in a
  // container, a client in the host's namespace reaching it over a veth).
  int local_peers = 0;
  // The inodes of those clients' ends that the tables list (a loopback peer in a namespace not
  // read has none): host/local_clients.h finds the processes that hold them.
  std::vector<std::uint64_t> client_inodes;
  // Connections waiting in the listeners' accept queues now.
  std::uint64_t accept_queue() const;
  // The largest number of listeners sharing one address family and address: > 1 means an
  // SO_REUSEPORT group (the kernel refuses a second bind otherwise).
  int largest_group() const;
  bool reuseport() const { return largest_group() > 1; }
};

// Loopback: 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104, in /proc/net/tcp's hex form.
bool IsLoopbackHex(std::string_view address, bool ipv6);
// `sockets` from the server's namespace; `elsewhere` from other namespaces on this host, where
// only clients' ends are looked for.
PortListeners FindListeners(const std::vector<TcpSocket>& sockets, unsigned port,
                            const std::vector<TcpSocket>& elsewhere = {});
// tcp and tcp6 of the namespace `paths.Net()` shows.
Result<std::vector<TcpSocket>> ReadTcpSockets(const HostPaths& paths);
// The port's listeners in `paths.Net()`'s namespace; `clients` (when not null) is another
// namespace whose sockets may be the clients' ends.
Result<PortListeners> ReadPortListeners(const HostPaths& paths, unsigned port,
                                        const HostPaths* clients = nullptr);
// Whether a server socket holds `port` in `paths.Net()`'s namespace: a TCP listener, or a UDP
// socket bound to it (/proc/net/udp{,6} have tcp's columns).
Result<bool> PortServed(const HostPaths& paths, unsigned port);

}  // namespace tunescope::host
