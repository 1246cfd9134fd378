// The qdisc probe: UDP senders on both CPUs pushing through one veth end show contention on
// its root lock with a locking qdisc (pfifo) and none with noqueue.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "metric_lookup.h"
#include "netns.h"
#include "probe_harness.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

struct Load {
  double contentions;
  double wait_seconds;
  double packets;
};

// Four sender threads, two pinned to each CPU, for `duration`.
Load SendFromAllCpus(const probes::Probe& probe, const VethPair& pair,
                     std::chrono::milliseconds duration) {
  const LabelFilter dev{{"device", pair.a_if}};
  auto before = probe.Collect();
  std::vector<std::unique_ptr<NsSocket>> sockets;
  for (int i = 0; i < 4; ++i) sockets.push_back(std::make_unique<NsSocket>(pair.a_ns, SOCK_DGRAM));
  std::vector<std::thread> senders;
  const auto end = std::chrono::steady_clock::now() + duration;
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&, i] {
      PinToCpu(i % cpus);
      while (std::chrono::steady_clock::now() < end) {
        SendUdp(sockets[static_cast<size_t>(i)]->fd(), VethPair::kServerIp, 5002, 64, 16);
      }
    });
  }
  for (auto& t : senders) t.join();
  auto after = probe.Collect();
  auto delta = [&](const char* name) {
    return SumValues(after, name, dev) - SumValues(before, name, dev);
  };
  return {delta("tunescope_qdisc_lock_contentions_total"),
          delta("tunescope_qdisc_lock_wait_seconds_total"), delta("tunescope_qdisc_packets_total")};
}

TEST(QdiscProbe, RootLockContentionWithPfifoAndNoneWithNoqueue) {
  TUNESCOPE_REQUIRE_ROOT();
  ASSERT_GE(std::thread::hardware_concurrency(), 2u) << "contention needs two CPUs";
  VethPair pair;
  auto probe = StartProbe("qdisc");
  ASSERT_NE(probe, nullptr);
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, 5002);

  ShOrThrow("tc -n " + pair.a_ns + " qdisc replace dev " + pair.a_if + " root pfifo limit 10000");
  Load pfifo = SendFromAllCpus(*probe, pair, std::chrono::milliseconds(2500));
  auto families = probe->Collect();
  EXPECT_EQ(SumValues(families, "tunescope_qdisc_info", {{"device", pair.a_if}, {"kind", "pfifo"}}),
            1);

  ShOrThrow("tc -n " + pair.a_ns + " qdisc del dev " + pair.a_if + " root");  // veth: noqueue
  Load noqueue = SendFromAllCpus(*probe, pair, std::chrono::milliseconds(2500));
  families = probe->Collect();
  EXPECT_EQ(
      SumValues(families, "tunescope_qdisc_info", {{"device", pair.a_if}, {"kind", "noqueue"}}), 1);

  std::cout << "pfifo: " << pfifo.contentions << " contentions, " << pfifo.wait_seconds * 1e6
            << " us waiting, " << pfifo.packets << " packets; noqueue: " << noqueue.contentions
            << " contentions, " << noqueue.packets << " packets\n";
  EXPECT_GT(pfifo.packets, 10000);
  EXPECT_GT(pfifo.contentions, 0);
  EXPECT_GT(pfifo.wait_seconds, 0);
  EXPECT_EQ(noqueue.contentions, 0);
  EXPECT_EQ(noqueue.packets, 0) << "noqueue has no qdisc to enqueue to";
}

}  // namespace
}  // namespace tunescope::testing
