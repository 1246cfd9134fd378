// The qdisc probe: UDP senders on both CPUs pushing through one veth end show contention on
// its root lock with a locking qdisc (pfifo) and none with noqueue; one pinned sender shows the
// transmit-path time per packet and CPU, larger with pfifo than with noqueue, by about what the
// sender's own CPU time per packet says.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "host/median.h"
#include "metric_lookup.h"
#include "netns.h"
#include "probe_harness.h"
#include "probes/bpf_stats.h"
#include "probes/qdisc_metrics.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

using host::Median;

struct Load {
  double contentions;
  double wait_seconds;
  double packets;
  double unpaired;  // left the path on their CPU, queued for the CPU running the qdisc ...
  double dequeued;  // ... which sends them: the two should match
  double timed;     // reached the driver on the CPU that sent them
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
          delta("tunescope_qdisc_lock_wait_seconds_total"),
          delta("tunescope_qdisc_packets_total"),
          delta("tunescope_qdisc_unpaired_packets_total"),
          delta("tunescope_qdisc_dequeued_packets_total"),
          delta("tunescope_qdisc_timed_packets_total")};
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
  std::cout << "pfifo: " << pfifo.unpaired << " packets handed to another CPU's qdisc run, "
            << pfifo.dequeued << " dequeued for others\n";
  EXPECT_GT(pfifo.unpaired, 0) << "contended enqueues leave their packet to the qdisc owner";
  EXPECT_NEAR(pfifo.dequeued, pfifo.unpaired, 0.1 * pfifo.unpaired + 20);
  std::cout << "noqueue: " << noqueue.timed << " packets timed, " << noqueue.unpaired
            << " unpaired, " << noqueue.dequeued << " dequeued\n";
  EXPECT_GT(noqueue.timed, 10000);
  // Nearly none of the test's packets: a span the hypervisor stretched past the probe's 1 ms
  // sanity bound counts as unpaired (a CI run saw 4 in ~800000); pfifo hands off 2-4%.
  EXPECT_LE(noqueue.unpaired + noqueue.dequeued, 2 + 1e-5 * noqueue.timed);
  EXPECT_EQ(noqueue.contentions, 0);
  EXPECT_EQ(noqueue.packets, 0) << "noqueue has no qdisc to enqueue to";
}

// CPU time a thread or task has run, in ns (CONFIG_SCHED_INFO: exact, /proc/.../schedstat).
double RunNs(const std::string& schedstat_path) {
  std::ifstream in(schedstat_path);
  double ns = 0;
  in >> ns;
  return ns;
}

// /proc/<pid>/schedstat of ksoftirqd/<cpu>: receive work deferred there is still sender cost.
std::string KsoftirqdSchedstat(int cpu) {
  const std::string want = "ksoftirqd/" + std::to_string(cpu);
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  while (dirent* e = proc ? readdir(proc.get()) : nullptr) {
    std::string pid = e->d_name;
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    std::ifstream comm("/proc/" + pid + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == want) return "/proc/" + pid + "/schedstat";
  }
  return "";
}

// Renames the client end of `pair` (down, rename, up; the static neighbour entry goes with the
// link and is put back).
void RenameClientEnd(VethPair& pair, const std::string& name) {
  const std::string ip = "ip -n " + pair.a_ns + " ";
  ShOrThrow(ip + "link set " + pair.a_if + " down");
  ShOrThrow(ip + "link set " + pair.a_if + " name " + name);
  pair.a_if = name;
  ShOrThrow(ip + "link set " + name + " up");
  ShOrThrow(ip + "neigh replace " + VethPair::kServerIp + " lladdr 02:00:0a:c7:00:02 dev " + name +
            " nud permanent");
}

std::string NetnsInode(const std::string& ns) {
  struct stat st {};
  if (stat(("/run/netns/" + ns).c_str(), &st) != 0) return "?";
  return std::to_string(st.st_ino);
}

// Every container has an eth0: a device is its name in its network namespace, or a
// container's noqueue end and the host's queueing NIC add up to one series.
TEST(QdiscProbe, DevicesOfOneNameInTwoNamespacesAreTwoDevices) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair queued, bare;
  const std::string name = "tsq" + std::to_string(getpid() % 1000000);
  RenameClientEnd(queued, name);
  RenameClientEnd(bare, name);
  ShOrThrow("tc -n " + queued.a_ns + " qdisc replace dev " + name + " root pfifo limit 10000");
  auto probe = StartProbe("qdisc");
  ASSERT_NE(probe, nullptr);
  for (VethPair* pair : {&queued, &bare}) {
    NsSocket sender(pair->a_ns, SOCK_DGRAM);
    SendUdp(sender.fd(), VethPair::kServerIp, 5002, 2000);
  }
  auto families = probe->Collect();
  const std::string queued_ns = NetnsInode(queued.a_ns), bare_ns = NetnsInode(bare.a_ns);
  ASSERT_NE(queued_ns, bare_ns);
  EXPECT_EQ(
      SumValues(families, "tunescope_qdisc_info",
                {{"device", name}, {"netns", queued_ns}, {"kind", "pfifo"}, {"virtual", "true"}}),
      1);
  EXPECT_EQ(
      SumValues(families, "tunescope_qdisc_info",
                {{"device", name}, {"netns", bare_ns}, {"kind", "noqueue"}, {"virtual", "true"}}),
      1);
  EXPECT_EQ(SumValues(families, "tunescope_qdisc_info", {{"device", name}}), 2);
  EXPECT_GE(SumValues(families, "tunescope_qdisc_packets_total",
                      {{"device", name}, {"netns", queued_ns}}),
            2000);
  EXPECT_EQ(
      SumValues(families, "tunescope_qdisc_packets_total", {{"device", name}, {"netns", bare_ns}}),
      0);
  // A span the hypervisor stretches past the probe's sanity bound counts as unpaired.
  EXPECT_GE(SumValues(families, "tunescope_qdisc_timed_packets_total",
                      {{"device", name}, {"netns", bare_ns}}),
            1990);
}

// Devices that send nothing for --qdisc.forget-after are dropped: a host that churns through
// veths keeps learning new ones in a map of bounded size.
TEST(QdiscProbe, IdleDevicesAreForgottenToMakeRoomForNewOnes) {
  TUNESCOPE_REQUIRE_ROOT();
  probes::ProbeConfig config;
  config.max_qdisc_devices = 4;  // two pairs: each sender's end and its peer's (ICMP errors)
  config.qdisc_forget_idle_s = 0.5;
  auto probe = StartProbe("qdisc", "", config);
  ASSERT_NE(probe, nullptr);
  std::vector<std::unique_ptr<VethPair>> pairs;
  for (int i = 0; i < 6; ++i) {
    auto pair = std::make_unique<VethPair>();
    NsSocket sender(pair->a_ns, SOCK_DGRAM);
    SendUdp(sender.fd(), VethPair::kServerIp, 5002, 100);
    auto families = probe->Collect();
    EXPECT_GE(SumValues(families, "tunescope_qdisc_timed_packets_total", {{"device", pair->a_if}}),
              95)
        << "device pair " << i + 1 << " of 6 not learned with room for 2";
    pairs.push_back(std::move(pair));
    if (pairs.size() > 1) pairs.erase(pairs.begin());  // destroyed, as containers' veths are
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    probe->Collect();  // forgets what sent nothing since the last one
  }
}

// Sends `count` 64-byte datagrams from a thread pinned to `cpu`; returns the CPU time (ns) that
// thread and that CPU's ksoftirqd spent meanwhile (veth delivers to the peer through the
// sender's own softirq, so the receive side is in it too, alike for every qdisc).
double SendPinned(int fd, int cpu, int count) {
  const std::string softirqd = KsoftirqdSchedstat(cpu);
  double ns = 0;
  std::thread([&] {
    PinToCpu(cpu);
    std::this_thread::yield();  // now on `cpu`
    const double t0 = RunNs("/proc/thread-self/schedstat");
    const double s0 = softirqd.empty() ? 0 : RunNs(softirqd);
    int sent = SendUdp(fd, VethPair::kServerIp, 5002, count, 64);
    const double t1 = RunNs("/proc/thread-self/schedstat");
    const double s1 = softirqd.empty() ? 0 : RunNs(softirqd);
    ns = sent == count ? (t1 - t0) + (s1 - s0) : -1;
  }).join();
  return ns;
}

// Qdisc-path deltas of one device over some traffic, per CPU label.
struct PathDelta {
  std::map<std::string, double> seconds, timed, unpaired, dequeued, packets;

  static double Sum(const std::map<std::string, double>& m) {
    double s = 0;
    for (const auto& [cpu, v] : m) s += v;
    return s;
  }
  double NsPerPacket() const { return Sum(seconds) / std::max(1.0, Sum(timed)) * 1e9; }
};

PathDelta Delta(const std::vector<prometheus::MetricFamily>& before,
                const std::vector<prometheus::MetricFamily>& after, const std::string& device) {
  PathDelta d;
  auto fill = [&](const char* name, std::map<std::string, double>& out) {
    const prometheus::MetricFamily* f = FindFamily(after, name);
    if (f == nullptr) return;
    for (const auto& m : f->metric) {
      if (!Matches(m, {{"device", device}})) continue;
      for (const auto& l : m.label) {
        if (l.name != "cpu") continue;
        LabelFilter one{{"device", device}, {"cpu", l.value}};
        out[l.value] = SumValues(after, name, one) - SumValues(before, name, one);
      }
    }
  };
  fill("tunescope_qdisc_seconds_total", d.seconds);
  fill("tunescope_qdisc_timed_packets_total", d.timed);
  fill("tunescope_qdisc_unpaired_packets_total", d.unpaired);
  fill("tunescope_qdisc_dequeued_packets_total", d.dequeued);
  fill("tunescope_qdisc_packets_total", d.packets);
  return d;
}

class QdiscPath : public ::testing::Test {
 protected:
  void SetUp() override {
    TUNESCOPE_REQUIRE_ROOT();
    ASSERT_GE(std::thread::hardware_concurrency(), 2u);
    pair_ = std::make_unique<VethPair>();
    server_ = std::make_unique<NsSocket>(pair_->b_ns, SOCK_DGRAM);
    server_->Bind(VethPair::kServerIp, 5002);
    int small = 4096;  // never read: a full buffer drops at once, the same for every qdisc
    setsockopt(server_->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    client_ = std::make_unique<NsSocket>(pair_->a_ns, SOCK_DGRAM);
  }
  void UsePfifo() {
    ShOrThrow("tc -n " + pair_->a_ns + " qdisc replace dev " + pair_->a_if +
              " root pfifo limit 10000");
  }
  void UseNoqueue() {  // veth's default
    Sh("tc -n " + pair_->a_ns + " qdisc del dev " + pair_->a_if + " root");
  }
  // Probe deltas over `count` datagrams sent from `cpu`.
  PathDelta Measure(const probes::Probe& probe, int cpu, int count) {
    auto before = probe.Collect();
    EXPECT_GE(SendPinned(client_->fd(), cpu, count), 0) << "sendto failed";
    return Delta(before, probe.Collect(), pair_->a_if);
  }

  std::unique_ptr<VethPair> pair_;
  std::unique_ptr<NsSocket> server_, client_;
};

TEST_F(QdiscPath, PerCpuTimeAndCountsWithPfifoAboveNoqueue) {
  auto probe = StartProbe("qdisc");
  ASSERT_NE(probe, nullptr);
  constexpr int kRounds = 3;
  const int counts[2] = {20000, 30000};  // from CPU 0, then from CPU 1: told apart by label
  std::vector<double> pfifo_ns, noqueue_ns;
  for (int round = 0; round < kRounds; ++round) {
    for (bool pfifo : {true, false}) {
      pfifo ? UsePfifo() : UseNoqueue();
      PathDelta d[2];
      for (int cpu = 0; cpu < 2; ++cpu) d[cpu] = Measure(*probe, cpu, counts[cpu]);
      const char* kind = pfifo ? "pfifo" : "noqueue";
      for (int cpu = 0; cpu < 2; ++cpu) {
        const std::string self = std::to_string(cpu), other = std::to_string(1 - cpu);
        SCOPED_TRACE(std::string(kind) + " round " + std::to_string(round) + " cpu " + self);
        // One sender, no other traffic (static neighbours, no IPv6): every datagram is
        // timed on its own CPU, nothing queues, nothing lands on the other CPU's series.
        EXPECT_GE(d[cpu].timed[self], 0.99 * counts[cpu]);
        EXPECT_LE(d[cpu].timed[self] + d[cpu].unpaired[self], counts[cpu] + 5);
        EXPECT_EQ(d[cpu].timed[other] + d[cpu].unpaired[other] + d[cpu].seconds[other], 0);
        EXPECT_GT(d[cpu].seconds[self], 0);
        EXPECT_DOUBLE_EQ(PathDelta::Sum(d[cpu].seconds), d[cpu].seconds[self]);
        EXPECT_NEAR(d[cpu].packets[self], pfifo ? counts[cpu] : 0, 5) << "packets enqueued";
        double ns = d[cpu].NsPerPacket();
        EXPECT_GT(ns, 0);
        EXPECT_LT(ns, 20000) << "a pass through the transmit path is not 20 us";
        (pfifo ? pfifo_ns : noqueue_ns).push_back(ns);
      }
    }
  }
  auto families = probe->Collect();
  EXPECT_EQ(
      SumValues(families, "tunescope_qdisc_info", {{"device", pair_->a_if}, {"kind", "noqueue"}}),
      1);
  // Printed, not compared: the two differ by ~20 ns a packet, within this VM's round-to-round
  // noise (a CI run saw pfifo 162 ns, noqueue 171 ns); the ground truth test below compares
  // the difference with the sender's CPU time over many more packets.
  std::cout << "qdisc path per packet: pfifo median " << Median(pfifo_ns) << " ns, noqueue median "
            << Median(noqueue_ns) << " ns\n";
}

// Standard error of the median of `v`, from its interquartile range (normal-equivalent sigma
// IQR / 1.349, times 1.2533 / sqrt(n)): robust to the few wild rounds a shared VM produces.
double MedianStandardError(std::vector<double> v) {
  if (v.size() < 4) return std::numeric_limits<double>::infinity();
  std::sort(v.begin(), v.end());
  const double iqr = v[v.size() * 3 / 4] - v[v.size() / 4];
  return 1.2533 * iqr / 1.349 / std::sqrt(static_cast<double>(v.size()));
}

// Each program's runs and run time so far (statistics must be on), by name without the mode.
std::map<std::string, probes::ProgramRun> ProgramRuns(const probes::Probe& probe) {
  std::map<std::string, probes::ProgramRun> out;
  for (const bpf_program* prog : probe.LoadedPrograms()) {
    std::string name = bpf_program__name(prog);
    if (auto run = probes::ReadProgramRun(prog)) out[name.substr(0, name.size() - 4)] = *run;
  }
  return out;
}

// The probe's own program time inside one packet's span between two ProgramRuns, `packets`
// sent, as the advisor takes it out (qdisc_metrics::kProgramsInSpan).
double InSpanProgramNs(const std::map<std::string, probes::ProgramRun>& before,
                       const std::map<std::string, probes::ProgramRun>& after, bool qdisc,
                       int packets) {
  double ns = 0;
  for (const auto& p : probes::qdisc_metrics::kProgramsInSpan) {
    auto b = before.find(p.program), a = after.find(p.program);
    if (a == after.end() || b == before.end() || a->second.runs <= b->second.runs) continue;
    double per_packet = p.every_packet ? static_cast<double>(a->second.runs - b->second.runs)
                                       : static_cast<double>(packets);
    double ns_per_packet = (a->second.seconds - b->second.seconds) * 1e9 / per_packet;
    ns += (qdisc ? p.qdisc_part : p.noqueue_part) * ns_per_packet;
  }
  return ns;
}

// Ground truth: the CPU time per datagram a pinned sender spends with pfifo minus with noqueue
// (probe detached, alternating rounds), against the probe's per-packet difference less its own
// programs inside the spans (BPF statistics on while attached, as in the daemon's windows).
TEST_F(QdiscPath, PerPacketDifferenceMatchesSenderCpuTime) {
  auto probe = StartProbe("qdisc");
  ASSERT_NE(probe, nullptr);
  // Short rounds, many pairs: on a shared 2-vCPU VM single runs vary by +-30%, and the paired
  // differences spread over hundreds of ns (-470..+850 in one run) around a median of 100-350.
  constexpr int kRounds = 48;
  constexpr int kPackets = 20000;
  const int cpu = static_cast<int>(std::thread::hardware_concurrency()) - 1;
  std::map<bool, std::vector<double>> cpu_ns, probe_ns, programs_ns;
  probes::BpfStats stats;
  ASSERT_TRUE(stats.Enable().ok());
  SendPinned(client_->fd(), cpu, 5000);  // warm up
  for (int round = 0; round < kRounds; ++round) {
    // ABBA order: a drift in either direction hits both qdiscs alike.
    for (bool pfifo : {round % 2 == 0, round % 2 != 0}) {
      pfifo ? UsePfifo() : UseNoqueue();
      probe->Detach();
      double ns = SendPinned(client_->fd(), cpu, kPackets);
      ASSERT_GT(ns, 0);
      cpu_ns[pfifo].push_back(ns / kPackets);
      ASSERT_TRUE(probe->Reattach().ok());
      const auto runs_before = ProgramRuns(*probe);
      const double path_ns = Measure(*probe, cpu, kPackets).NsPerPacket();
      const double own_ns = InSpanProgramNs(runs_before, ProgramRuns(*probe), pfifo, kPackets);
      programs_ns[pfifo].push_back(own_ns);
      probe_ns[pfifo].push_back(path_ns - own_ns);
    }
  }
  probe->Detach();
  std::cout << "mean run time per program:";
  for (const auto& [name, run] : ProgramRuns(*probe)) {
    if (run.runs > 0)
      std::cout << " " << name << " " << run.seconds * 1e9 / static_cast<double>(run.runs) << " ns";
  }
  std::cout << "\n";
  // Paired per round (the two runs were adjacent), then the median over rounds: slow drifts
  // and the VM's occasional slow runs fall out.
  std::vector<double> truth_diffs, seen_diffs;
  for (int i = 0; i < kRounds; ++i) {
    truth_diffs.push_back(cpu_ns[true][i] - cpu_ns[false][i]);
    seen_diffs.push_back(probe_ns[true][i] - probe_ns[false][i]);
  }
  const double truth = Median(truth_diffs);
  const double truth_error = MedianStandardError(truth_diffs);
  const double seen = Median(seen_diffs);
  std::cout << "sender CPU per datagram: pfifo " << Median(cpu_ns[true]) << " ns, noqueue "
            << Median(cpu_ns[false]) << " ns, paired difference " << truth << " ns +- "
            << truth_error << " ns; probe qdisc path less its programs: pfifo "
            << Median(probe_ns[true]) << " ns, noqueue " << Median(probe_ns[false])
            << " ns, paired difference " << seen << " ns; programs in the spans: pfifo "
            << Median(programs_ns[true]) << " ns, noqueue " << Median(programs_ns[false])
            << " ns\n";
  std::cout << "paired differences, cpu:";
  for (double v : truth_diffs) std::cout << " " << v;
  std::cout << "  probe:";
  for (double v : seen_diffs) std::cout << " " << v;
  std::cout << "\n";
  EXPECT_GT(truth, 0) << "pfifo costs the sender more CPU per datagram than noqueue";
  EXPECT_GT(seen, 0) << "the probe sees the pfifo path take longer than the noqueue one";
  // The probe's difference, less its own programs in the spans, against the sender's CPU. A
  // span that ended at the driver missed what a qdisc run does after it (re-taking the root
  // lock for the next dequeue) and saw 0.1-0.4 of the truth. With that tail it saw 0.48-1.5 in
  // ten runs on the 2-vCPU dev VM (kernel 6.18, 2026-12-03): the probe's difference stayed
  // at 147-213 ns while the truth moved from 108 to 334 ns between runs. What it reads over is
  // the tracepoint dispatch around its programs, which their BPF run time does not count; what
  // it misses varies with the host, outside any span (qdisc_run_end and the unlocks). The
  // truth is known to its standard error (29-57 ns over 48 rounds in three runs, 2026-12-03):
  // the upper bound allows two.
  EXPECT_GT(seen, truth / 3);
  EXPECT_LT(seen, 2 * (truth + 2 * truth_error));
}

}  // namespace
}  // namespace tunescope::testing
