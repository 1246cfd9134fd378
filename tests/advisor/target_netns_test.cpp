// The daemon in the host's network namespace, the server in a namespace of its own (a
// container): `advise --target-pid` reads the server's listen-queue counters, listening socket
// and somaxconn in the server's namespace, where they are, not in its own.
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "host/host_facts.h"
#include "host/netns.h"
#include "netns.h"
#include "require_root.h"

namespace tunescope::testing {
namespace {

constexpr uint16_t kPort = 8089;

// A namespace with lo up and somaxconn 16 (the host keeps its own, larger value).
class ServerNetns {
 public:
  explicit ServerNetns(const std::string& suffix = "")
      : name_("tstgt" + std::to_string(getpid()) + suffix) {
    ShOrThrow("ip netns add " + name_);
    ShOrThrow("ip -n " + name_ + " link set lo up");
    ShOrThrow("ip netns exec " + name_ + " sysctl -qw net.core.somaxconn=16");
  }
  ServerNetns(const ServerNetns&) = delete;
  ServerNetns& operator=(const ServerNetns&) = delete;
  ~ServerNetns() { Sh("ip netns del " + name_); }
  const std::string& name() const { return name_; }
  std::string Id() const {  // as /proc/PID/ns/net reads
    struct stat st {};
    if (stat(("/run/netns/" + name_).c_str(), &st) != 0) return "?";
    return "net:[" + std::to_string(st.st_ino) + "]";
  }

 private:
  std::string name_;
};

// A server that listens in `ns` and never accepts: every connection past the backlog is
// dropped at a full accept queue.
pid_t SpawnStalledListener(const std::string& ns, const char* ip = "127.0.0.1") {
  return SpawnInNetns(ns, [ip] {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Ipv4(ip, kPort);
    return bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(s, 128) == 0;
  });
}

TEST(AdvisorTargetNetns, ListenDropsAndSomaxconnAreTheServersNamespaces) {
  TUNESCOPE_REQUIRE_ROOT();
  ServerNetns ns;
  const pid_t server = SpawnStalledListener(ns.name());
  ASSERT_GT(server, 0);
  // Clients inside the namespace: 4 new connections every 10 ms for 6 s, each closed after
  // 300 ms (the advise run below takes about 4 s).
  std::atomic<bool> stop{false};
  std::thread clients([&] {
    InNetns(ns.name(), [&] {
      std::vector<std::pair<int, std::chrono::steady_clock::time_point>> open;
      const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(6);
      while (!stop && std::chrono::steady_clock::now() < end) {
        const auto now = std::chrono::steady_clock::now();
        for (int i = 0; i < 4; ++i) {
          int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
          sockaddr_in addr = Ipv4("127.0.0.1", kPort);
          (void)connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
          open.emplace_back(c, now);
        }
        while (!open.empty() && now - open.front().second > std::chrono::milliseconds(300)) {
          close(open.front().first);
          open.erase(open.begin());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      for (auto& [fd, t] : open) close(fd);
      return 0;
    });
  });
  std::string out;
  // Stdout only (Sh adds 2>&1 after the command): the JSON.
  const int rc = Sh("{ " + std::string(TUNESCOPE_BINARY) + " advise --duration 3s --json" +
                        " --probes softirq --target-pid " + std::to_string(server) +
                        " --target-port " + std::to_string(kPort) + " 2>/dev/null; }",
                    &out);
  stop = true;
  clients.join();
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  ASSERT_EQ(rc, 0) << out;

  const auto doc = nlohmann::json::parse(out);
  ASSERT_TRUE(doc.at("network_namespace").is_string()) << out.substr(0, 400);
  EXPECT_EQ(doc.at("network_namespace").get<std::string>().rfind(ns.Id(), 0), 0u)
      << doc.at("network_namespace");
  const nlohmann::json* somaxconn = nullptr;
  for (const auto& t : doc.at("tunings")) {
    if (t.at("id") == "somaxconn") somaxconn = &t;
  }
  ASSERT_NE(somaxconn, nullptr);
  const auto& numbers = somaxconn->at("numbers");
  EXPECT_EQ(somaxconn->at("verdict"), "measured") << somaxconn->at("reason");
  EXPECT_EQ(numbers.value("somaxconn", 0.0), 16) << "the namespace's somaxconn, not the host's";
  EXPECT_GT(numbers.value("listen_overflows", 0.0), 0) << somaxconn->at("reason");
  EXPECT_EQ(numbers.value("target_accept_queue", 0.0), 17) << "backlog 16 + 1, never accepted";
}

// Replicas in two containers: the report names both namespaces and says what is read where.
TEST(AdvisorTargetNetns, TheReportNamesEveryNamespaceTheTargetRunsIn) {
  TUNESCOPE_REQUIRE_ROOT();
  ServerNetns first, second("b");
  const pid_t a = SpawnStalledListener(first.name());
  const pid_t b = SpawnStalledListener(second.name());
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  std::string out;
  const int rc = Sh("{ " + std::string(TUNESCOPE_BINARY) + " advise --duration 1s --json" +
                        " --probes softirq --target-pid " + std::to_string(std::min(a, b)) +
                        " --target-pid " + std::to_string(std::max(a, b)) + " 2>/dev/null; }",
                    &out);
  for (pid_t pid : {a, b}) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  ASSERT_EQ(rc, 0) << out;
  const auto doc = nlohmann::json::parse(out);
  const std::string where = doc.at("network_namespace").get<std::string>();
  const std::string lower = a < b ? first.Id() : second.Id();
  const std::string higher = a < b ? second.Id() : first.Id();
  EXPECT_EQ(where.rfind(lower, 0), 0u) << where;
  EXPECT_NE(where.find("the target also runs in " + higher), std::string::npos) << where;
}

// A namespace is entered through the target's next process there when the first has exited
// since it was looked up (a worker restarting between the netfilter probe's lookup and setns).
TEST(AdvisorTargetNetns, ANamespaceIsEnteredThroughAnotherProcessWhenTheFirstExited) {
  TUNESCOPE_REQUIRE_ROOT();
  ServerNetns ns;
  const auto idle = [] { return true; };
  const pid_t first = SpawnInNetns(ns.name(), idle);
  const pid_t second = SpawnInNetns(ns.name(), idle);
  ASSERT_GT(first, 0);
  ASSERT_GT(second, 0);
  const auto found = host::OtherTargetNetns(host::HostPaths{}, {first, second}, {});
  kill(first, SIGKILL);
  waitpid(first, nullptr, 0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, ns.Id());
  EXPECT_EQ(found[0].also, std::vector<int>{second});

  std::string inside;
  const auto entered = host::RunInNetns(host::HostPaths{}, found[0], [&] {
    char buf[64] = {};
    if (readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1) > 0) inside = buf;
  });
  EXPECT_TRUE(entered.ok()) << entered.error();
  EXPECT_EQ(inside, ns.Id());

  kill(second, SIGKILL);
  waitpid(second, nullptr, 0);
  const auto gone = host::RunInNetns(host::HostPaths{}, found[0], [] {});
  EXPECT_FALSE(gone.ok()) << "no process of the namespace is left to enter it through";
}

// Host facts for a target in a container: the namespace's own sysctls from there, the
// host-wide ones (which a namespace does not have) still the host's.
TEST(AdvisorTargetNetns, HostFactsTakeTheNamespacesSysctlsAndKeepHostWideOnes) {
  TUNESCOPE_REQUIRE_ROOT();
  ServerNetns ns;
  const pid_t server = SpawnStalledListener(ns.name());
  ASSERT_GT(server, 0);
  host::HostOptions options;
  options.target_pid = server;
  options.target_port = kPort;
  options.query_netfilter = false;
  const host::HostFacts f = host::CollectHostFacts(host::HostPaths{}, options);
  const host::HostFacts own = host::CollectHostFacts(host::HostPaths{}, {});
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  ASSERT_TRUE(f.target_netns.has_value());
  EXPECT_EQ(f.target_netns->id, ns.Id());
  EXPECT_EQ(f.sysctls.get_int("net.core.somaxconn"), 16);
  for (const char* name : {"net.core.rps_sock_flow_entries", "net.core.busy_read"}) {
    const host::SysctlValue* v = f.sysctls.find(name);
    ASSERT_NE(v, nullptr) << name;
    ASSERT_TRUE(v->value.ok()) << name << ": " << v->value.error();
    EXPECT_EQ(*v->value, *own.sysctls.find(name)->value) << name;
  }
  ASSERT_TRUE(f.target_listeners.ok()) << f.target_listeners.error();
  EXPECT_EQ(f.target_listeners->listeners.size(), 1u) << "the namespace's listener on the port";
}

// A client on the host reaching a containerised server over a veth is on this host: its
// replies' receive processing runs on the server's CPU, as over lo. Its end of the connection
// is in the client's namespace, not in the server's table.
TEST(AdvisorTargetNetns, ClientsInTheDaemonsNamespaceAreLocalPeers) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair net;  // a_ns stands for the host's namespace, b_ns for the container's
  const pid_t server = SpawnStalledListener(net.b_ns, VethPair::kServerIp);
  ASSERT_GT(server, 0);
  constexpr int kClients = 3;
  std::vector<int> clients = InNetns(net.a_ns, [] {
    std::vector<int> fds;
    for (int i = 0; i < kClients; ++i) {
      int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr = Ipv4(VethPair::kServerIp, kPort);
      if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) fds.push_back(c);
    }
    return fds;
  });
  host::HostOptions options;
  options.target_pid = server;
  options.target_port = kPort;
  options.query_netfilter = false;
  // The daemon's own namespace is the reading thread's (/proc/self/net is the main thread's).
  host::HostPaths paths;
  paths.net = "/proc/thread-self/net";
  const host::HostFacts f =
      InNetns(net.a_ns, [&] { return host::CollectHostFacts(paths, options); });
  for (int c : clients) close(c);
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  ASSERT_EQ(clients.size(), static_cast<size_t>(kClients));
  ASSERT_TRUE(f.target_netns.has_value());
  ASSERT_TRUE(f.target_listeners.ok()) << f.target_listeners.error();
  EXPECT_EQ(f.target_listeners->established, kClients);
  EXPECT_EQ(f.target_listeners->local_peers, kClients) << "the clients' ends are in a_ns";
  // Their process is found by those ends' inodes, across the namespaces.
  ASSERT_TRUE(f.target_clients.ok()) << f.target_clients.error();
  ASSERT_EQ(f.target_clients->processes.size(), 1u);
  EXPECT_EQ(f.target_clients->processes.front().pid, getpid());
  // The server's veth end names its peer here: the device its local clients come through.
  const int a_index =
      InNetns(net.a_ns, [&] { return static_cast<int>(if_nametoindex(net.a_if.c_str())); });
  ASSERT_TRUE(f.target_link_peers.ok()) << f.target_link_peers.error();
  ASSERT_EQ(f.target_link_peers->size(), 1u);
  EXPECT_EQ(f.target_link_peers->front().name, net.b_if);
  EXPECT_EQ(f.target_link_peers->front().peer_ifindex, a_index);
}

// The container's own iptables rules are on its packets' path: counted there, beside the
// host's.
TEST(AdvisorTargetNetns, TheNamespacesNetfilterRulesAreCounted) {
  TUNESCOPE_REQUIRE_ROOT();
  ServerNetns ns;
  const std::string path = "/tmp/tunescope-ns-rules-" + std::to_string(getpid());
  {
    std::ofstream rules(path);
    rules << "*filter\n:OUTPUT ACCEPT [0:0]\n";
    for (int i = 1; i <= 7; ++i) rules << "-A OUTPUT -d 10.251.0." << i << "/32 -j DROP\n";
    rules << "COMMIT\n";
  }
  const int restored = Sh("ip netns exec " + ns.name() + " iptables-restore < " + path);
  std::remove(path.c_str());
  ASSERT_EQ(restored, 0);
  const pid_t server = SpawnStalledListener(ns.name());
  ASSERT_GT(server, 0);
  host::HostOptions options;
  options.target_pid = server;
  const host::HostFacts f = host::CollectHostFacts(host::HostPaths{}, options);
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  ASSERT_TRUE(f.target_netns.has_value());
  ASSERT_TRUE(f.target_netfilter.ok()) << f.target_netfilter.error();
  EXPECT_EQ(f.target_netfilter->total_rules(), 7);
}

// A packet socket in the server's namespace (a tcpdump beside it in the container) copies
// every packet of its traffic, as one on the host would.
TEST(AdvisorTargetNetns, PacketSocketsInTheServersNamespaceAreFound) {
  TUNESCOPE_REQUIRE_ROOT();
  ServerNetns ns;
  const pid_t tap = SpawnInNetns(
      ns.name(), [] { return socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)) >= 0; });
  ASSERT_GT(tap, 0);
  host::HostOptions options;
  options.target_pid = tap;
  options.query_netfilter = false;
  const host::HostFacts f = host::CollectHostFacts(host::HostPaths{}, options);
  kill(tap, SIGKILL);
  waitpid(tap, nullptr, 0);
  ASSERT_TRUE(f.target_netns.has_value());
  ASSERT_TRUE(f.packet_sockets.ok()) << f.packet_sockets.error();
  const bool found =
      std::any_of(f.packet_sockets->begin(), f.packet_sockets->end(), [&](const auto& s) {
        return std::any_of(s.owners.begin(), s.owners.end(),
                           [&](const auto& o) { return o.pid == tap; });
      });
  EXPECT_TRUE(found) << f.packet_sockets->size() << " packet sockets, none the namespace's";
}

std::string HostSomaxconn() {
  std::ifstream in("/proc/sys/net/core/somaxconn");
  std::string v;
  in >> v;
  return v;
}

// experiment changes settings in tunescope's own namespace: for a server in another one it
// would measure nothing, so it refuses and says how to run it there.
TEST(AdvisorTargetNetns, ExperimentRefusesAServerInAnotherNamespace) {
  TUNESCOPE_REQUIRE_ROOT();
  ServerNetns ns;
  const pid_t server = SpawnStalledListener(ns.name());
  ASSERT_GT(server, 0);
  const std::string before = HostSomaxconn();
  std::string out;
  const int rc = Sh(std::string(TUNESCOPE_BINARY) +
                        " experiment --tuning somaxconn --load 'sleep 30' --duration 2s --yes"
                        " --target-pid " +
                        std::to_string(server),
                    &out);
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("another network namespace (" + ns.Id() + ")"), std::string::npos) << out;
  EXPECT_NE(out.find("nsenter --net=/proc/" + std::to_string(server) + "/ns/net"),
            std::string::npos)
      << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << out;
  EXPECT_EQ(HostSomaxconn(), before);
}

}  // namespace
}  // namespace tunescope::testing
