// Readers on the running host: invariants that hold on any Linux machine, and, as root, a
// scratch network namespace whose qdiscs, offloads and firewall rules are set here and read
// back. Everything created is deleted, also when an assertion fails.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "host/audit.h"
#include "host/cpu_accounting.h"
#include "host/cpu_security.h"
#include "host/cpufreq.h"
#include "host/ethtool.h"
#include "host/interrupts.h"
#include "host/local_clients.h"
#include "host/net_devices.h"
#include "host/netfilter.h"
#include "host/netns.h"
#include "host/processes.h"
#include "host/qdisc.h"
#include "host/seccomp.h"
#include "host/snmp.h"
#include "host/sockets.h"
#include "host/sockstat.h"
#include "host/softirqs.h"
#include "host/softnet_stat.h"
#include "host/sysctl.h"
#include "host/text.h"
#include "require_root.h"

namespace tunescope::host {
namespace {

const HostPaths kLive{};

TEST(LiveHost, SoftirqsHaveOneColumnPerConfiguredCpu) {
  auto t = ReadSoftirqs(kLive);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(static_cast<long>(t->cpus.size()), ::sysconf(_SC_NPROCESSORS_CONF));
  ASSERT_NE(t->find("NET_RX"), nullptr);
  EXPECT_GT(t->find("TIMER")->total(), 0u);
}

TEST(LiveHost, EveryThreadsRunTimeAndCpuAreRead) {
  // A thread that spins on a known CPU shows there with the time it ran.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  std::atomic<int> tid{0};
  std::atomic<bool> stop{false};
  std::thread spinner([&] {
    ASSERT_EQ(::sched_setaffinity(0, sizeof(one), &one), 0);
    tid = static_cast<int>(::gettid());
    while (!stop) {
    }
  });
  while (tid == 0) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto runs = ReadAllThreadRuns(kLive);
  stop = true;
  spinner.join();
  auto it =
      std::find_if(runs.begin(), runs.end(), [&](const ThreadRun& r) { return r.tid == tid; });
  ASSERT_NE(it, runs.end());
  EXPECT_EQ(it->cpu, 0);
  EXPECT_GT(it->run_ns, 50'000'000u);
  EXPECT_FALSE(it->kernel_thread);
  auto kthreadd =
      std::find_if(runs.begin(), runs.end(), [](const ThreadRun& r) { return r.tid == 2; });
  ASSERT_NE(kthreadd, runs.end());  // kthreadd is PID 2 in the initial PID namespace
  EXPECT_TRUE(kthreadd->kernel_thread);
  EXPECT_GT(runs.size(), 10u);  // the kernel's threads and init at least
}

TEST(LiveHost, InterruptsAndSoftnetHaveOneEntryPerOnlineCpu) {
  auto irq = ReadInterrupts(kLive);
  ASSERT_TRUE(irq.ok()) << irq.error();
  EXPECT_EQ(static_cast<long>(irq->cpus.size()), ::sysconf(_SC_NPROCESSORS_ONLN));
  auto sn = ReadSoftnetStat(kLive);
  ASSERT_TRUE(sn.ok()) << sn.error();
  EXPECT_EQ(static_cast<long>(sn->cpus.size()), ::sysconf(_SC_NPROCESSORS_ONLN));
}

TEST(LiveHost, NetstatSnmpSockstatHaveTheNamedCounters) {
  auto ns = ReadNetstat(kLive);
  auto snmp = ReadSnmp(kLive);
  ASSERT_TRUE(ns.ok()) << ns.error();
  ASSERT_TRUE(snmp.ok()) << snmp.error();
  const TcpCounters c = TcpCountersOf(*ns, *snmp);
  EXPECT_TRUE(c.listen_overflows.has_value());
  EXPECT_TRUE(c.listen_drops.has_value());
  EXPECT_TRUE(c.backlog_drops.has_value());
  EXPECT_TRUE(c.retrans_segs.has_value());
  EXPECT_GE(*c.listen_drops, *c.listen_overflows);  // the kernel counts overflows as drops
  auto ss = ReadSockstat(kLive);
  ASSERT_TRUE(ss.ok()) << ss.error();
  EXPECT_TRUE(ss->tcp_inuse.has_value());
  EXPECT_TRUE(ss->tcp_tw.has_value());
}

TEST(LiveHost, AdvisorSysctlsAreReadable) {
  const SysctlTable t = ReadAdvisorSysctls(kLive);
  EXPECT_GT(t.get_int("net.core.somaxconn").value_or(0), 0);
  EXPECT_GT(t.get_int("net.core.netdev_budget").value_or(0), 0);
  ASSERT_TRUE(t.find("net.core.default_qdisc")->value.ok());
  EXPECT_FALSE(t.find("net.core.default_qdisc")->value->empty());
  auto cc = ReadSysctl(kLive, "net.ipv4.tcp_congestion_control");
  ASSERT_TRUE(cc.ok()) << cc.error();
  auto avail = ReadSysctl(kLive, "net.ipv4.tcp_available_congestion_control");
  ASSERT_TRUE(avail.ok());
  EXPECT_NE(avail->find(*cc), std::string::npos);
}

TEST(LiveHost, SysctlWriteIsReversible) {
  TUNESCOPE_REQUIRE_ROOT();
  auto before = ReadSysctl(kLive, "net.core.busy_read");
  ASSERT_TRUE(before.ok()) << before.error();
  const std::string other = *before == "0" ? "25" : "0";
  ASSERT_TRUE(WriteSysctl(kLive, "net.core.busy_read", other).ok());
  const auto during = ReadSysctl(kLive, "net.core.busy_read");
  ASSERT_TRUE(WriteSysctl(kLive, "net.core.busy_read", *before).ok());
  EXPECT_EQ(*during, other);
  EXPECT_EQ(*ReadSysctl(kLive, "net.core.busy_read"), *before);
}

TEST(LiveHost, CmdlineAndVulnerabilities) {
  auto cl = ReadCmdline(kLive);
  ASSERT_TRUE(cl.ok()) << cl.error();
  auto raw = ReadTextFile("/proc/cmdline");
  EXPECT_EQ(cl->raw, std::string(Trim(*raw)));
  auto v = ReadVulnerabilities(kLive);
  if (v.ok()) {
    EXPECT_FALSE(v->items.empty());
    for (const auto& item : v->items) EXPECT_FALSE(item.text.empty()) << item.name;
  } else {
    EXPECT_NE(v.error().find("vulnerabilities"), std::string::npos);
  }
}

TEST(LiveHost, OwnSeccompModeMatchesPrctl) {
  auto s = ReadSeccomp(kLive, static_cast<int>(::getpid()));
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(static_cast<int>(s->mode), ::prctl(PR_GET_SECCOMP));
}

// A port is served by a TCP listener or a bound UDP socket; a client's end of a connection
// (listed, ESTABLISHED, with its own local port) does not serve its port.
TEST(LiveHost, APortIsServedByATcpListenerOrABoundUdpSocket) {
  auto bound = [](int type) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      return std::pair{-1, 0u};
    }
    return std::pair{fd, static_cast<unsigned>(ntohs(addr.sin_port))};
  };
  const host::HostPaths paths;
  auto is_served = [&paths](unsigned port) {
    auto r = host::PortServed(paths, port);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() && *r;
  };
  auto [udp, udp_port] = bound(SOCK_DGRAM);
  auto [listener, listen_port] = bound(SOCK_STREAM);
  ASSERT_GE(udp, 0);
  ASSERT_GE(listener, 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  auto [client, client_port] = bound(SOCK_STREAM);
  ASSERT_GE(client, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<uint16_t>(listen_port));
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  EXPECT_TRUE(is_served(listen_port));
  EXPECT_TRUE(is_served(udp_port));
  EXPECT_FALSE(is_served(client_port)) << "an established client socket serves nothing";
  ::close(client);
  ::close(udp);
  ::close(listener);
  EXPECT_FALSE(is_served(udp_port));
}

TEST(LiveHost, OwnNetworkNamespaceIsNotAnotherOne) {
  host::HostPaths paths;
  auto ns = host::ReadTargetNetns(paths, getpid());
  ASSERT_TRUE(ns.ok()) << ns.error();
  EXPECT_EQ(ns->id.rfind("net:[", 0), 0u) << ns->id;
  EXPECT_FALSE(ns->other);
  EXPECT_EQ(host::NetPathsOf(paths, getpid()).Net(), "/proc/" + std::to_string(getpid()) + "/net");
  EXPECT_FALSE(host::ReadTargetNetns(paths, 0).ok()) << "no process 0 in /proc";
  // A target named but not running has no namespace to read; no target reads our own.
  EXPECT_FALSE(host::TargetNetPaths(paths, {}, {"no-such-comm-x"}).ok());
  auto own = host::TargetNetPaths(paths, {}, {});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->Net(), "/proc/net");
}

TEST(LiveHost, ProcessScanFindsThisProcess) {
  auto procs = ListProcesses(kLive);
  ASSERT_TRUE(procs.ok()) << procs.error();
  auto comm = ReadTextFile("/proc/self/comm");
  const auto pids = FindByComm(*procs, ParseComm(*comm));
  EXPECT_NE(std::find(pids.begin(), pids.end(), static_cast<int>(::getpid())), pids.end());
}

TEST(LiveHost, CpufreqGovernorsOrAPlainReason) {
  auto f = ReadCpufreq(kLive);
  if (f.ok()) {
    EXPECT_FALSE(f->governors().empty());
  } else {
    EXPECT_NE(f.error().find("no cpufreq on this host"), std::string::npos) << f.error();
  }
}

TEST(LiveHost, LoopbackExistsWithNoqueueRootQdisc) {
  auto lo = ReadNetDevice(kLive, "lo");
  ASSERT_TRUE(lo.ok()) << lo.error();
  EXPECT_GE(lo->rx_queues, 1);
  EXPECT_GE(lo->tx_queues, 1);
  EXPECT_FALSE(lo->has_device);
  auto roots = ReadRootQdiscs();
  ASSERT_TRUE(roots.ok()) << roots.error();
  bool found = false;
  for (const auto& r : *roots) {
    if (r.device == "lo") {
      found = true;
      EXPECT_EQ(r.kind, "noqueue");
    }
  }
  EXPECT_TRUE(found);
}

TEST(LiveHost, LoopbackOffloadsAndNoCoalescing) {
  auto off = ReadOffloads("lo");
  ASSERT_TRUE(off.ok()) << off.error();
  EXPECT_TRUE(off->gro.has_value());
  EXPECT_TRUE(off->tso.has_value());
  auto co = ReadCoalesce("lo");
  EXPECT_FALSE(co.ok());
  EXPECT_NE(co.error().find("lo"), std::string::npos);
  EXPECT_FALSE(ReadOffloads("tsnosuchdev0").ok());
}

TEST(LiveHost, AuditQueryAnswersOrSaysWhy) {
  auto a = QueryKernelAudit();
  if (a.ok()) {
    EXPECT_LE(a->enabled, 2u);
  } else {
    EXPECT_NE(a.error().find("audit"), std::string::npos) << a.error();
  }
}

int ListenOn(std::uint16_t port, bool reuseport) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  if (reuseport) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

TEST(LiveHost, ReuseportGroupIsSeen) {
  const int single = ListenOn(0, false);
  ASSERT_GE(single, 0);
  const std::uint16_t p1 = PortOf(single);
  auto one = ReadPortListeners(kLive, p1);
  ASSERT_TRUE(one.ok()) << one.error();
  EXPECT_EQ(one->listeners.size(), 1u);
  EXPECT_FALSE(one->reuseport());

  const int a = ListenOn(0, true);
  ASSERT_GE(a, 0);
  const std::uint16_t p2 = PortOf(a);
  const int b = ListenOn(p2, true);
  const int c = ListenOn(p2, true);
  auto group = ReadPortListeners(kLive, p2);
  ::close(single);
  ::close(a);
  ::close(b);
  ::close(c);
  ASSERT_GE(b, 0);
  ASSERT_GE(c, 0);
  ASSERT_TRUE(group.ok()) << group.error();
  EXPECT_EQ(group->listeners.size(), 3u);
  EXPECT_EQ(group->largest_group(), 3);
  EXPECT_TRUE(group->reuseport());
}

// A client on this host, pinned to one CPU: its end of the connection names its process, and
// its threads' last CPUs include that one.
TEST(LiveHost, ALocalClientIsFoundByItsSocketWithTheCpuItRanOn) {
  cpu_set_t before;
  ASSERT_EQ(::sched_getaffinity(0, sizeof(before), &before), 0);
  const int pinned = CPU_COUNT(&before) > 1 ? 1 : 0;
  ASSERT_TRUE(CPU_ISSET(pinned, &before));
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(pinned, &one);
  ASSERT_EQ(::sched_setaffinity(0, sizeof(one), &one), 0);
  const int listener = ListenOn(0, false);
  ASSERT_GE(listener, 0);
  const std::uint16_t port = PortOf(listener);
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  const int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  struct stat client_end {};
  ::fstat(client, &client_end);
  auto listeners = ReadPortListeners(kLive, port);
  Result<LocalClients> clients = Result<LocalClients>::Error("not read");
  Result<LocalClients> as_server = Result<LocalClients>::Error("not read");
  if (listeners) {
    SocketOwnerIndex owners(kLive);
    clients = ReadLocalClients(kLive, owners, listeners->client_inodes);
    as_server = ReadLocalClients(kLive, owners, listeners->client_inodes, ::getpid());
  }
  ::close(accepted);
  ::close(client);
  ::close(listener);
  ::sched_setaffinity(0, sizeof(before), &before);
  ASSERT_TRUE(connected);
  ASSERT_TRUE(listeners.ok()) << listeners.error();
  EXPECT_EQ(listeners->established, 1);
  EXPECT_EQ(listeners->local_peers, 1);
  ASSERT_EQ(listeners->client_inodes.size(), 1u);
  EXPECT_EQ(listeners->client_inodes.front(), client_end.st_ino) << "the client's end, not ours";
  ASSERT_TRUE(clients.ok()) << clients.error();
  ASSERT_EQ(clients->processes.size(), 1u);
  EXPECT_EQ(clients->processes.front().pid, ::getpid());
  EXPECT_NE(std::find(clients->cpus.begin(), clients->cpus.end(), pinned), clients->cpus.end())
      << "the test ran on CPU " << pinned << " only";
  // The server is not its own client (here one process is both).
  EXPECT_FALSE(as_server.ok());
  // No client, or a socket nobody holds: said, not an empty list.
  SocketOwnerIndex after_close(kLive);
  EXPECT_FALSE(ReadLocalClients(kLive, after_close, {}).ok());
  EXPECT_FALSE(ReadLocalClients(kLive, after_close, {listeners->client_inodes.front()}).ok())
      << "closed";
}

TEST(LiveHost, PacketSocketIsFoundWithItsOwner) {
  TUNESCOPE_REQUIRE_ROOT();
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  ASSERT_GE(fd, 0) << std::strerror(errno);
  SocketOwnerIndex owners(kLive);
  auto socks = ReadOwnedPacketSockets(kLive, owners);
  ::close(fd);
  ASSERT_TRUE(socks.ok()) << socks.error();
  bool mine = false;
  for (const auto& s : *socks) {
    for (const auto& o : s.owners) {
      if (o.pid == static_cast<int>(::getpid()) && s.socket.protocol == ETH_P_ALL) mine = true;
    }
  }
  EXPECT_TRUE(mine);
}

// A network namespace for one test; deleted (with its devices) on scope exit.
class ScratchNetns {
 public:
  ScratchNetns() : name_("tshost" + std::to_string(::getpid())) {
    std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
    ok_ = std::system(("ip netns add " + name_).c_str()) == 0;
  }
  ~ScratchNetns() { std::system(("ip netns del " + name_ + " 2>/dev/null").c_str()); }
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;
  bool ok() const { return ok_; }
  // Runs a shell command inside the namespace; returns its exit status.
  int exec(const std::string& cmd) const {
    return std::system(("ip netns exec " + name_ + " sh -c '" + cmd + "'").c_str());
  }
  // Runs `fn` on a thread that has entered the namespace (setns affects only that thread).
  bool run_inside(const std::function<void()>& fn) const {
    bool entered = false;
    std::thread t([&] {
      const int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return;
      entered = ::setns(fd, CLONE_NEWNET) == 0;
      ::close(fd);
      if (entered) fn();
    });
    t.join();
    return entered;
  }

 private:
  std::string name_;
  bool ok_ = false;
};

TEST(LiveHostNetns, QdiscChangesAreReadBack) {
  TUNESCOPE_REQUIRE_ROOT();
  ScratchNetns ns;
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns.exec("ip link add tsva numtxqueues 4 numrxqueues 4 type veth peer name tsvb "
                    "numtxqueues 4 numrxqueues 4 && ip link set tsva up && ip link set tsvb up"),
            0);
  ASSERT_EQ(ns.exec("tc qdisc add dev tsva root pfifo limit 100"), 0);
  ASSERT_EQ(ns.exec("tc qdisc add dev tsvb root handle 1: mq"), 0);
  Result<std::vector<RootQdisc>> roots = Result<std::vector<RootQdisc>>::Error("not run");
  Result<Offloads> before = Result<Offloads>::Error("not run");
  Result<Offloads> after = Result<Offloads>::Error("not run");
  ASSERT_TRUE(ns.run_inside([&] {
    roots = ReadRootQdiscs();
    before = ReadOffloads("tsva");
  }));
  ASSERT_EQ(ns.exec("ethtool -K tsva gro off 2>/dev/null || true"), 0);
  ASSERT_TRUE(ns.run_inside([&] { after = ReadOffloads("tsva"); }));

  ASSERT_TRUE(roots.ok()) << roots.error();
  std::string va, vb;
  std::size_t vb_children = 0;
  for (const auto& r : *roots) {
    if (r.device == "tsva") va = r.kind;
    if (r.device == "tsvb") {
      vb = r.kind;
      vb_children = r.children.size();
    }
  }
  EXPECT_EQ(va, "pfifo");
  EXPECT_EQ(vb, "mq");
  EXPECT_EQ(vb_children, 4u);  // one default qdisc per tx queue under mq
  ASSERT_TRUE(before.ok()) << before.error();
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after->gro, false);
}

TEST(LiveHostNetns, NftRulesAreCounted) {
  TUNESCOPE_REQUIRE_ROOT();
  if (FindProgram("nft").empty()) GTEST_SKIP() << "nft not installed";
  ScratchNetns ns;
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns.exec("nft add table inet tstest && nft add chain inet tstest in "
                    "\"{ type filter hook input priority 0; }\" && "
                    "for p in 1001 1002 1003; do nft add rule inet tstest in tcp dport $p drop; "
                    "done"),
            0);
  Result<NetfilterState> st = Result<NetfilterState>::Error("not run");
  ASSERT_TRUE(ns.run_inside([&] {
    SystemCommandRunner runner;
    st = ReadNetfilter(kLive, runner);
  }));
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->nft.ok()) << st->nft.error();
  const NfTable* t = st->nft->find("inet", "tstest");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->rules(), 3);
  EXPECT_EQ(t->base_chains(), 1);
}

}  // namespace
}  // namespace tunescope::host
