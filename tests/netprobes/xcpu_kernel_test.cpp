// The xcpu probe: receive processing steered (RPS) to the reader's CPU reads locally, steered
// to the other CPU reads remotely; the XDP counter matches the packets sent, and a daemon
// killed with -9 leaves no XDP program on the interface.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "metric_lookup.h"
#include "netns.h"
#include "probe_harness.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

constexpr uint16_t kPort = 5003;

void SetRps(const VethPair& pair, int cpu_mask) {
  ShOrThrow("ip netns exec " + pair.b_ns + " sh -c 'echo " + std::to_string(cpu_mask) +
            " > /sys/class/net/" + pair.b_if + "/queues/rx-0/rps_cpus'");
}

// The reader is pinned to CPU 0 and reads `count` datagrams; the sender paces them so each
// is read before the next arrives. Returns the share of reads on another CPU.
double OtherCpuShare(const probes::Probe& probe, const VethPair& pair, int count) {
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, kPort);
  timeval timeout{1, 0};
  setsockopt(server.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  NsSocket client(pair.a_ns, SOCK_DGRAM);
  auto before = probe.Collect();
  std::thread reader([&] {
    PinToCpu(0);
    char buf[256];
    for (int i = 0; i < count; ++i) {
      if (recv(server.fd(), buf, sizeof(buf), 0) < 0) break;
    }
  });
  std::thread sender([&] {
    PinToCpu(1);
    for (int i = 0; i < count; ++i) {
      SendUdp(client.fd(), VethPair::kServerIp, kPort, 1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  sender.join();
  reader.join();
  auto after = probe.Collect();
  auto delta = [&](const char* locality) {
    LabelFilter f{{"port", std::to_string(kPort)}, {"locality", locality}};
    return SumValues(after, "tunescope_xcpu_reads_total", f) -
           SumValues(before, "tunescope_xcpu_reads_total", f);
  };
  double same = delta("same_cpu"), other = delta("other_cpu");
  std::cout << "reads: same_cpu " << same << ", other_cpu " << other << "\n";
  EXPECT_GT(same + other, 0.9 * count) << "most reads must be classified";
  return same + other > 0 ? other / (same + other) : -1;
}

TEST(XcpuProbe, RpsSteeringDecidesReadLocality) {
  TUNESCOPE_REQUIRE_ROOT();
  ASSERT_GE(std::thread::hardware_concurrency(), 2u) << "locality needs two CPUs";
  VethPair pair;
  probes::ProbeConfig config;
  config.target_ports = {kPort};
  auto probe = StartProbe("xcpu", "", config);
  ASSERT_NE(probe, nullptr);

  SetRps(pair, 1);  // receive processing on CPU 0, where the reader runs
  double local = OtherCpuShare(*probe, pair, 1000);
  SetRps(pair, 2);  // on CPU 1
  double remote = OtherCpuShare(*probe, pair, 1000);
  std::cout << "other-CPU share: steered to the reader's CPU " << local << ", to the other CPU "
            << remote << "\n";
  EXPECT_GE(local, 0);
  EXPECT_LT(local, 0.1);
  EXPECT_GT(remote, 0.9);
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
  pid_t daemon = fork();
  if (daemon == 0) {
    std::string listen = "--web.listen-address=127.0.0.1:10031";
    std::string iface = "--xdp-iface=" + pair.b_if;
    execlp("ip", "ip", "netns", "exec", pair.b_ns.c_str(), TUNESCOPE_BINARY, "serve",
           "--probes=xcpu", iface.c_str(), listen.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(daemon, 0);
  bool attached = false;
  for (int i = 0; i < 100 && !attached; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    attached = XdpAttached(pair);
  }
  // `ip netns exec` execs the daemon in place, so the pid is the daemon's.
  kill(daemon, SIGKILL);
  int status = 0;
  waitpid(daemon, &status, 0);
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
