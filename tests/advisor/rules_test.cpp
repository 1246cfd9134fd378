// Every rule on fixture evidence: it fires, it does not fire, it sees the tuning applied, or it
// says what is missing. Plus the payoff model and the ranking order.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <set>

#include "advisor/advisor.h"
#include "advisor/rules.h"
#include "advisor_fixture.h"

namespace tunescope::advisor::testing {
namespace {

using host::TcpCounters;

TEST(PayoffModel, EighteenPercentOfCpuIsTwentyTwoPercentMoreThroughput) {
  // 001: nf_hook_slow at 18% of CPU, +22% after unloading netfilter.
  EXPECT_NEAR(ThroughputPayoff(0.18), 0.2195, 1e-4);
  EXPECT_DOUBLE_EQ(ThroughputPayoff(0), 0);
  EXPECT_DOUBLE_EQ(ThroughputPayoff(0.5), 1.0);
  EXPECT_NEAR(ThroughputPayoff(2.0), 19.0, 1e-9) << "clamped at s = 0.95";
  EXPECT_DOUBLE_EQ(ThroughputPayoff(-0.1), 0);
}

// ---- netfilter ----
TEST(NetfilterRule, EighteenPercentOfTheServersCpusPredictsTwentyTwoPercent) {
  Fixture f;
  f.Server({0}, 10);  // saturated: 10 s busy in a 10 s window
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 5, 6.8);
  f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1e6);
  Prediction p = f.Eval("netfilter_unload");
  EXPECT_EQ(p.verdict, Verdict::kMeasured) << p.reason;
  ASSERT_TRUE(p.payoff_ratio);
  EXPECT_NEAR(*p.payoff_ratio, 0.2195, 1e-3);
  EXPECT_NEAR(*p.removed_share, 0.18, 1e-9);
  EXPECT_FALSE(p.headroom);
  EXPECT_EQ(p.confidence, "high");
  EXPECT_NE(p.reason.find("take 18% of the server's CPU time (busy time of CPU 0"),
            std::string::npos)
      << p.reason;
  EXPECT_NE(p.reason.find("predicted +22% req/s"), std::string::npos) << p.reason;
}

// A server stopped for most of the window (the listen-queue scenario) left 15 ms of busy time on
// its CPU, 1-2 of /proc/stat's 10 ms ticks: an 11% share of that is noise.
TEST(NetfilterRule, TooFewTicksOfTheServersCpuPredictNothing) {
  auto eval = [](double busy) {
    Fixture f;
    f.Server({0}, busy, busy);
    f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0,
              busy * 0.107);
    f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 6000);
    return f.Eval("netfilter_unload");
  };
  Prediction p = eval(0.015);
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured) << p.reason;
  EXPECT_FALSE(p.payoff_ratio);
  EXPECT_NE(p.reason.find("under the 200.0 ms a share of it needs"), std::string::npos) << p.reason;
  EXPECT_EQ(eval(0.25).verdict, Verdict::kMeasured) << "25 ticks are enough";
}

TEST(NetfilterRule, HookTimeOnOtherCpusDoesNotLimitTheServer) {
  Fixture f;
  f.Server({0}, 10, 10);
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1);
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "output"}, {"cpu", "1"}}, 0, 5);
  f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1e6);
  Prediction p = f.Eval("netfilter_unload");
  ASSERT_TRUE(p.removed_share);
  EXPECT_NEAR(*p.removed_share, 0.1, 1e-9);  // CPU 1's 5 s are not the server's
}

TEST(NetfilterRule, TunescopesOwnProgramsAreNotTheServersCpu) {
  Fixture f;
  f.Server({0}, 10, 10);  // host busy 40 s, the server's CPU 10 s of it
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1.8);
  f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1e6);
  f.Counter("tunescope_bpf_program_run_seconds_total", {{"probe", "softirq"}}, 0, 4);
  Prediction p = f.Eval("netfilter_unload");
  ASSERT_TRUE(p.removed_share);
  EXPECT_NEAR(*p.removed_share, 1.8 / 9, 1e-9);  // 4 s x 10/40 of the programs on CPU 0
  EXPECT_NE(p.reason.find("less 1000 ms of tunescope's own programs"), std::string::npos)
      << p.reason;
  // The report's basis (its header, and server_cpu_basis in JSON) says so too.
  EXPECT_NE(Advise(f.Build()).server_cpu_basis.find("less 1000 ms of tunescope's own programs"),
            std::string::npos);
}

TEST(NetfilterRule, AnUnsaturatedServerGetsHeadroomNotThroughput) {
  Fixture f;
  f.Server({0}, 5);  // half busy
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1);
  f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1e6);
  Prediction p = f.Eval("netfilter_unload");
  EXPECT_EQ(p.verdict, Verdict::kMeasured);
  EXPECT_TRUE(p.headroom);
  EXPECT_NEAR(*p.removed_share, 0.2, 1e-9);
  EXPECT_NE(p.reason.find("not saturated"), std::string::npos) << p.reason;
}

TEST(NetfilterRule, FewPacketsAreLowConfidence) {
  Fixture f;
  f.Server({0}, 10);
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 2);
  f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 50);
  EXPECT_EQ(f.Eval("netfilter_unload").confidence, "low");
}

TEST(NetfilterRule, WithoutTargetTheWholeHostsBusyTimeIsTheBase) {
  Fixture f;
  f.cpu.host_busy_seconds = 20;
  f.cpu.cpu_busy_seconds = {{0, 10}, {1, 10}, {2, 0}, {3, 0}};
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "2"}}, 0, 2);
  Prediction p = f.Eval("netfilter_unload");
  ASSERT_TRUE(p.payoff_ratio);
  EXPECT_NEAR(*p.payoff_ratio, 0.1 / 0.9, 1e-9);
  EXPECT_NE(p.reason.find("whole host"), std::string::npos) << p.reason;
}

TEST(NetfilterRule, NegligibleHookTimeDoesNotFire) {
  Fixture f;
  f.Server({0}, 10);
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}}, 1, 1.01);
  EXPECT_EQ(f.Eval("netfilter_unload").verdict, Verdict::kNotApplicable);
}

TEST(NetfilterRule, NoHookTimeAndNoRulesIsApplied) {
  Fixture f;
  f.Server({0}, 10);
  host::NetfilterState nf;
  nf.nft = host::NfRuleset{};
  f.after.netfilter = nf;
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}}, 1, 1);
  EXPECT_EQ(f.Eval("netfilter_unload").verdict, Verdict::kApplied);
}

// A saturated server in a container, no rules on the host.
void InAContainerWithoutHostRules(Fixture& f) {
  f.Server({0}, 10);
  host::NetfilterState none;
  none.nft = host::NfRuleset{};
  f.after.netfilter = none;
  f.after.target_netns = host::TargetNetns{4242, "net:[4026532400]", true, {}};
}

// A server in a container: the host has no rules, the container's namespace has; and when the
// container's could not be read, nothing says that none are loaded.
TEST(NetfilterRule, AContainersRulesCountWithTheHosts) {
  Fixture f;
  InAContainerWithoutHostRules(f);
  host::NetfilterState theirs;
  host::NfRuleset rs;
  rs.tables.push_back({"ip", "filter", {{"OUTPUT", "output", "accept", 3000}}});
  theirs.nft = rs;
  f.after.target_netfilter = theirs;
  Prediction p = f.Eval("netfilter_unload");
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured) << p.reason;
  EXPECT_NE(p.reason.find("3000 rules loaded"), std::string::npos) << p.reason;
  f.after.target_netfilter = Result<host::NetfilterState>::Error("setns: Operation not permitted");
  p = f.Eval("netfilter_unload");
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured) << p.reason;
  EXPECT_EQ(p.reason.find("rules loaded"), std::string::npos) << p.reason;
}

// Replicas in further containers, whose rules are not read: the count is not the whole.
TEST(NetfilterRule, ReplicasInOtherNamespacesLeaveTheRuleCountUnknown) {
  Fixture f;
  InAContainerWithoutHostRules(f);
  f.after.target_netfilter = f.after.netfilter;  // none there either
  EXPECT_EQ(f.Eval("netfilter_unload").verdict, Verdict::kNotApplicable);
  f.after.other_target_netns = {"net:[4026532500]"};
  Prediction p = f.Eval("netfilter_unload");
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured) << p.reason;
  EXPECT_EQ(p.reason.find("no netfilter rules are loaded"), std::string::npos) << p.reason;
}

// The bracket measured the host's hooks but could not attach to the container's: the hooks
// where its rules run went unmeasured, and a small share would be a wrong answer.
TEST(NetfilterRule, AContainersHooksTheBracketCouldNotReachAreNotMeasured) {
  auto eval = [](double measured) {
    Fixture f;
    f.Server({0}, 10);
    f.after.target_netns = host::TargetNetns{4242, "net:[4026532400]", true, {}};
    f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 0.5);
    f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "input"}, {"cpu", "0"}}, 0, 1e6);
    f.Counter(kNetfilterTargetNetns, {{"netns", "4026532400"}}, measured, measured);
    return f.Eval("netfilter_unload");
  };
  EXPECT_EQ(eval(1).verdict, Verdict::kMeasured);
  Prediction p = eval(0);
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured) << p.reason;
  EXPECT_NE(p.reason.find("network namespace net:[4026532400]"), std::string::npos) << p.reason;
}

TEST(NetfilterRule, WithoutTheProbeItSaysWhichProbeItNeeds) {
  Fixture f;
  f.Server({0}, 10);
  Prediction p = f.Eval("netfilter_unload");
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured);
  EXPECT_NE(p.reason.find("needs probe netfilter"), std::string::npos) << p.reason;
}

// ---- run-queue / CPU isolation (schedstat) ----
TEST(CpuIsolationRule, WaitingAsLongAsRunningOnASaturatedCpuPredictsDoubleThroughput) {
  Fixture f;
  f.Server({0}, 10);
  f.cpu.target_run_seconds = 5;
  f.cpu.target_wait_seconds = 5;
  f.cpu.target_timeslices = 5000;
  Prediction p = f.Eval("server_cpu_isolation");
  EXPECT_EQ(p.verdict, Verdict::kMeasured) << p.reason;
  ASSERT_TRUE(p.payoff_ratio);
  EXPECT_NEAR(*p.payoff_ratio, 1.0, 1e-9);
  EXPECT_NEAR(*p.removed_share, 0.5, 1e-9);
  EXPECT_EQ(p.confidence, "high");
}

TEST(CpuIsolationRule, OnlyWaitsBehindOtherTasksAreRemoved) {
  Fixture f;
  f.Server({0}, 10);
  f.cpu.target_run_seconds = 4;
  f.cpu.target_wait_seconds = 1;
  f.cpu.target_timeslices = 5000;
  // Other tasks ran 0.5 s there: the other 0.5 s of waiting was an idle CPU waking up.
  f.cpu.others_run_seconds = 0.5;
  Prediction p = f.Eval("server_cpu_isolation");
  ASSERT_TRUE(p.payoff_ratio) << p.reason;
  EXPECT_NEAR(*p.payoff_ratio, 0.5 / 4, 1e-9);
  EXPECT_NE(p.reason.find("idle CPU's wake-up"), std::string::npos) << p.reason;
  // Nobody else ran: nothing to isolate from.
  f.cpu.others_run_seconds = 0.01;
  EXPECT_EQ(f.Eval("server_cpu_isolation").verdict, Verdict::kNotApplicable);
}

TEST(CpuIsolationRule, WaitsOnAnUnsaturatedCpuAreLatency) {
  Fixture f;
  f.Server({0}, 5);
  f.cpu.target_run_seconds = 4;
  f.cpu.target_wait_seconds = 1;
  f.cpu.target_timeslices = 10000;
  Prediction p = f.Eval("server_cpu_isolation");
  EXPECT_EQ(p.verdict, Verdict::kMeasured) << p.reason;
  EXPECT_FALSE(p.payoff_ratio);
  ASSERT_TRUE(p.latency_removed_seconds);
  EXPECT_NEAR(*p.latency_removed_seconds, 100e-6, 1e-12);
  EXPECT_EQ(p.latency_per, "timeslice");
}

TEST(CpuIsolationRule, ShortWaitsDoNotFire) {
  Fixture f;
  f.Server({0}, 10);
  f.cpu.target_run_seconds = 9.9;
  f.cpu.target_wait_seconds = 0.02;
  EXPECT_EQ(f.Eval("server_cpu_isolation").verdict, Verdict::kNotApplicable);
}

TEST(CpuIsolationRule, NeedsATargetAndSchedstat) {
  Fixture f;
  f.cpu.target_reason = "no target server given (--target-pid or --target-comm)";
  EXPECT_EQ(f.Eval("server_cpu_isolation").verdict, Verdict::kNotMeasured);
  f.Server({0}, 10);
  Prediction p = f.Eval("server_cpu_isolation");
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured);
  EXPECT_NE(p.reason.find("schedstat"), std::string::npos);
}

// ---- busy polling (latency) ----
TEST(BusyPollRule, RaiseDelayAndWakeupAreAnUpperBoundNotAPrediction) {
  Fixture f;
  f.Sysctl("net.core.busy_read", "0");
  f.Sysctl("net.core.busy_poll", "0");
  f.Histogram(kNetRxRaiseDelay, 64e-6, 1000, 0.040);  // 40 us mean
  f.Histogram(kTargetRunqueue, 32e-6, 1000, 0.020);   // 20 us mean
  Prediction p = f.Eval("busy_poll");
  EXPECT_EQ(p.verdict, Verdict::kDocumented) << p.reason;
  EXPECT_FALSE(p.latency_removed_seconds);
  EXPECT_NE(p.reason.find("removes at most 60 us per request"), std::string::npos) << p.reason;
}

TEST(BusyPollRule, AppliedWhenBusyReadIsSet) {
  Fixture f;
  f.Sysctl("net.core.busy_read", "50");
  f.Sysctl("net.core.busy_poll", "0");
  EXPECT_EQ(f.Eval("busy_poll").verdict, Verdict::kApplied);
}

TEST(BusyPollRule, TinyDelaysDoNotFire) {
  Fixture f;
  f.Sysctl("net.core.busy_read", "0");
  f.Histogram(kNetRxRaiseDelay, 2e-6, 1000, 0.001);
  EXPECT_EQ(f.Eval("busy_poll").verdict, Verdict::kNotApplicable);
}

// ---- qdisc path ----
// The host's namespace in these fixtures; containers' are others.
constexpr const char* kHostNs = "4026531840";

LabelSet On(const std::string& device, const std::string& cpu, const char* netns = kHostNs) {
  return {{"device", device}, {"netns", netns}, {"cpu", cpu}};
}

TEST(NoqueueRule, QdiscPathTimeBeyondNoqueuesIsRemovedAndNoqueueIsAppliedWhenNothingQueues) {
  Fixture f;
  f.Server({0}, 10);
  f.QdiscDevice("eth0", kHostNs, "pfifo_fast", false);
  f.QdiscDevice("lo", kHostNs, "noqueue", true);
  f.Counter(kQdiscSeconds, On("eth0", "0"), 0, 0.7);
  f.Counter(kQdiscPackets, On("eth0", "0"), 0, 1e6);
  f.Counter(kQdiscSeconds, On("lo", "0"), 0, 0.2);  // 200 ns a packet
  f.Counter(kQdiscTimed, On("lo", "0"), 0, 1e6);    // noqueue queues none
  f.Counter(kQdiscSeconds, On("eth0", "1"), 0, 5);  // not the server's CPU
  // A physical device's packets sent by another CPU bring no receive work back.
  f.Counter(kQdiscUnpaired, On("eth0", "0"), 0, 1e5);
  Prediction p = f.Eval("noqueue_qdisc");
  EXPECT_EQ(p.verdict, Verdict::kMeasured) << p.reason;
  ASSERT_TRUE(p.removed_share);
  EXPECT_NEAR(*p.removed_share, 0.05, 1e-9);  // 0.7 s - 1e6 x 200 ns of 10 s
  // The sysctl set after eth0 got its qdisc: eth0 still queues, so not applied yet.
  f.Sysctl("net.core.default_qdisc", "noqueue");
  EXPECT_EQ(f.Eval("noqueue_qdisc").verdict, Verdict::kMeasured);
  Fixture after_restart;  // eth0 set up again: nothing queues
  after_restart.Server({0}, 10);
  after_restart.Sysctl("net.core.default_qdisc", "noqueue");
  after_restart.QdiscDevice("eth0", kHostNs, "noqueue", false);
  after_restart.Counter(kQdiscSeconds, On("eth0", "0"), 0, 0.2);
  after_restart.Counter(kQdiscTimed, On("eth0", "0"), 0, 1e6);
  EXPECT_EQ(after_restart.Eval("noqueue_qdisc").verdict, Verdict::kApplied);
}

TEST(NoqueueRule, AContainersNoqueueEth0IsNotTheHostsEth0) {
  // The host's eth0 queues; a container's eth0 (a veth end, noqueue) carries the same packets
  // first. By name alone both would be one device with the host's qdisc: its time counted as
  // qdisc path, nothing left to say what noqueue costs.
  Fixture f;
  f.Server({0}, 10);
  f.QdiscDevice("eth0", kHostNs, "pfifo_fast", false);
  f.QdiscDevice("eth0", "4026532400", "noqueue", true);
  f.Counter(kQdiscSeconds, On("eth0", "0"), 0, 0.7);
  f.Counter(kQdiscPackets, On("eth0", "0"), 0, 1e6);
  f.Counter(kQdiscSeconds, On("eth0", "0", "4026532400"), 0, 0.2);
  f.Counter(kQdiscTimed, On("eth0", "0", "4026532400"), 0, 1e6);
  // As many unpaired packets as sent on the container's end: on a virtual device with a queue
  // they would come back with receive work; noqueue sends every packet itself.
  f.Counter(kQdiscUnpaired, On("eth0", "0", "4026532400"), 0, 1e6);
  Prediction p = f.Eval("noqueue_qdisc");
  ASSERT_TRUE(p.removed_share) << p.reason;
  EXPECT_NEAR(*p.removed_share, 0.05, 1e-9);  // as with the host's eth0 and lo above
  std::map<std::string, double> n;
  for (const Number& x : p.numbers) n[x.name] = x.value;
  EXPECT_EQ(n["packets_sent_by_other_cpus"], 0);
}

TEST(NoqueueRule, OnLoThePacketsOtherCpusSentComeBackWithTheirReceiveWork) {
  Fixture f;
  f.Server({0}, 10);
  f.QdiscDevice("lo", kHostNs, "pfifo", true);
  f.Counter(kQdiscSeconds, On("lo", "0"), 0, 0.8);
  f.Counter(kQdiscPackets, On("lo", "0"), 0, 1e6);
  // 400k of its packets went out from CPU 1, it sent 100k of CPU 1's: 300k come back, each
  // with 1 us of receive processing (2 s NET_RX over 2M packets processed on CPU 0).
  f.Counter(kQdiscUnpaired, On("lo", "0"), 0, 4e5);
  f.Counter(kQdiscDequeued, On("lo", "0"), 0, 1e5);
  f.Counter(kSoftirqSeconds, {{"cpu", "0"}, {"vector", "net_rx"}}, 0, 2);
  host::SoftnetCpu c0;
  c0.cpu = 0;
  f.before.softnet = host::SoftnetStat{{c0}};
  c0.processed = 2000000;
  f.after.softnet = host::SoftnetStat{{c0}};
  Prediction p = f.Eval("noqueue_qdisc");
  ASSERT_TRUE(p.removed_share) << p.reason;
  EXPECT_NEAR(*p.removed_share, (0.8 - 0.3) / 10, 1e-9);
}

TEST(NoqueueRule, TunescopesOwnProgramsInsideThePathAreNotTheQdiscs) {
  Fixture f;
  f.Server({0}, 10);
  f.QdiscDevice("eth0", kHostNs, "pfifo_fast", false);
  f.QdiscDevice("lo", kHostNs, "noqueue", true);
  f.Counter(kQdiscSeconds, On("eth0", "0"), 0, 0.7);
  f.Counter(kQdiscPackets, On("eth0", "0"), 0, 1e6);
  f.Counter(kQdiscSeconds, On("lo", "0"), 0, 0.3);
  f.Counter(kQdiscTimed, On("lo", "0"), 0, 1e6);
  // Per qdisc packet: enqueue 100 ns, dequeue 100 (their runs do not matter); mean run times:
  // dev_queue 200, start_xmit 200, dev_xmit 100 (2M runs: eth0's and lo's packets).
  const std::pair<const char*, double> programs[] = {{"ts_qdisc_enqueue_btf", 0.1},
                                                     {"ts_qdisc_dequeue_btf", 0.1},
                                                     {"ts_qdisc_dev_queue_btf", 0.4},
                                                     {"ts_qdisc_start_xmit_btf", 0.4},
                                                     {"ts_qdisc_dev_xmit_btf", 0.2}};
  for (const auto& [name, seconds] : programs) {
    f.Counter(kProgramSeconds, {{"probe", "qdisc"}, {"program", name}}, 0, seconds);
    f.Counter(kProgramRuns, {{"probe", "qdisc"}, {"program", name}}, 0, 2e6);
  }
  f.Counter(kProgramSeconds, {{"probe", "softirq"}, {"program", "ts_softirq_entry"}}, 0, 5);
  f.Counter(kProgramRuns, {{"probe", "softirq"}, {"program", "ts_softirq_entry"}}, 0, 1e6);
  Prediction p = f.Eval("noqueue_qdisc");
  ASSERT_TRUE(p.removed_share) << p.reason;
  // Through the qdisc 100 + 50 + 100 + 100 + 50 = 400 ns of programs a packet: 0.7 - 0.4 =
  // 0.3 s of the qdisc's own. Through noqueue 100 + 100: 300 - 200 = 100 ns a packet that both
  // paths share. The softirq probe's programs are not in the path.
  std::map<std::string, double> n;
  for (const Number& x : p.numbers) n[x.name] = x.value;
  EXPECT_NEAR(n["qdisc_path_seconds"], 0.3, 1e-9);
  EXPECT_NEAR(n["tunescope_programs_in_path_seconds"], 0.4, 1e-9);
  EXPECT_NEAR(n["noqueue_seconds_per_packet"], 100e-9, 1e-15);
  EXPECT_NEAR(*p.removed_share, (0.3 - 0.1) / n["server_cpu_seconds"], 1e-9);

  // Each run cost 50 ns beyond its recorded time (dispatch, the statistics' clock reads): per
  // qdisc packet 2 enqueue and 2 dequeue runs (100 + 50 ns of it inside) and 2 runs of each
  // per-packet program (25 ns each): 225 ns more of ours. Through noqueue 25 + 25 ns more.
  f.Counter(probes::bpf_stats_metrics::kRunOverheadSeconds, {}, 50e-9, 50e-9);
  Prediction with_stats = f.Eval("noqueue_qdisc");
  n.clear();
  for (const Number& x : with_stats.numbers) n[x.name] = x.value;
  EXPECT_NEAR(n["tunescope_programs_in_path_seconds"], 0.625, 1e-9);
  EXPECT_NEAR(n["qdisc_path_seconds"], 0.075, 1e-9);
  EXPECT_NEAR(n["noqueue_seconds_per_packet"], 50e-9, 1e-15);
  // 0.025 s of 10: under 2%, nothing to gain.
  EXPECT_EQ(with_stats.verdict, Verdict::kNotApplicable) << with_stats.reason;

  f.Counter(kProgramSeconds, {{"probe", "qdisc"}, {"program", "ts_qdisc_enqueue_btf"}}, 0, 2);
  Prediction none = f.Eval("noqueue_qdisc");
  EXPECT_NE(none.reason.find("too small to measure here"), std::string::npos) << none.reason;
}

TEST(NoqueueRule, WithoutTheProbeItSaysSo) {
  Fixture f;
  f.Sysctl("net.core.default_qdisc", "fq_codel");
  Prediction p = f.Eval("noqueue_qdisc");
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured);
  EXPECT_NE(p.reason.find("needs probe qdisc"), std::string::npos);
}

// ---- locality ----
host::TcpSocket Listener(unsigned port, std::uint64_t inode) {
  host::TcpSocket s;
  s.local_address = "00000000";
  s.local_port = port;
  s.state = 0x0A;
  s.inode = inode;
  return s;
}

TEST(ReuseportCbpfRule, RemoteReadsInAReuseportGroupScaleTheDocumentedGain) {
  Fixture f;
  host::PortListeners l;
  l.port = 8080;
  l.listeners = {Listener(8080, 1), Listener(8080, 2)};
  l.established = 100;
  f.after.target_listeners = l;
  f.Counter(kXcpuReads, {{"port", "8080"}, {"locality", "other_cpu"}}, 0, 500);
  f.Counter(kXcpuReads, {{"port", "8080"}, {"locality", "same_cpu"}}, 0, 500);
  Prediction p = f.Eval("reuseport_cbpf");
  EXPECT_EQ(p.verdict, Verdict::kDocumented) << p.reason;  // the gain per read is borrowed
  double s = 0.5 * 0.38 / 1.38;
  EXPECT_NEAR(*p.payoff_ratio, s / (1 - s), 1e-9);
}

TEST(ReuseportCbpfRule, OneListeningSocketHasNothingToSteer) {
  Fixture f;
  host::PortListeners l;
  l.port = 8080;
  l.listeners = {Listener(8080, 1)};
  l.established = 100;
  f.after.target_listeners = l;
  f.Counter(kXcpuReads, {{"port", "8080"}, {"locality", "other_cpu"}}, 0, 900);
  f.Counter(kXcpuReads, {{"port", "8080"}, {"locality", "same_cpu"}}, 0, 100);
  Prediction p = f.Eval("reuseport_cbpf");
  EXPECT_EQ(p.verdict, Verdict::kNotApplicable) << p.reason;
  EXPECT_NE(p.reason.find("one listening socket"), std::string::npos) << p.reason;
}

TEST(ReuseportCbpfRule, ClientsOnThisHostMakeRemoteReadsInherent) {
  Fixture f;
  host::PortListeners l;
  l.port = 8080;
  l.listeners = {Listener(8080, 1), Listener(8080, 2)};
  l.established = 64;
  l.local_peers = 64;
  f.after.target_listeners = l;
  f.Counter(kXcpuReads, {{"port", "8080"}, {"locality", "other_cpu"}}, 0, 1000);
  Prediction p = f.Eval("reuseport_cbpf");
  EXPECT_EQ(p.verdict, Verdict::kNotApplicable) << p.reason;
  EXPECT_FALSE(p.payoff_ratio);
  EXPECT_NE(p.reason.find("inherent"), std::string::npos) << p.reason;
}

TEST(ReuseportCbpfRule, LocalReadsDoNotFire) {
  Fixture f;
  f.Counter(kXcpuReads, {{"port", "8080"}, {"locality", "other_cpu"}}, 0, 1);
  f.Counter(kXcpuReads, {{"port", "8080"}, {"locality", "same_cpu"}}, 0, 999);
  EXPECT_EQ(f.Eval("reuseport_cbpf").verdict, Verdict::kNotApplicable);
}

// Port 8080 with one listener and 4 connections, `local` of them from this host.
host::PortListeners FourConnections(int local) {
  host::PortListeners l;
  l.port = 8080;
  l.listeners = {Listener(8080, 1)};
  l.established = 4;
  l.local_peers = local;
  return l;
}

double Num(const Prediction& p, std::string_view name) {
  for (const Number& x : p.numbers) {
    if (x.name == name) return x.value;
  }
  ADD_FAILURE() << "no number " << name << " in: " << p.reason;
  return NAN;
}

// lo's mask sends every packet to CPU 1; the server runs on CPU 0, its 4 connections from this
// host. `server_busy` of the 10 s window on CPU 0, 9.8 s on the others.
Fixture RpsAwayFixture(double server_busy) {
  Fixture f;
  f.Server({0}, server_busy, 9.8);
  f.after.target_listeners = FourConnections(4);
  host::DeviceFacts lo;
  lo.device.name = "lo";
  lo.device.rps = {{"rx-0", std::vector<int>{1}}};
  f.after.devices = std::vector<host::DeviceFacts>{lo};
  return f;
}

// xcpu's backlog time: `away` seconds of CPU 1 on packets CPU 0 enqueued; and the hand-off,
// CPU 0's NET_RX. With `bracket`, the netfilter probe ran in bracket mode (the rule weighs the
// server's side only then).
void Steered(Fixture& f, double away, double handoff, bool bracket = true) {
  f.Counter(kXcpuBacklogPackets, {{"cpu", "1"}, {"enqueued", "other_cpu"}}, 0, 1e5);
  f.Counter(kXcpuBacklogSeconds, {{"cpu", "1"}, {"enqueued", "other_cpu"}}, 0, away);
  f.Counter(kXcpuSentAwaySeconds, {{"cpu", "0"}}, 0, away);
  f.Counter(kSoftirqSeconds, {{"cpu", "0"}, {"vector", "net_rx"}}, 0, handoff);
  if (bracket) f.Counter(kProbeInfo, {{"probe", "netfilter"}, {"mode", "bracket"}}, 1, 1);
}

TEST(RpsRfsRule, AMaskSteeringAwayFromTheServersCpuIsNamedFirst) {
  Fixture f = RpsAwayFixture(10);
  f.Counter(kSoftirqSeconds, {{"cpu", "0"}, {"vector", "net_rx"}}, 0, 2);
  Prediction p = f.Eval("rps_rfs");
  EXPECT_EQ(p.verdict, Verdict::kDocumented) << p.reason;
  EXPECT_FALSE(p.payoff_ratio);
  EXPECT_NE(p.reason.find("lo rx-0 -> CPU 1"), std::string::npos) << p.reason;
  EXPECT_NE(p.reason.find("enable RFS"), std::string::npos) << p.reason;
  EXPECT_NE(p.reason.find("it needs probe xcpu"), std::string::npos) << p.reason;
  EXPECT_TRUE(p.cause_found);
  // Found here, it ranks before every documented figure that only applies (mitigations_off's
  // +28%, prefork_reuseport's +31%): in a whole report it comes first.
  EXPECT_EQ(Advise(f.Build()).ranked.front().tuning->id, "rps_rfs");
  // xcpu ran but timed no steered packet (a NIC's RPS, which xcpu does not follow).
  f.Counter(kXcpuBacklogPackets, {{"cpu", "1"}, {"enqueued", "same_cpu"}}, 0, 1e5);
  p = f.Eval("rps_rfs");
  EXPECT_EQ(p.verdict, Verdict::kDocumented) << p.reason;
  EXPECT_NE(p.reason.find("no steered packet"), std::string::npos) << p.reason;
  // A mask that includes the server's CPU does not steer away.
  host::DeviceFacts lo = f.after.devices->front();
  lo.device.rps = {{"rx-0", std::vector<int>{0, 1}}};
  f.after.devices = std::vector<host::DeviceFacts>{lo};
  p = f.Eval("rps_rfs");
  EXPECT_EQ(p.reason.find("steers"), std::string::npos);
  EXPECT_FALSE(p.cause_found);
}

// A saturated server's CPU stops the hand-off and takes back the processing: the difference,
// as a share of its 10 s, is the payoff, a loss when the processing outweighs the hand-off.
TEST(RpsRfsRule, ASaturatedServerGainsTheHandOffLessWhatComesBack) {
  Fixture f = RpsAwayFixture(10);
  Steered(f, 1, 2);
  Prediction p = f.Eval("rps_rfs");
  ASSERT_EQ(p.verdict, Verdict::kMeasured) << p.reason;
  EXPECT_NEAR(*p.removed_share, 0.1, 1e-9);
  EXPECT_NEAR(*p.payoff_ratio, ThroughputPayoff(0.1), 1e-9);
  EXPECT_TRUE(p.cause_found);
  EXPECT_NE(p.reason.find("lo rx-0 -> CPU 1"), std::string::npos) << p.reason;

  Fixture costly = RpsAwayFixture(10);
  Steered(costly, 2.5, 2);
  p = costly.Eval("rps_rfs");
  EXPECT_EQ(p.verdict, Verdict::kNotApplicable) << p.reason;
  EXPECT_FALSE(p.payoff_ratio);
  EXPECT_FALSE(p.cause_found) << "nothing to do here";
  EXPECT_NEAR(Num(p, "removed_cpu_share"), -0.05, 1e-9);
  EXPECT_NE(p.reason.find("bring back 2.50 s of receive processing"), std::string::npos)
      << p.reason;
  EXPECT_NE(p.reason.find("a cost of 5.0%"), std::string::npos) << p.reason;

  // Without the bracket (another probe set, or the netfilter probe in fentry mode) the same
  // terms give no size: the processing that comes back is dearer than they say.
  Fixture unweighed = RpsAwayFixture(10);
  Steered(unweighed, 1, 2, false);
  p = unweighed.Eval("rps_rfs");
  EXPECT_EQ(p.verdict, Verdict::kDocumented) << p.reason;
  EXPECT_FALSE(p.payoff_ratio);
  EXPECT_TRUE(p.cause_found);
  EXPECT_NE(p.reason.find("in bracket mode"), std::string::npos) << p.reason;
  EXPECT_NEAR(Num(p, "server_cpus_net_rx_seconds"), 2, 1e-9);
}

// A server that outruns its client on this host: the client's CPU sets the pace and gets back
// the steered packets' processing and the IPIs, taken as what they cost the sender.
TEST(RpsRfsRule, ClientsThatSetThePaceGainTheirCpusShare) {
  Fixture f = RpsAwayFixture(5);
  f.after.target_clients = host::LocalClients{{{4242, "wrk"}}, {1}};
  Steered(f, 1, 0.96);
  Prediction p = f.Eval("rps_rfs");
  ASSERT_EQ(p.verdict, Verdict::kMeasured) << p.reason;
  const double share = (1 + 0.96) / 9.8;
  EXPECT_NEAR(*p.payoff_ratio, ThroughputPayoff(share), 1e-9);
  EXPECT_NEAR(Num(p, "removed_client_cpu_share"), share, 1e-9);
  EXPECT_TRUE(p.cause_found);
  EXPECT_NE(p.reason.find("set the pace (CPU 1, busy 98%)"), std::string::npos) << p.reason;
  EXPECT_EQ(p.reason.find("have room"), std::string::npos) << p.reason;
  EXPECT_EQ(Advise(f.Build()).ranked.front().tuning->id, "rps_rfs");

  // The server's CPU takes the processing over: 8 + 1.5 - 0.5 s of its 10 leaves room for
  // +11% more, less than the clients' CPU would give.
  Fixture full = RpsAwayFixture(8);
  full.after.target_clients = f.after.target_clients;
  Steered(full, 1.5, 0.5);
  p = full.Eval("rps_rfs");
  ASSERT_EQ(p.verdict, Verdict::kMeasured) << p.reason;
  EXPECT_NEAR(*p.payoff_ratio, 10.0 / 9 - 1, 1e-9);
  EXPECT_NE(p.reason.find("have room for no more"), std::string::npos) << p.reason;

  // Clients whose CPU has idle time do not set the pace: the server's side decides.
  Fixture idle = RpsAwayFixture(5);
  idle.after.target_clients = f.after.target_clients;
  idle.cpu.cpu_busy_seconds[1] = 5;
  Steered(idle, 1, 0.96);
  p = idle.Eval("rps_rfs");
  EXPECT_EQ(p.verdict, Verdict::kNotApplicable) << p.reason;
  EXPECT_NEAR(Num(p, "removed_cpu_share"), -0.04 / 5, 1e-9);
}

// A server in a container with clients on the host: their packets cross this namespace's
// veth, not its lo, so the veth's mask is the one that steers.
TEST(RpsRfsRule, ForAServerInAContainerTheVethsMaskSteersNotLos) {
  Fixture f;
  f.Server({0}, 10);
  f.after.target_listeners = FourConnections(4);
  f.after.target_netns = host::TargetNetns{4242, "net:[4026532400]", true, {}};
  host::DeviceFacts lo, veth, nic;
  lo.device.name = "lo";
  lo.device.rps = {{"rx-0", std::vector<int>{1}}};
  veth.device.name = "veth1";
  veth.device.rps = {{"rx-0", std::vector<int>{1}}};
  nic.device.name = "eth0";
  nic.device.has_device = true;
  nic.device.rps = {{"rx-0", std::vector<int>{1}}};
  f.after.devices = std::vector<host::DeviceFacts>{lo, veth, nic};
  EXPECT_EQ(f.Build().RpsAwayFromServer(), std::vector<std::string>{"veth1 rx-0 -> CPU 1"});
  // Clients elsewhere come in through the NIC (and the veth behind it), never lo.
  f.after.target_listeners = FourConnections(0);
  EXPECT_EQ(f.Build().RpsAwayFromServer(),
            (std::vector<std::string>{"veth1 rx-0 -> CPU 1", "eth0 rx-0 -> CPU 1"}));
  // The container's links name its veth's peer here: only that device carries its clients
  // (veth1 is another container's).
  host::DeviceFacts veth2 = veth;
  veth2.device.name = "veth2";
  veth2.device.ifindex = 12;
  f.after.devices = std::vector<host::DeviceFacts>{lo, veth, veth2, nic};
  f.after.target_link_peers = std::vector<host::LinkPeer>{{2, "eth0", 12}};
  f.after.target_listeners = FourConnections(4);
  EXPECT_EQ(f.Build().RpsAwayFromServer(), std::vector<std::string>{"veth2 rx-0 -> CPU 1"});
  veth2.device.rps = {{"rx-0", std::vector<int>{0}}};
  f.after.devices = std::vector<host::DeviceFacts>{lo, veth, veth2, nic};
  EXPECT_TRUE(f.Build().RpsAwayFromServer().empty()) << "its own peer does not steer away";
  // The same host without the container: local clients use lo.
  f.after.target_link_peers = Result<std::vector<host::LinkPeer>>::Error("not read");
  f.after.devices = std::vector<host::DeviceFacts>{lo, veth, nic};
  f.after.target_netns.reset();
  f.after.target_listeners = FourConnections(4);
  EXPECT_EQ(f.Build().RpsAwayFromServer(), std::vector<std::string>{"lo rx-0 -> CPU 1"});
}

TEST(ServerCpu, WithRpsSteeringAwayTheNetRxLeftIsTheServersOwn) {
  Fixture f;
  f.Server({0}, 10);
  host::PortListeners l;
  l.port = 8080;
  l.established = 10;
  l.local_peers = 10;
  f.after.target_listeners = l;
  host::DeviceFacts lo;
  lo.device.name = "lo";
  lo.device.rps = {{"rx-0", std::vector<int>{1}}};
  f.after.devices = std::vector<host::DeviceFacts>{lo};
  f.Counter(kSoftirqSeconds, {{"cpu", "0"}, {"vector", "net_rx"}}, 0, 2);
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "output"}, {"cpu", "0"}}, 0, 4);
  f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "output"}, {"cpu", "0"}}, 0, 1e6);
  Prediction p = f.Eval("netfilter_unload");
  ASSERT_TRUE(p.removed_share);
  EXPECT_NEAR(*p.removed_share, 0.4, 1e-9);  // 4 s of 10: the hand-off stays in the basis
}

TEST(ServerCpu, ClientsOnThisHostLeaveTheirReceiveWorkOutOfTheBasis) {
  Fixture f;
  f.Server({0}, 10);
  host::PortListeners l;
  l.port = 8080;
  l.established = 10;
  l.local_peers = 10;
  f.after.target_listeners = l;
  f.Counter(kSoftirqSeconds, {{"cpu", "0"}, {"vector", "net_rx"}}, 0, 2);
  f.Counter(kSoftirqSeconds, {{"cpu", "1"}, {"vector", "net_rx"}}, 0, 5);  // not the server's
  f.Counter(kNetfilterSeconds, {{"family", "ipv4"}, {"hook", "output"}, {"cpu", "0"}}, 0, 4);
  f.Counter(kNetfilterPackets, {{"family", "ipv4"}, {"hook", "output"}, {"cpu", "0"}}, 0, 1e6);
  Prediction p = f.Eval("netfilter_unload");
  ASSERT_TRUE(p.removed_share);
  EXPECT_NEAR(*p.removed_share, 0.5, 1e-9);  // 4 s of the server's own 8 s
  l.local_peers = 0;                         // remote clients: their packets are its own work
  f.after.target_listeners = l;
  EXPECT_NEAR(*f.Eval("netfilter_unload").removed_share, 0.4, 1e-9);
}

// ---- listen queue ----
TEST(SomaxconnRule, DropsAtAFullListenQueueFire) {
  Fixture f;
  f.Sysctl("net.core.somaxconn", "128");
  f.Tcp(&TcpCounters::listen_drops, 10, 110);
  f.Tcp(&TcpCounters::passive_opens, 0, 1000);
  host::PortListeners l;
  l.port = 8080;
  l.listeners = {Listener(8080, 1)};
  f.after.target_listeners = l;
  Prediction p = f.Eval("somaxconn");
  EXPECT_EQ(p.verdict, Verdict::kMeasured);
  EXPECT_FALSE(p.payoff_ratio);
  // 100 of 1000 accepted connections each waited out a 1 s retransmit timeout.
  ASSERT_TRUE(p.latency_removed_seconds);
  EXPECT_NEAR(*p.latency_removed_seconds, 100.0 / 1000, 1e-9);
  EXPECT_EQ(p.latency_per, "connection");
  EXPECT_NE(p.reason.find("port 8080's backlog is at most somaxconn=128"), std::string::npos)
      << p.reason;
}

TEST(SomaxconnRule, ThePhaseWithoutProbesCountsWhenThereWasOne) {
  Fixture f;
  f.Sysctl("net.core.somaxconn", "8");
  f.Tcp(&TcpCounters::listen_drops, 0, 400);  // the probed window: 400 of 1400
  f.Tcp(&TcpCounters::passive_opens, 0, 1000);
  Evidence e = f.Build();
  Evidence::UnprobedTcp quiet;
  quiet.before.listen_drops = 0;
  quiet.after.listen_drops = 100;
  quiet.before.passive_opens = 0;
  quiet.after.passive_opens = 900;
  quiet.seconds = 2;
  e.SetUnprobedTcp(quiet);
  const Tuning* t = FindTuning("somaxconn");
  ASSERT_NE(t, nullptr);
  Prediction p = t->rule(*t, e);
  ASSERT_TRUE(p.latency_removed_seconds) << p.reason;
  EXPECT_NEAR(*p.latency_removed_seconds, 100.0 / 900, 1e-9);
  EXPECT_NE(p.reason.find("before the probes attached"), std::string::npos) << p.reason;
  EXPECT_EQ(p.confidence, "low");
}

// Measured with a local client, somaxconn 8 (2026-12-02): 679 overflows, 392 SYN/SYN-ACK
// retransmits, 9600 connections; each retransmit is one attempt that waited.
TEST(SomaxconnRule, RetransmitsCountAttemptsNotDroppedPackets) {
  auto predicted = [](std::int64_t overflows, std::int64_t retransmits, std::int64_t accepted) {
    Fixture f;
    f.Sysctl("net.core.somaxconn", "8");
    f.Tcp(&TcpCounters::listen_overflows, 0, overflows);
    f.Tcp(&TcpCounters::listen_drops, 0, overflows);
    f.Tcp(&TcpCounters::syn_retrans, 0, retransmits);
    f.Tcp(&TcpCounters::passive_opens, 0, accepted);
    Prediction p = f.Eval("somaxconn");
    EXPECT_TRUE(p.latency_removed_seconds) << p.reason;
    return p.latency_removed_seconds.value_or(-1);
  };
  EXPECT_NEAR(predicted(679, 392, 9600), 392.0 / 9600, 1e-9);
  // Remote clients: 100 SYN-ACK retransmits stand for 200 dropped packets (ACK and request);
  // the other 300 overflows are SYNs their clients retransmit.
  EXPECT_NEAR(predicted(500, 100, 4000), 400.0 / 4000, 1e-9);
  // Retransmits of other connections (a dead upstream) never count more than the drops.
  EXPECT_NEAR(predicted(50, 5000, 1000), 50.0 / 1000, 1e-9);
}

// A server in a container and its clients in tunescope's namespace (2026-12-03, the
// scenario's burst load over a veth, 6 s): the server's namespace counted 582 overflows and
// no retransmit, the clients' 405 SYN retransmits and 648 connections opened; 648 answered in
// 0.642 s each on average.
TEST(SomaxconnRule, AContainersLocalClientsRetransmitInTheirOwnNamespace) {
  auto predicted = [](std::int64_t client_opens) {
    Fixture f;
    f.Sysctl("net.core.somaxconn", "8");
    f.after.target_netns = host::TargetNetns{4242, "net:[4026532400]", true, {}};
    Evidence e = f.Build();
    Evidence::UnprobedTcp quiet;
    quiet.before.listen_overflows = quiet.before.listen_drops = 0;
    quiet.after.listen_overflows = quiet.after.listen_drops = 582;
    quiet.before.syn_retrans = quiet.after.syn_retrans = 0;
    quiet.before.passive_opens = 0;
    quiet.after.passive_opens = 648;
    quiet.own_before = host::TcpCounters{};
    quiet.own_after = host::TcpCounters{};
    quiet.own_before->syn_retrans = 0;
    quiet.own_after->syn_retrans = 405;
    quiet.own_before->active_opens = 0;
    quiet.own_after->active_opens = client_opens;
    quiet.seconds = 6;
    e.SetUnprobedTcp(quiet);
    const Tuning* t = FindTuning("somaxconn");
    Prediction p = t->rule(*t, e);
    EXPECT_TRUE(p.latency_removed_seconds) << p.reason;
    return std::pair(p.latency_removed_seconds.value_or(-1), p.reason);
  };
  auto [local, why] = predicted(648);
  EXPECT_NEAR(local, 405.0 / 648, 1e-9);  // realized 0.642 s
  EXPECT_NE(why.find("the clients' counted in tunescope's network namespace"), std::string::npos)
      << why;
  // This namespace opened no connection: its retransmits are not the clients'.
  EXPECT_NEAR(predicted(0).first, 582.0 / 648, 1e-9);
}

TEST(SomaxconnRule, NoDropsWithALargeQueueIsApplied) {
  Fixture f;
  f.Sysctl("net.core.somaxconn", "4096");
  f.Tcp(&TcpCounters::listen_drops, 10, 10);
  EXPECT_EQ(f.Eval("somaxconn").verdict, Verdict::kApplied);
  Fixture g;
  g.Sysctl("net.core.somaxconn", "128");
  g.Tcp(&TcpCounters::listen_drops, 10, 10);
  EXPECT_EQ(g.Eval("somaxconn").verdict, Verdict::kNotApplicable);
}

// ---- security-weakening tunings: documented only, never experimentable ----
TEST(MitigationsRule, ActiveMitigationsAreDocumentedOffIsApplied) {
  Fixture f;
  host::VulnerabilityList v;
  v.items.push_back({"spectre_v2", "Mitigation: Retpolines", host::VulnState::kMitigated});
  f.after.vulnerabilities = v;
  f.after.cmdline = host::ParseCmdline("BOOT_IMAGE=/vmlinuz ro quiet");
  Prediction p = f.Eval("mitigations_off");
  EXPECT_EQ(p.verdict, Verdict::kDocumented);
  EXPECT_DOUBLE_EQ(*p.payoff_ratio, 0.28);
  EXPECT_EQ(p.confidence, "low");
  f.after.cmdline = host::ParseCmdline("BOOT_IMAGE=/vmlinuz ro mitigations=off");
  EXPECT_EQ(f.Eval("mitigations_off").verdict, Verdict::kApplied);
  host::VulnerabilityList none;
  none.items.push_back({"meltdown", "Not affected", host::VulnState::kNotAffected});
  f.after.vulnerabilities = none;
  f.after.cmdline = host::ParseCmdline("ro");
  EXPECT_EQ(f.Eval("mitigations_off").verdict, Verdict::kNotApplicable);
}

TEST(AuditSeccompRule, FiresOnAuditOrSeccompAndIsAppliedWithNeither) {
  Fixture f;
  host::AuditState audit;
  audit.kauditd_present = true;
  host::KernelAuditStatus kernel;
  kernel.enabled = 1;
  audit.kernel = kernel;
  f.after.audit = audit;
  f.after.target_seccomp = host::SeccompState{host::SeccompMode::kDisabled, 0};
  EXPECT_EQ(f.Eval("audit_seccomp_off").verdict, Verdict::kDocumented);
  kernel.enabled = 0;
  audit.kernel = kernel;
  audit.kauditd_present = false;
  f.after.audit = audit;
  EXPECT_EQ(f.Eval("audit_seccomp_off").verdict, Verdict::kApplied);
  f.after.target_seccomp = host::SeccompState{host::SeccompMode::kFilter, 1};
  EXPECT_EQ(f.Eval("audit_seccomp_off").verdict, Verdict::kDocumented);
}

TEST(AuditSeccompRule, UnaskableKernelIsUnknownNotActive) {
  // Under the hardened unit (no CAP_AUDIT_CONTROL) the kernel cannot be asked; kauditd exists
  // whenever audit is compiled in and proves nothing.
  Fixture f;
  host::AuditState audit;
  audit.kauditd_present = true;
  audit.kernel = Result<host::KernelAuditStatus>::Error("audit status: Operation not permitted");
  f.after.audit = audit;
  f.after.target_seccomp = host::SeccompState{host::SeccompMode::kDisabled, 0};
  Prediction p = f.Eval("audit_seccomp_off");
  EXPECT_EQ(p.verdict, Verdict::kNotMeasured);
  EXPECT_NE(p.reason.find("audit state unknown"), std::string::npos) << p.reason;
}

// ---- host-fact rules ----
host::DeviceFacts Device(const std::string& name, int rx_queues, int tx_queues) {
  host::DeviceFacts d;
  d.device.name = name;
  d.device.has_device = true;
  d.device.operstate = "up";
  d.device.rx_queues = rx_queues;
  d.device.tx_queues = tx_queues;
  for (int i = 0; i < rx_queues; ++i) {
    d.device.rps.push_back({"rx-" + std::to_string(i), std::vector<int>{}});
  }
  for (int i = 0; i < tx_queues; ++i) {
    d.device.xps.push_back({"tx-" + std::to_string(i), std::vector<int>{}});
  }
  return d;
}

TEST(DeviceRules, GroRenoXpsRpsRingsCoalescing) {
  Fixture f;
  host::DeviceFacts eth = Device("eth0", 1, 4);
  host::EthtoolInfo info;
  host::Offloads off;
  off.gro = true;
  info.offloads = off;
  host::Rings rings;
  rings.rx_max = 4096;
  rings.rx = 256;
  info.rings = rings;
  host::Coalesce co;
  info.coalesce = co;
  eth.ethtool = info;
  f.after.devices = std::vector<host::DeviceFacts>{eth};
  f.Sysctl("net.ipv4.tcp_congestion_control", "cubic");
  EXPECT_EQ(f.Eval("gro_off").verdict, Verdict::kDocumented);
  EXPECT_EQ(f.Eval("tcp_cc_reno").verdict, Verdict::kDocumented);
  EXPECT_EQ(f.Eval("xps").verdict, Verdict::kDocumented);
  EXPECT_EQ(f.Eval("rps_rfs").verdict, Verdict::kDocumented);
  EXPECT_EQ(f.Eval("nic_rings").verdict, Verdict::kDocumented);
  EXPECT_EQ(f.Eval("adaptive_rx").verdict, Verdict::kDocumented);

  off.gro = false;
  info.offloads = off;
  rings.rx = 4096;
  info.rings = rings;
  co.adaptive_rx = true;
  info.coalesce = co;
  eth.ethtool = info;
  for (auto& q : eth.device.xps) q.cpus = std::vector<int>{0};
  for (auto& q : eth.device.rps) q.cpus = std::vector<int>{0, 1, 2, 3};
  f.after.devices = std::vector<host::DeviceFacts>{eth};
  f.after.sysctls = {};
  f.after.sysctls.values.push_back({"net.ipv4.tcp_congestion_control", std::string("reno")});
  EXPECT_EQ(f.Eval("gro_off").verdict, Verdict::kApplied);
  EXPECT_EQ(f.Eval("tcp_cc_reno").verdict, Verdict::kApplied);
  EXPECT_EQ(f.Eval("xps").verdict, Verdict::kApplied);
  EXPECT_EQ(f.Eval("rps_rfs").verdict, Verdict::kApplied);
  EXPECT_EQ(f.Eval("nic_rings").verdict, Verdict::kApplied);
  EXPECT_EQ(f.Eval("adaptive_rx").verdict, Verdict::kApplied);
}

TEST(DeviceRules, VirtualOnlyHostsHaveNothingForNicTunings) {
  Fixture f;
  host::DeviceFacts veth = Device("veth0", 1, 1);
  veth.device.has_device = false;
  f.after.devices = std::vector<host::DeviceFacts>{veth};
  EXPECT_EQ(f.Eval("xps").verdict, Verdict::kNotApplicable);
  EXPECT_EQ(f.Eval("irq_affinity").verdict, Verdict::kNotApplicable);
  EXPECT_EQ(f.Eval("adaptive_rx").verdict, Verdict::kNotApplicable);
  EXPECT_EQ(f.Eval("nic_rings").verdict, Verdict::kNotApplicable);
}

TEST(HostRules, GovernorPacketSocketsPreforkTwReuseFqBbrNumaFileMax) {
  Fixture f;
  f.after.cpufreq = Result<host::CpuFreq>::Error("no cpufreq on this host (usual on VMs)");
  EXPECT_EQ(f.Eval("cpu_governor").verdict, Verdict::kNotApplicable);
  host::CpuFreq freq;
  freq.governor_by_cpu = {{0, "powersave"}, {1, "performance"}};
  f.after.cpufreq = freq;
  EXPECT_EQ(f.Eval("cpu_governor").verdict, Verdict::kDocumented);
  freq.governor_by_cpu = {{0, "performance"}, {1, "performance"}};
  f.after.cpufreq = freq;
  EXPECT_EQ(f.Eval("cpu_governor").verdict, Verdict::kApplied);

  f.after.packet_sockets = std::vector<host::OwnedPacketSocket>{};
  EXPECT_EQ(f.Eval("no_packet_sockets").verdict, Verdict::kApplied);
  host::OwnedPacketSocket dhclient;
  dhclient.socket.protocol = 3;
  dhclient.owners.push_back({812, "dhclient"});
  f.after.packet_sockets = std::vector<host::OwnedPacketSocket>{dhclient};
  Prediction p = f.Eval("no_packet_sockets");
  EXPECT_EQ(p.verdict, Verdict::kDocumented);
  EXPECT_NE(p.reason.find("dhclient[812]"), std::string::npos) << p.reason;
  EXPECT_DOUBLE_EQ(*p.payoff_ratio, 0.06);

  EXPECT_EQ(f.Eval("prefork_reuseport").verdict, Verdict::kNotMeasured);
  host::PortListeners l;
  l.port = 8080;
  l.listeners.push_back(Listener(8080, 1));
  f.after.target_listeners = l;
  EXPECT_EQ(f.Eval("prefork_reuseport").verdict, Verdict::kDocumented);
  l.listeners.push_back(Listener(8080, 2));
  f.after.target_listeners = l;
  EXPECT_EQ(f.Eval("prefork_reuseport").verdict, Verdict::kApplied);

  host::SockStat ss;
  ss.tcp_tw = 50;
  f.after.sockstat = ss;
  f.Sysctl("net.ipv4.tcp_tw_reuse", "2");
  EXPECT_EQ(f.Eval("tcp_tw_reuse").verdict, Verdict::kNotApplicable);
  ss.tcp_tw = 30000;
  f.after.sockstat = ss;
  EXPECT_EQ(f.Eval("tcp_tw_reuse").verdict, Verdict::kDocumented);

  f.Sysctl("net.core.default_qdisc", "fq_codel");
  f.Sysctl("net.ipv4.tcp_congestion_control", "cubic");
  f.Tcp(&TcpCounters::retrans_segs, 0, 50);
  f.Tcp(&TcpCounters::out_segs, 0, 1000);
  EXPECT_EQ(f.Eval("fq_bbr").verdict, Verdict::kDocumented);
  f.Tcp(&TcpCounters::retrans_segs, 0, 1);
  EXPECT_EQ(f.Eval("fq_bbr").verdict, Verdict::kNotApplicable);

  EXPECT_EQ(f.Eval("numa_locality").verdict, Verdict::kNotApplicable);
  f.cpu.numa_nodes = 2;
  EXPECT_EQ(f.Eval("numa_locality").verdict, Verdict::kDocumented);

  f.Sysctl("fs.file-max", "9223372036854775807");
  EXPECT_EQ(f.Eval("file_max").verdict, Verdict::kApplied);
}

TEST(HostRules, UnmeasurableTuningsSaySo) {
  Fixture f;
  for (const char* id : {"app_code", "tcp_buffers", "tcp_notsent_lowat", "file_max"}) {
    Prediction p = f.Eval(id);
    EXPECT_EQ(p.verdict, Verdict::kNotMeasured) << id;
    EXPECT_TRUE(p.reason.starts_with("not measured here: ")) << id << ": " << p.reason;
  }
}

// ---- ranking ----
TEST(Ranking, MeasuredThenLatencyThenDocumentedThenTheRest) {
  auto make = [](const char* id, Verdict v, std::optional<double> ratio,
                 std::optional<double> latency = std::nullopt) {
    Prediction p;
    p.tuning = FindTuning(id);
    p.verdict = v;
    p.payoff_ratio = ratio;
    p.latency_removed_seconds = latency;
    return p;
  };
  std::vector<Prediction> ps{
      make("file_max", Verdict::kApplied, std::nullopt),
      make("mitigations_off", Verdict::kDocumented, 0.28),
      make("noqueue_qdisc", Verdict::kMeasured, 0.02),
      make("app_code", Verdict::kNotMeasured, std::nullopt),
      make("somaxconn", Verdict::kMeasured, std::nullopt, 60e-6),
      make("netfilter_unload", Verdict::kMeasured, 0.22),
      make("xps", Verdict::kNotApplicable, std::nullopt),
      make("no_packet_sockets", Verdict::kDocumented, 0.06),
      make("rps_rfs", Verdict::kDocumented, std::nullopt),
  };
  ps.back().cause_found = true;  // a cause found here, though no figure for it
  Rank(ps);
  std::vector<std::string> order;
  for (const auto& p : ps) order.emplace_back(p.tuning->id);
  EXPECT_EQ(order, (std::vector<std::string>{"netfilter_unload", "noqueue_qdisc", "somaxconn",
                                             "rps_rfs", "mitigations_off", "no_packet_sockets",
                                             "app_code", "xps", "file_max"}));
  for (size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(ps[i].rank, static_cast<int>(i) + 1);
}

TEST(Ranking, AdviseCoversEveryCatalogueEntryOnce) {
  Fixture f;
  Advice a = Advise(f.Build());
  ASSERT_EQ(a.ranked.size(), Catalogue().size());
  std::set<std::string_view> ids;
  for (const auto& p : a.ranked) {
    ASSERT_NE(p.tuning, nullptr);
    ids.insert(p.tuning->id);
    EXPECT_FALSE(p.reason.empty()) << p.tuning->id;
  }
  EXPECT_EQ(ids.size(), Catalogue().size());
}

// ---- evidence ----
TEST(Evidence, CounterDeltasCountNewSeriesAndIgnoreResets) {
  Fixture f;
  f.Counter("c", {{"cpu", "0"}}, 10, 15);
  f.m1.Add("c", Sample{{{"cpu", "1"}}, 7, 0, {}});  // appeared in the window
  f.Counter("c", {{"cpu", "2"}}, 10, 3);            // reset: probe restarted
  Evidence e = f.Build();
  EXPECT_DOUBLE_EQ(*e.CounterDelta("c"), 12);
  EXPECT_DOUBLE_EQ(*e.CounterDelta("c", {{"cpu", "0"}}), 5);
  EXPECT_FALSE(e.CounterDelta("absent"));
  EXPECT_EQ(e.CounterDeltaBy("c", "cpu").at("1"), 7);
}

TEST(Evidence, StatLineWithSpacesAndParenthesesInTheName) {
  std::string line =
      "1234 (my (odd) srv) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 100 1000 "
      "10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0";
  auto st = host::ParseTaskStat(line);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->ticks, 300u);
  EXPECT_EQ(st->cpu, 3);
  EXPECT_FALSE(st->kernel_thread);
  // ksoftirqd/0: flags 0x4208040 carry PF_KTHREAD (0x200000).
  auto kthread = host::ParseTaskStat(
      "14 (ksoftirqd/0) S 2 0 0 0 -1 69238848 0 0 0 0 0 912 0 0 20 0 1 0 9 0 0 "
      "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0");
  ASSERT_TRUE(kthread);
  EXPECT_TRUE(kthread->kernel_thread);
  EXPECT_EQ(kthread->cpu, 0);
  EXPECT_FALSE(host::ParseTaskStat("garbage"));
  auto sched = host::ParseSchedstat("7000000 3000000 42\n");
  ASSERT_TRUE(sched);
  EXPECT_EQ(sched->wait_ns, 3000000u);
  EXPECT_EQ(sched->timeslices, 42u);
}

TEST(Evidence, ProcStatBusyTimePerCpu) {
  auto busy = host::ParseProcStatBusy(
      "cpu  10 0 10 100 5 0 0 0 0 0\n"
      "cpu0 100 1 50 1000 20 3 7 2 0 0\n"
      "cpu1 0 0 0 500 0 0 0 0 0 0\n"
      "intr 1 2 3\n",
      100);
  ASSERT_TRUE(busy.ok()) << busy.error();
  EXPECT_DOUBLE_EQ(busy->at(0), 1.63);  // user nice system irq softirq steal, not idle/iowait
  EXPECT_DOUBLE_EQ(busy->at(1), 0);
  EXPECT_FALSE(host::ParseProcStatBusy("intr 1\n", 100).ok());
}

TEST(Evidence, TheServersCpusAreThoseItsBusyThreadsRanOn) {
  CpuSnapshot a, b;
  a.busy = host::CpuBusy{{0, 100}, {1, 100}};
  b.busy = host::CpuBusy{{0, 110}, {1, 102}};
  a.target_given = b.target_given = true;
  // A busy worker on CPU 0 and an idle master last seen on CPU 1.
  a.threads = {{1, 1, 1.0, host::SchedStat{1000000000, 0, 10}, 1},
               {1, 2, 50.0, host::SchedStat{50000000000, 1000000000, 100}, 0}};
  b.threads = {{1, 1, 1.0, host::SchedStat{1000000000, 0, 10}, 1},
               {1, 2, 55.0, host::SchedStat{55000000000, 6000000000, 200}, 0}};
  CpuTimes t = CpuDelta(a, b);
  EXPECT_EQ(t.target_cpus, std::vector<int>{0});
  EXPECT_DOUBLE_EQ(*t.target_cpu_seconds, 5);
  EXPECT_DOUBLE_EQ(*t.target_wait_seconds, 5);
  EXPECT_DOUBLE_EQ(t.cpu_busy_seconds.at(1), 2);
  EXPECT_DOUBLE_EQ(*t.host_busy_seconds, 12);
  Evidence e(MetricSnapshot(), MetricSnapshot(), 10, nullptr, std::make_shared<host::HostFacts>(),
             t);
  auto server = e.ServerCpuSeconds();
  ASSERT_TRUE(server);
  EXPECT_DOUBLE_EQ(server->seconds, 10);
  EXPECT_TRUE(server->saturated());
}

TEST(Evidence, OtherProcessesOnTheServersCpusAreNotItsWork) {
  CpuSnapshot a, b;
  a.busy = host::CpuBusy{{0, 100}, {1, 100}};
  b.busy = host::CpuBusy{{0, 110}, {1, 101}};
  a.target_given = b.target_given = true;
  a.threads = {{1, 1, 10.0, host::SchedStat{10000000000, 0, 10}, 0}};
  b.threads = {{1, 1, 16.0, host::SchedStat{16000000000, 4000000000, 20}, 0}};
  // A batch job ran 3 s on CPU 0, ksoftirqd/0 0.5 s (the CPU's own work, often the server's),
  // and a job on CPU 1 1 s.
  a.all_threads = {
      {1, 10000000000, 0, false}, {20, 1000000000, 0, false}, {14, 0, 0, true}, {30, 0, 1, false}};
  b.all_threads = {{1, 16000000000, 0, false},
                   {20, 4000000000, 0, false},
                   {14, 500000000, 0, true},
                   {30, 1000000000, 1, false}};
  CpuTimes t = CpuDelta(a, b);
  ASSERT_TRUE(t.others_run_seconds);
  EXPECT_DOUBLE_EQ(*t.others_run_seconds, 3);
  Evidence e(MetricSnapshot(), MetricSnapshot(), 10, nullptr, std::make_shared<host::HostFacts>(),
             t);
  auto server = e.ServerCpuSeconds();
  ASSERT_TRUE(server);
  EXPECT_DOUBLE_EQ(server->seconds, 7);
  EXPECT_DOUBLE_EQ(server->others_seconds, 3);
  EXPECT_TRUE(server->saturated());  // the CPU was busy; the server got its share of it
  EXPECT_NE(server->basis.find("3000 ms that other processes ran there"), std::string::npos)
      << server->basis;
}

TEST(Evidence, LiveSchedstatOfThisProcessGrowsWithWork) {
  host::HostPaths paths;
  auto before = ReadCpuSnapshot(paths, {static_cast<int>(::getpid())}, {});
  // Spin for 300 ms of this process's own CPU time (wall time varies on a busy host).
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  volatile double x = 0;
  double end = cpu_now() + 0.3;
  while (cpu_now() < end) x = x + 1;
  CpuTimes t = CpuDelta(before, ReadCpuSnapshot(paths, {static_cast<int>(::getpid())}, {}));
  ASSERT_TRUE(t.target_cpu_seconds) << t.target_reason;
  EXPECT_GT(*t.target_cpu_seconds, 0.25);  // clock ticks: 10 ms resolution
  EXPECT_LT(*t.target_cpu_seconds, 1.0);
  ASSERT_TRUE(t.target_run_seconds);
  EXPECT_GT(*t.target_run_seconds, 0.29);  // schedstat: nanoseconds
  EXPECT_FALSE(t.target_cpus.empty());
  EXPECT_FALSE(
      CpuDelta(ReadCpuSnapshot(paths, {}, {}), ReadCpuSnapshot(paths, {}, {})).target_cpu_seconds);
}

}  // namespace
}  // namespace tunescope::advisor::testing
