// The xcpu probe: receive processing steered (RPS) to the reader's CPU reads locally, steered
// to the other CPU reads remotely; backlog packets are timed on the CPU that processed them
// against the CPU that enqueued them; the XDP counter matches the packets sent, and a daemon
// killed with -9 leaves no XDP program on the interface.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>

#include "metric_lookup.h"
#include "netns.h"
#include "probe_harness.h"
#include "require_root.h"
#include "serve_in_netns.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

constexpr uint16_t kPort = 5003;

void SetRps(const VethPair& pair, int cpu_mask) {
  ShOrThrow("ip netns exec " + pair.b_ns + " sh -c 'echo " + std::to_string(cpu_mask) +
            " > /sys/class/net/" + pair.b_if + "/queues/rx-0/rps_cpus'");
}

// A connected pair from the client namespace to the server port: UDP datagrams, or a TCP
// connection (TCP_NODELAY, so each paced send is one segment).
struct Flow {
  Flow(const VethPair& pair, int socket_type)
      : type(socket_type), server(pair.b_ns, socket_type), client(pair.a_ns, socket_type) {
    server.Bind(VethPair::kServerIp, kPort);
    if (type == SOCK_STREAM) {
      if (listen(server.fd(), 1) != 0) throw std::runtime_error("listen");
      sockaddr_in to = Ipv4(VethPair::kServerIp, kPort);
      if (connect(client.fd(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
        throw std::runtime_error("connect");
      }
      conn = accept(server.fd(), nullptr, nullptr);
      if (conn < 0) throw std::runtime_error("accept");
      int one = 1;
      setsockopt(client.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    timeval timeout{1, 0};
    setsockopt(read_fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~Flow() {
    if (conn >= 0) close(conn);
  }
  int read_fd() const { return type == SOCK_STREAM ? conn : server.fd(); }
  void Send() const {
    if (type == SOCK_STREAM) {
      (void)send(client.fd(), "x", 1, 0);
    } else {
      SendUdp(client.fd(), VethPair::kServerIp, kPort, 1);
    }
  }

  int type;
  NsSocket server;
  NsSocket client;
  int conn = -1;
};

// The reader is pinned to CPU 0 and reads what `count` paced sends deliver, each before the
// next arrives. Returns the share of reads on another CPU.
double OtherCpuShare(const probes::Probe& probe, const VethPair& pair, int type, int count) {
  Flow flow(pair, type);
  auto before = probe.Collect();
  int reads = 0;
  std::thread reader([&] {
    PinToCpu(0);
    char buf[256];
    for (int i = 0; i < count; ++i) {
      if (recv(flow.read_fd(), buf, sizeof(buf), 0) <= 0) break;
      ++reads;
    }
  });
  std::thread sender([&] {
    PinToCpu(1);
    for (int i = 0; i < count; ++i) {
      flow.Send();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  sender.join();
  if (type == SOCK_STREAM) shutdown(flow.client.fd(), SHUT_WR);  // ends a reader short of count
  reader.join();
  auto after = probe.Collect();
  auto delta = [&](const char* locality) {
    LabelFilter f{{"port", std::to_string(kPort)}, {"locality", locality}};
    return SumValues(after, "tunescope_xcpu_reads_total", f) -
           SumValues(before, "tunescope_xcpu_reads_total", f);
  };
  double same = delta("same_cpu"), other = delta("other_cpu");
  std::cout << "reads " << reads << ": same_cpu " << same << ", other_cpu " << other << "\n";
  EXPECT_GT(reads, count / 2) << "paced sends are read one by one";
  EXPECT_NEAR(same + other, reads, 0.1 * reads) << "every read must be classified";
  return same + other > 0 ? other / (same + other) : -1;
}

std::unique_ptr<probes::Probe> StartXcpu() {
  probes::ProbeConfig config;
  config.target_ports = {kPort};
  return StartProbe("xcpu", "", config);
}

// UDP (remembered on sk_data_ready) and TCP (the kernel's sk_incoming_cpu).
class XcpuLocality : public ::testing::TestWithParam<int> {};

TEST_P(XcpuLocality, RpsSteeringDecidesReadLocality) {
  TUNESCOPE_REQUIRE_ROOT();
  ASSERT_GE(std::thread::hardware_concurrency(), 2u) << "locality needs two CPUs";
  VethPair pair;
  auto probe = StartXcpu();
  ASSERT_NE(probe, nullptr);

  SetRps(pair, 1);  // receive processing on CPU 0, where the reader runs
  double local = OtherCpuShare(*probe, pair, GetParam(), 1000);
  SetRps(pair, 2);  // on CPU 1
  double remote = OtherCpuShare(*probe, pair, GetParam(), 1000);
  std::cout << "other-CPU share: steered to the reader's CPU " << local << ", to the other CPU "
            << remote << "\n";
  EXPECT_GE(local, 0);
  EXPECT_LT(local, 0.1);
  EXPECT_GT(remote, 0.9);
}

INSTANTIATE_TEST_SUITE_P(Protocols, XcpuLocality, ::testing::Values(SOCK_DGRAM, SOCK_STREAM),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == SOCK_STREAM ? "tcp" : "udp");
                         });

// A veth's receive side goes through netif_rx, so its RPS mask picks the CPU that processes
// each packet. Datagrams sent from CPU 1: a mask on CPU 0 steers them there (other_cpu on CPU 0,
// sent away by CPU 1), a mask on CPU 1 keeps them (same_cpu on CPU 1). Another port's are not
// timed.
TEST(XcpuProbe, BacklogTimeIsKeptByTheCpuThatEnqueued) {
  TUNESCOPE_REQUIRE_ROOT();
  ASSERT_GE(std::thread::hardware_concurrency(), 2u) << "steering needs two CPUs";
  VethPair pair;
  auto probe = StartXcpu();
  ASSERT_NE(probe, nullptr);
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, kPort);
  NsSocket bystander(pair.b_ns, SOCK_DGRAM);
  bystander.Bind(VethPair::kServerIp, kPort + 1);
  NsSocket client(pair.a_ns, SOCK_DGRAM);
  constexpr int kDatagrams = 500;

  struct Delta {
    std::vector<prometheus::MetricFamily> before, after;
    double operator()(const char* family, const LabelFilter& f) const {
      return SumValues(after, family, f) - SumValues(before, family, f);
    }
  };
  auto send = [&](int mask, uint16_t port) {
    SetRps(pair, mask);
    Delta d{probe->Collect(), {}};
    std::thread sender([&] {
      PinToCpu(1);
      for (int i = 0; i < kDatagrams; ++i) {
        SendUdp(client.fd(), VethPair::kServerIp, port, 1);
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    });
    sender.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    d.after = probe->Collect();
    return d;
  };
  constexpr const char* kPackets = "tunescope_xcpu_backlog_packets_total";
  constexpr const char* kSeconds = "tunescope_xcpu_backlog_seconds_total";
  constexpr const char* kAway = "tunescope_xcpu_backlog_sent_away_seconds_total";

  Delta steered = send(1, kPort);
  const double other = steered(kPackets, {{"cpu", "0"}, {"enqueued", "other_cpu"}});
  const double other_seconds = steered(kSeconds, {{"cpu", "0"}, {"enqueued", "other_cpu"}});
  std::cout << "steered to CPU 0: " << other << " packets, " << other_seconds * 1e6 << " us\n";
  EXPECT_NEAR(other, kDatagrams, 0.02 * kDatagrams);
  EXPECT_EQ(steered(kPackets, {{"enqueued", "same_cpu"}}), 0);
  EXPECT_GT(other_seconds, 0);
  EXPECT_LT(other_seconds / other, 1e-3) << "a datagram's processing takes microseconds";
  EXPECT_NEAR(steered(kAway, {{"cpu", "1"}}), other_seconds, 1e-9 * other + 1e-9)
      << "CPU 1 sent them away";
  EXPECT_EQ(steered(kAway, {{"cpu", "0"}}), 0);

  Delta kept = send(2, kPort);
  EXPECT_NEAR(kept(kPackets, {{"cpu", "1"}, {"enqueued", "same_cpu"}}), kDatagrams,
              0.02 * kDatagrams);
  EXPECT_EQ(kept(kPackets, {{"enqueued", "other_cpu"}}), 0);
  EXPECT_EQ(kept(kAway, {}), 0);

  Delta elsewhere = send(1, kPort + 1);
  EXPECT_EQ(elsewhere(kPackets, {}), 0) << "only the target ports' packets are timed";
  SetRps(pair, 0);
  // One packet in flight at a time: none may find its slot in the packet table taken.
  bool reported = false;
  for (const probes::MapFullCount& m : probe->MapFullCounts()) {
    if (m.map == "packets") {
      reported = true;
      EXPECT_EQ(m.count, 0u);
    }
  }
  EXPECT_TRUE(reported) << "xcpu reports its packet table's lost slots";
}

double XdpPackets(const std::vector<prometheus::MetricFamily>& families, const std::string& dev) {
  return SumValues(families, "tunescope_xdp_rx_packets_total", {{"device", dev}});
}

bool XdpAttached(const VethPair& pair) {
  std::string out;
  Sh("ip -n " + pair.b_ns + " link show dev " + pair.b_if, &out);
  return out.find("xdp") != std::string::npos;
}

TEST(XcpuProbe, XdpCountsEveryPacketPerQueueAndDetaches) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  probes::ProbeConfig config;
  config.xdp_iface = pair.b_if;
  auto probe = InNetns(pair.b_ns, [&] { return StartProbe("xcpu", "", config); });
  ASSERT_NE(probe, nullptr);
  ASSERT_TRUE(XdpAttached(pair));
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, kPort);
  NsSocket client(pair.a_ns, SOCK_DGRAM);

  auto before = probe->Collect();
  constexpr int kPackets = 2000;
  int sent = 0;
  for (int burst = 0; burst < kPackets / 100; ++burst) {
    sent += SendUdp(client.fd(), VethPair::kServerIp, kPort, 100);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto after = probe->Collect();
  double counted = XdpPackets(after, pair.b_if) - XdpPackets(before, pair.b_if);
  double queue0 =
      SumValues(after, "tunescope_xdp_rx_packets_total", {{"device", pair.b_if}, {"queue", "0"}});
  std::cout << "sent " << sent << ", XDP counted " << counted << " (queue 0: " << queue0 << ")\n";
  EXPECT_EQ(sent, kPackets);
  EXPECT_NEAR(counted, sent, 0.01 * sent + 2);
  EXPECT_NEAR(queue0, XdpPackets(after, pair.b_if), 0) << "a veth has one rx queue";
  probe->Stop();
  EXPECT_FALSE(XdpAttached(pair)) << "Stop() detaches the XDP link";
}

TEST(XcpuProbe, KilledDaemonLeavesNoXdpProgram) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  ServeInNetns daemon(pair.b_ns, 10031, {"--probes=xcpu", "--xdp-iface=" + pair.b_if});
  ASSERT_TRUE(daemon.started());
  bool attached = false;
  for (int i = 0; i < 100 && !attached; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    attached = XdpAttached(pair);
  }
  const int status = daemon.Kill(SIGKILL);
  ASSERT_TRUE(attached) << "the daemon never attached XDP to " << pair.b_if;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !XdpAttached(pair);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "XDP program left on " << pair.b_if << " after kill -9";
}

}  // namespace
}  // namespace tunescope::testing
