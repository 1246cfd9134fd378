// The netfilter probe on the running kernel: mode fallback, and the per-packet cost it reports
// for the server namespace's input hook as non-matching iptables rules are added and flushed.
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>

#include "host/netns.h"
#include "metric_lookup.h"
#include "netns.h"
#include "probe_harness.h"
#include "probes/catalogue.h"
#include "probes/netfilter.h"
#include "probes/probe_set.h"
#include "require_root.h"
#include "serve_in_netns.h"

namespace tunescope::testing {
namespace {

// The mode ProbeSet picks is the first one that starts on its own; on the CI kernel fentry is
// refused (EPERM: ftrace locked down) and kprobes do not exist, so that is the bracket.
TEST(NetfilterProbe, FallsBackToTheFirstModeThisKernelAllows) {
  TUNESCOPE_REQUIRE_ROOT();
  std::string first_ok;
  std::string fentry_error;
  for (const std::string& mode : ModeNames("netfilter")) {
    auto probe = probes::FindProbe("netfilter")->make();
    for (const auto& m : probe->modes()) {
      if (m.name != mode) continue;
      Status s = probe->Start(m, {});
      std::cout << "netfilter mode " << mode << ": " << (s.ok() ? "starts" : s.error()) << "\n";
      if (mode == "fentry" && !s.ok()) fentry_error = s.error();
      if (s.ok() && first_ok.empty()) first_ok = mode;
      probe->Stop();
    }
  }
  ASSERT_FALSE(first_ok.empty()) << "no netfilter mode starts on this kernel";
  probes::ProbeSet set;
  // Named in --probes, so the opt-in bracket mode may be chosen too.
  set.Add(probes::FindProbe("netfilter")->make(), "", /*allow_opt_in=*/true);
  ASSERT_EQ(set.StartAll({}), 1u) << set.Statuses()[0].error;
  EXPECT_EQ(set.Statuses()[0].mode, first_ok) << set.Statuses()[0].error;
  if (fentry_error.find(std::strerror(EPERM)) != std::string::npos) {
    EXPECT_NE(set.Statuses()[0].mode, "fentry");
  }
  set.StopAll();
}

// iptables-restore input for `n` rules that never match the test's packets.
std::string NonMatchingRules(int n) {
  std::string rules = "*filter\n:INPUT ACCEPT [0:0]\n";
  for (int i = 0; i < n; ++i) {
    rules += "-A INPUT -s 10.250." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
             "/32 -p udp -j DROP\n";
  }
  return rules + "COMMIT\n";
}

void RestoreRules(const std::string& ns, const std::string& rules) {
  std::string path = "/tmp/tunescope-nf-rules-" + std::to_string(getpid());
  std::ofstream(path) << rules;
  int rc = Sh("ip netns exec " + ns + " iptables-restore < " + path);
  std::remove(path.c_str());
  if (rc != 0) throw std::runtime_error("iptables-restore failed");
}

struct Cost {
  double ns_per_packet;
  double packets;
};

// Sends the same load and returns what the probe saw at the server's ipv4 input hook.
Cost MeasureInput(const probes::Probe& probe, int client_fd) {
  const LabelFilter input{{"family", "ipv4"}, {"hook", "input"}};
  auto before = probe.Collect();
  constexpr int kPackets = 3000;
  for (int burst = 0; burst < kPackets / 100; ++burst) {
    SendUdp(client_fd, VethPair::kServerIp, 5001, 100);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  auto after = probe.Collect();
  double seconds = SumValues(after, "tunescope_netfilter_seconds_total", input) -
                   SumValues(before, "tunescope_netfilter_seconds_total", input);
  double packets = SumValues(after, "tunescope_netfilter_packets_total", input) -
                   SumValues(before, "tunescope_netfilter_packets_total", input);
  return {packets > 0 ? seconds * 1e9 / packets : 0, packets};
}

// The bracket is the mode that can be attached to the server namespace alone (fentry and
// kprobe see every namespace of the host), so this test forces it.
TEST(NetfilterProbe, CostPerPacketFollowsTheRuleCount) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  auto probe = InNetns(pair.b_ns, [] { return StartProbe("netfilter", "bracket"); });
  ASSERT_NE(probe, nullptr);
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, 5001);  // never read: a full buffer drops after the hooks
  NsSocket client(pair.a_ns, SOCK_DGRAM);

  Cost none = MeasureInput(*probe, client.fd());
  RestoreRules(pair.b_ns, NonMatchingRules(200));
  Cost r200 = MeasureInput(*probe, client.fd());
  RestoreRules(pair.b_ns, NonMatchingRules(2000));
  Cost r2000 = MeasureInput(*probe, client.fd());
  RestoreRules(pair.b_ns, NonMatchingRules(0));  // flushed: the chain stays, empty
  Cost flushed = MeasureInput(*probe, client.fd());
  std::cout << "ns per packet at ipv4/input: 0 rules " << none.ns_per_packet << " (" << none.packets
            << " packets), 200 rules " << r200.ns_per_packet << " (" << r200.packets
            << "), 2000 rules " << r2000.ns_per_packet << " (" << r2000.packets << "), flushed "
            << flushed.ns_per_packet << " (" << flushed.packets << ")\n";
  for (const Cost& c : {none, r200, r2000, flushed}) {
    EXPECT_GT(c.packets, 1000) << "the probe must see most of the 3000 packets";
  }
  // Markedly: each rule costs a few ns, so 200 rules add hundreds of ns and 2000 several us.
  EXPECT_GT(r200.ns_per_packet, none.ns_per_packet + 100);
  EXPECT_GT(r2000.ns_per_packet, 4 * r200.ns_per_packet);
  EXPECT_LT(flushed.ns_per_packet, r200.ns_per_packet / 2);
  EXPECT_LT(flushed.ns_per_packet, r2000.ns_per_packet / 10);

  auto families = probe->Collect();
  double self = SumValues(families, "tunescope_netfilter_bracket_self_cost_seconds");
  std::cout << "bracket self cost per hook: " << self * 1e9 << " ns\n";
  EXPECT_GT(self, 0);
  EXPECT_LT(self, 20e-6);
  EXPECT_GT(SumValues(families, "tunescope_netfilter_bracket_seconds_total",
                      {{"family", "ipv4"}, {"hook", "input"}}),
            0);
}

// The bracket pairs its two programs by skb in one per-CPU slot per hook: a packet that a rule
// drops between them never reaches the last one, and must not stop the next packets from being
// paired (or be paired with them).
TEST(NetfilterProbe, BracketKeepsPairingAcrossDroppedPackets) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  auto probe = InNetns(pair.b_ns, [] { return StartProbe("netfilter", "bracket"); });
  ASSERT_NE(probe, nullptr);
  RestoreRules(pair.b_ns,
               "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 5002 -j DROP\nCOMMIT\n");
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, 5001);
  NsSocket client(pair.a_ns, SOCK_DGRAM);

  const LabelFilter input{{"family", "ipv4"}, {"hook", "input"}};
  const LabelFilter prerouting{{"family", "ipv4"}, {"hook", "prerouting"}};
  auto before = probe->Collect();
  constexpr int kRounds = 500;
  for (int i = 0; i < kRounds; ++i) {
    SendUdp(client.fd(), VethPair::kServerIp, 5002, 2);  // dropped at input
    SendUdp(client.fd(), VethPair::kServerIp, 5001, 1);  // accepted
    if (i % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto after = probe->Collect();
  auto delta = [&](const LabelFilter& f) {
    return SumValues(after, "tunescope_netfilter_packets_total", f) -
           SumValues(before, "tunescope_netfilter_packets_total", f);
  };
  double at_input = delta(input);
  double at_prerouting = delta(prerouting);
  std::cout << "sent " << 3 * kRounds << " (" << kRounds << " accepted): prerouting "
            << at_prerouting << ", input " << at_input << "\n";
  // Every packet passes prerouting; only the accepted third completes input.
  EXPECT_GE(at_prerouting, 0.95 * 3 * kRounds);
  EXPECT_GE(at_input, 0.95 * kRounds);
  EXPECT_LE(at_input, kRounds + 10);  // a dropped packet never completes input
}

// The daemon in the host's namespace, the server in a container's: the rules of the server's
// namespace run on its own hooks, which the bracket must reach too (fentry and kprobe see
// every namespace anyway). The probe runs in this test's namespace, where none of the
// traffic passes.
TEST(NetfilterProbe, TheBracketAlsoMeasuresTheTargetsNamespace) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  const pid_t target = SpawnInNetns(pair.b_ns, [] { return true; });
  ASSERT_GT(target, 0);
  probes::ProbeConfig config;
  config.target_pids = {target};
  auto probe = StartProbe("netfilter", "bracket", config);
  auto untargeted = StartProbe("netfilter", "bracket");
  RestoreRules(pair.b_ns, NonMatchingRules(200));  // the container's own rules
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, 5001);
  NsSocket client(pair.a_ns, SOCK_DGRAM);
  Cost seen{}, unseen{};
  double attached_there = -1;
  if (probe && untargeted) {
    attached_there = SumValues(probe->Collect(), "tunescope_netfilter_target_netns_measured");
    const auto before = untargeted->Collect();
    seen = MeasureInput(*probe, client.fd());
    const auto after = untargeted->Collect();
    const LabelFilter input{{"family", "ipv4"}, {"hook", "input"}};
    unseen.packets = SumValues(after, "tunescope_netfilter_packets_total", input) -
                     SumValues(before, "tunescope_netfilter_packets_total", input);
  }
  kill(target, SIGKILL);
  waitpid(target, nullptr, 0);
  ASSERT_NE(probe, nullptr);
  ASSERT_NE(untargeted, nullptr);
  std::cout << "ipv4/input packets: targeted " << seen.packets << " (" << seen.ns_per_packet
            << " ns each), untargeted " << unseen.packets << "\n";
  EXPECT_EQ(attached_there, 1) << "tunescope_netfilter_target_netns_measured";
  EXPECT_GT(seen.packets, 1000) << "the bracket in the server's namespace sees its input hook";
  EXPECT_GT(seen.ns_per_packet, 100) << "200 rules take hundreds of ns a packet";
  // The test's own namespace carries none of it (a stray ssh or NTP packet at most).
  EXPECT_LT(unseen.packets, seen.packets / 100);
}

// Replicas of one server in two containers: the bracket attaches in each namespace.
TEST(NetfilterProbe, TheBracketMeasuresEveryNamespaceTheTargetRunsIn) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  const pid_t in_a = SpawnInNetns(pair.a_ns, [] { return true; });
  const pid_t in_b = SpawnInNetns(pair.b_ns, [] { return true; });
  ASSERT_GT(in_a, 0);
  ASSERT_GT(in_b, 0);
  probes::ProbeConfig config;
  config.target_pids = {in_a, in_b};
  auto probe = StartProbe("netfilter", "bracket", config);
  // Each direction crosses one namespace's input hook: 3000 packets into each.
  NsSocket at_b(pair.b_ns, SOCK_DGRAM), at_a(pair.a_ns, SOCK_DGRAM);
  at_b.Bind(VethPair::kServerIp, 5001);
  at_a.Bind(VethPair::kClientIp, 5001);
  NsSocket from_a(pair.a_ns, SOCK_DGRAM), from_b(pair.b_ns, SOCK_DGRAM);
  const LabelFilter input{{"family", "ipv4"}, {"hook", "input"}};
  double packets = 0;
  std::vector<prometheus::MetricFamily> metrics;
  if (probe) {
    const auto before = probe->Collect();
    for (int burst = 0; burst < 30; ++burst) {
      SendUdp(from_a.fd(), VethPair::kServerIp, 5001, 100);
      SendUdp(from_b.fd(), VethPair::kClientIp, 5001, 100);
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    metrics = probe->Collect();
    packets = SumValues(metrics, "tunescope_netfilter_packets_total", input) -
              SumValues(before, "tunescope_netfilter_packets_total", input);
  }
  const auto ns_a = host::ReadTargetNetns(host::HostPaths{}, in_a);
  const auto ns_b = host::ReadTargetNetns(host::HostPaths{}, in_b);
  for (pid_t pid : {in_a, in_b}) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  ASSERT_NE(probe, nullptr);
  ASSERT_TRUE(ns_a.ok() && ns_b.ok());
  const prometheus::MetricFamily* f =
      FindFamily(metrics, "tunescope_netfilter_target_netns_measured");
  ASSERT_NE(f, nullptr);
  std::set<std::string> measured;
  for (const auto& m : f->metric) {
    if (m.gauge.value == 1 && !m.label.empty()) measured.insert(m.label[0].value);
  }
  EXPECT_EQ(measured,
            (std::set<std::string>{host::NetnsInode(ns_a->id), host::NetnsInode(ns_b->id)}));
  std::cout << "ipv4/input packets in both namespaces: " << packets << " of 6000 sent\n";
  EXPECT_GT(packets, 4500) << "one namespace alone sees at most 3000";
}

// Other brackets in the server's namespace take every priority the probe tries there (as
// eight other tunescopes would): it measures its own namespace and says that it does not
// measure the server's.
TEST(NetfilterProbe, TheBracketSaysWhenTheTargetsNamespaceRefusedIt) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  std::vector<std::unique_ptr<probes::Probe>> blockers;
  for (int i = 0; i < probes::kBracketPrioritySteps; ++i) {
    blockers.push_back(InNetns(pair.b_ns, [] { return StartProbe("netfilter", "bracket"); }));
    ASSERT_NE(blockers.back(), nullptr);
  }
  const pid_t target = SpawnInNetns(pair.b_ns, [] { return true; });
  ASSERT_GT(target, 0);
  probes::ProbeConfig config;
  config.target_pids = {target};
  auto probe = StartProbe("netfilter", "bracket", config);
  std::vector<prometheus::MetricFamily> metrics;
  if (probe) metrics = probe->Collect();
  const auto netns = host::ReadTargetNetns(host::HostPaths{}, target);
  kill(target, SIGKILL);
  waitpid(target, nullptr, 0);
  ASSERT_NE(probe, nullptr) << "its own namespace's hooks are free";
  const prometheus::MetricFamily* f =
      FindFamily(metrics, "tunescope_netfilter_target_netns_measured");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->metric.size(), 1u);
  EXPECT_EQ(f->metric[0].gauge.value, 0);
  ASSERT_FALSE(f->metric[0].label.empty());
  ASSERT_TRUE(netns.ok()) << netns.error();
  EXPECT_EQ(f->metric[0].label[0].value, host::NetnsInode(netns->id));
}

bool FentryOrKprobe(const std::string& metrics) {
  return metrics.find("tunescope_probe_info{probe=\"netfilter\",mode=\"fentry\"} 1") !=
             std::string::npos ||
         metrics.find("tunescope_probe_info{probe=\"netfilter\",mode=\"kprobe\"} 1") !=
             std::string::npos;
}

// Sum of the exposition's samples whose line starts with `prefix` (a name and leading labels).
double SumSamples(const std::string& metrics, const std::string& prefix) {
  double sum = 0;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// Where fentry and kprobes are refused (this host), `serve` with default flags measures
// netfilter with the bracket inside its attach windows instead of not at all.
TEST(NetfilterProbe, DefaultServeRunsTheBracketInWindows) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  ServeInNetns daemon(pair.b_ns, 10033);
  std::string metrics = daemon.FirstMetrics();
  ASSERT_NE(metrics.find("tunescope_probe_info"), std::string::npos) << "daemon never answered";
  if (FentryOrKprobe(metrics)) GTEST_SKIP() << "this kernel allows fentry or kprobes: no fallback";
  EXPECT_NE(metrics.find("tunescope_probe_info{probe=\"netfilter\",mode=\"bracket\"} 1"),
            std::string::npos)
      << metrics.substr(0, 4000);
  // Traffic through the server namespace's hooks while the first window (default 2s) is open,
  // then a scrape after it closed: the counters stay loaded between windows.
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, 5001);
  NsSocket client(pair.a_ns, SOCK_DGRAM);
  for (int burst = 0; burst < 10; ++burst) {
    SendUdp(client.fd(), VethPair::kServerIp, 5001, 50);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  metrics = daemon.Scrape();
  EXPECT_NE(metrics.find("tunescope_netfilter_packets_total{family=\"ipv4\",hook=\"input\",cpu=\""),
            std::string::npos)
      << metrics.substr(0, 4000);
  EXPECT_NE(metrics.find("tunescope_netfilter_seconds_total{family=\"ipv4\",hook=\"input\",cpu=\""),
            std::string::npos);
}

// serve's windows turn BPF statistics on (the overhead budget reads the programs' run time),
// which adds two clock reads to every run of the bracket's own programs: the windows must
// subtract a calibration taken with them on, or that cost passes for the hooks' (49 ns a packet
// on a namespace with no rules before, where an INPUT hook holds nothing but the bracket). The
// subtracted value is exported; the residue per packet is printed (it varies by 20 ns between
// runs, more than a bound on it could tell from the fix).
TEST(NetfilterProbe, ServeWindowsCalibrateTheBracketAsTheyMeasure) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  NsSocket server(pair.b_ns, SOCK_DGRAM);
  server.Bind(VethPair::kServerIp, 5001);
  NsSocket client(pair.a_ns, SOCK_DGRAM);
  struct Seen {
    bool bracket = false;  // not fentry or kprobe (which this kernel may allow)
    double self_cost = 0;  // the bracket's cost per hook that the windows subtract
    double residue = 0;    // what the input hook still reads per packet, with no rules
  };
  // Windows of 5 s every 10 s: --overhead-budget=off never turns statistics on; a budget turns
  // them on inside each. Everything below falls in the first window, which keeps StartAll's
  // attach (made with statistics off): the statistics-on value must reach it when they go on.
  auto run = [&](const char* budget) -> std::optional<Seen> {
    ServeInNetns daemon(pair.b_ns, 10034, {"--window=5s/10s", budget});
    std::string metrics = daemon.FirstMetrics();
    if (metrics.find("tunescope_probe_info") == std::string::npos) return std::nullopt;
    Seen seen;
    seen.bracket = !FentryOrKprobe(metrics);
    for (int burst = 0; burst < 25; ++burst) {  // 2.5 s, inside the first window
      SendUdp(client.fd(), VethPair::kServerIp, 5001, 50);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    metrics = daemon.Scrape();
    const std::string input = "{family=\"ipv4\",hook=\"input\",";
    const double packets = SumSamples(metrics, "tunescope_netfilter_packets_total" + input);
    seen.self_cost = SumSamples(metrics, "tunescope_netfilter_bracket_self_cost_seconds");
    seen.residue =
        SumSamples(metrics, "tunescope_netfilter_seconds_total" + input) / std::max(1.0, packets);
    std::cout << budget << ": subtracts " << seen.self_cost * 1e9 << " ns per hook, input hook "
              << seen.residue * 1e9 << " ns per packet over " << packets << " packets\n";
    return seen;
  };
  const auto off = run("--overhead-budget=off");
  ASSERT_TRUE(off) << "daemon never answered";
  if (!off->bracket) GTEST_SKIP() << "this kernel allows fentry or kprobes: no bracket";
  const auto on = run("--overhead-budget=0.5");
  ASSERT_TRUE(on) << "daemon never answered";
  ASSERT_GT(off->self_cost, 0) << "the bracket was never calibrated";
  // The two clock reads cost tens of ns (66 against 114 ns per hook in a CI run).
  EXPECT_GT(on->self_cost - off->self_cost, 20e-9);
}

}  // namespace
}  // namespace tunescope::testing
