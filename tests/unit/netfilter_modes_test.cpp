// The netfilter probe's mode logic without a kernel: the order of its modes, what the bracket
// attaches and where, how a calibration becomes the subtracted self cost, how slots become
// labels, and that ProbeSet lands on the bracket when fentry and kprobe are refused.
#include <gtest/gtest.h>

#include <climits>
#include <set>

#include "cli/serve_flags.h"
#include "metric_lookup.h"
#include "probes/netfilter.h"
#include "probes/probe_set.h"

namespace tunescope::probes {
namespace {

struct Parsed {
  cli::ParseOutcome::Kind kind;
  cli::ServeOptions options;
};

Parsed ParseServe(std::vector<std::string_view> args) {
  Parsed p;
  cli::FlagParser parser;
  cli::AddServeFlags(parser, p.options);
  p.kind = parser.Parse(args).kind;
  return p;
}

TEST(NetfilterModes, BestFirstFentryKprobeBracket) {
  auto modes = NetfilterModes();
  ASSERT_EQ(modes.size(), 3u);
  EXPECT_EQ(modes[0].name, "fentry");
  EXPECT_EQ(modes[1].name, "kprobe");
  EXPECT_EQ(modes[2].name, "bracket");
  std::set<std::string_view> suffixes;
  for (const auto& m : modes) suffixes.insert(m.suffix);
  EXPECT_EQ(suffixes.size(), 3u);
  EXPECT_EQ(MakeNetfilterProbe()->modes().data(), modes.data());
}

// Stands in for the netfilter probe with its real modes; the kernel's refusals are scripted
// like those of the CI host (fentry: EPERM at load; kprobe: no kprobe PMU at attach).
class RefusingProbe final : public Probe {
 public:
  RefusingProbe(std::set<std::string> refused, std::vector<std::string>* tried)
      : refused_(std::move(refused)), tried_(tried) {}
  std::string_view name() const override { return "netfilter"; }
  std::string_view description() const override { return "scripted"; }
  std::span<const ProbeMode> modes() const override { return NetfilterModes(); }
  Status Start(const ProbeMode& mode, const ProbeConfig&) override {
    tried_->emplace_back(mode.name);
    if (mode.name == "fentry" && refused_.count("fentry")) {
      return Status::Error("load: Operation not permitted");
    }
    if (mode.name == "kprobe" && refused_.count("kprobe")) {
      return Status::Error("attach ts_nf_enter_kprobe: No such file or directory");
    }
    return {};
  }
  void Stop() override {}
  std::vector<const bpf_program*> LoadedPrograms() const override { return {}; }
  std::vector<prometheus::MetricFamily> Collect() const override { return {}; }

 private:
  std::set<std::string> refused_;
  std::vector<std::string>* tried_;
};

// Bracketing costs ~450 ns per packet and hook, so it is opt-in: chosen when the user names
// the probe in --probes (allow_opt_in) or forces the mode.
TEST(NetfilterModes, CiHostFallsBackToBracketWhenTheProbeIsNamed) {
  std::vector<std::string> tried;
  ProbeSet set;
  set.Add(std::make_unique<RefusingProbe>(std::set<std::string>{"fentry", "kprobe"}, &tried), "",
          /*allow_opt_in=*/true);
  EXPECT_EQ(set.StartAll({}), 1u);
  EXPECT_EQ(tried, (std::vector<std::string>{"fentry", "kprobe", "bracket"}));
  EXPECT_EQ(set.Statuses()[0].mode, "bracket");
  EXPECT_EQ(testing::SumValues(set.Collect(), "tunescope_probe_info",
                               {{"probe", "netfilter"}, {"mode", "bracket"}}),
            1);
}

TEST(NetfilterModes, BracketIsNotPickedUnasked) {
  std::vector<std::string> tried;
  ProbeSet set;
  set.Add(std::make_unique<RefusingProbe>(std::set<std::string>{"fentry", "kprobe"}, &tried));
  EXPECT_EQ(set.Statuses()[0].error, kNotStartedYet) << "serve listens before StartAll";
  EXPECT_EQ(set.StartAll({}), 0u);
  EXPECT_EQ(tried, (std::vector<std::string>{"fentry", "kprobe"}));
  EXPECT_NE(set.Statuses()[0].error.find("--netfilter-mode=bracket"), std::string::npos);
}

TEST(NetfilterModes, StockKernelsUseFentryAndKprobeWhenAllowed) {
  std::vector<std::string> tried;
  ProbeSet set;
  set.Add(std::make_unique<RefusingProbe>(std::set<std::string>{}, &tried));
  set.StartAll({});
  EXPECT_EQ(set.Statuses()[0].mode, "fentry");

  std::vector<std::string> tried_no_fentry;
  ProbeSet set2;
  set2.Add(std::make_unique<RefusingProbe>(std::set<std::string>{"fentry"}, &tried_no_fentry));
  set2.StartAll({});
  EXPECT_EQ(set2.Statuses()[0].mode, "kprobe");
}

TEST(NetfilterModes, ForcedModeIsNotSilentlyReplaced) {
  std::vector<std::string> tried;
  ProbeSet set;
  set.Add(std::make_unique<RefusingProbe>(std::set<std::string>{"kprobe"}, &tried), "kprobe");
  EXPECT_EQ(set.StartAll({}), 0u);
  EXPECT_EQ(tried, (std::vector<std::string>{"kprobe"}));
  EXPECT_NE(set.Statuses()[0].error.find("mode kprobe: attach"), std::string::npos);
}

TEST(NetfilterModes, ModeFlagAcceptsExactlyTheProbeModes) {
  for (const char* mode : {"fentry", "kprobe", "bracket"}) {
    std::string flag = std::string("--netfilter-mode=") + mode;
    Parsed p = ParseServe({flag});
    EXPECT_EQ(p.kind, cli::ParseOutcome::kRun) << mode;
    EXPECT_EQ(p.options.probe_modes["netfilter"], mode);
  }
  EXPECT_EQ(ParseServe({"--netfilter-mode=tracepoint"}).kind, cli::ParseOutcome::kUsageError);
}

TEST(NetfilterBracket, FirstAndLastPriorityOnEveryInetHook) {
  auto points = BracketAttachPoints();
  ASSERT_EQ(points.size(), 20u);  // 2 families x 5 hooks x {first, last}
  std::set<std::tuple<int, int, bool>> seen;
  for (const auto& p : points) {
    EXPECT_TRUE(p.pf == 2 || p.pf == 10) << p.pf;
    EXPECT_GE(p.hook, 0);
    EXPECT_LE(p.hook, 4);
    // INT_MIN and INT_MAX themselves are reserved by the kernel for netfilter's own use.
    EXPECT_EQ(p.priority, p.first ? INT_MIN + 1 : INT_MAX - 1);
    seen.insert({p.pf, p.hook, p.first});
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(NetfilterBracket, SelfCostIsTheMeanOfEnoughCalibrationSamples) {
  const uint64_t counts[] = {600, 400};
  const uint64_t sums[] = {600 * 90, 400 * 110};
  EXPECT_EQ(BracketSelfNs(counts, sums, 1000), 98u);  // (54000 + 44000) / 1000
  EXPECT_EQ(BracketSelfNs(counts, sums, 1001), 0u) << "too few samples: no calibration";
  const uint64_t none[] = {0, 0};
  EXPECT_EQ(BracketSelfNs(none, none, 0), 0u);
  const uint64_t one[] = {3};
  const uint64_t sum_one[] = {10};
  EXPECT_EQ(BracketSelfNs(one, sum_one, 1), 3u);  // 3.33 rounds to 3
}

TEST(NetfilterLabels, SlotsNameFamilyAndChain) {
  auto l = NetfilterSlotLabels(0 * 8 + 1);
  EXPECT_EQ(l.family, "ipv4");
  EXPECT_EQ(l.hook, "input");
  l = NetfilterSlotLabels(1 * 8 + 4);
  EXPECT_EQ(l.family, "ipv6");
  EXPECT_EQ(l.hook, "postrouting");
  l = NetfilterSlotLabels(0 * 8 + 3);
  EXPECT_EQ(l.hook, "output");
  l = NetfilterSlotLabels(2 * 8 + 1);
  EXPECT_EQ(l.family, "arp");
  EXPECT_EQ(l.hook, "output");
  l = NetfilterSlotLabels(3 * 8 + 5);
  EXPECT_EQ(l.family, "bridge");
  EXPECT_EQ(l.hook, "brouting");
  l = NetfilterSlotLabels(4 * 8 + 0);
  EXPECT_EQ(l.family, "netdev");
  EXPECT_EQ(l.hook, "ingress");
  l = NetfilterSlotLabels(5 * 8 + 7);
  EXPECT_EQ(l.family, "other");
  EXPECT_EQ(l.hook, "other");
  EXPECT_EQ(NetfilterSlotLabels(0 * 8 + 6).hook, "hook6");
}

TEST(NetprobeFlags, MapBoundsAndXdpInterface) {
  Parsed p = ParseServe({"--xdp-iface=lo", "--qdisc.max-devices=64", "--xcpu.max-sockets=1024",
                         "--target-port=80", "--target-port=443"});
  ASSERT_EQ(p.kind, cli::ParseOutcome::kRun);
  const ProbeConfig& c = p.options.probe_config;
  EXPECT_EQ(c.xdp_iface, "lo");
  EXPECT_EQ(c.max_qdisc_devices, 64u);
  EXPECT_EQ(c.max_sockets, 1024u);
  EXPECT_EQ(c.target_ports, (std::vector<uint16_t>{80, 443}));
  for (const char* bad :
       {"--xdp-iface=", "--xdp-iface=a-name-longer-than-15", "--xdp-iface=nosuchif0",
        "--qdisc.max-devices=0", "--xcpu.max-sockets=abc"}) {
    EXPECT_EQ(ParseServe({bad}).kind, cli::ParseOutcome::kUsageError) << bad;
  }
}

// A USDT binary that is not there would leave reqlat in socket mode without a word.
TEST(NetprobeFlags, TheUsdtBinaryMustBeAFile) {
  Parsed p = ParseServe({"--reqlat.usdt-binary=/proc/self/exe"});
  ASSERT_EQ(p.kind, cli::ParseOutcome::kRun);
  EXPECT_EQ(p.options.probe_config.usdt_binary, "/proc/self/exe");
  for (const char* bad :
       {"--reqlat.usdt-binary=/nonexistent/refserver", "--reqlat.usdt-binary=/"}) {
    EXPECT_EQ(ParseServe({bad}).kind, cli::ParseOutcome::kUsageError) << bad;
  }
}

}  // namespace
}  // namespace tunescope::probes
