#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/serve_flags.h"
#include "param_name.h"
#include "probes/catalogue.h"

namespace tunescope::cli {
namespace {

struct Parsed {
  ParseOutcome outcome;
  ServeOptions options;
};

Parsed ParseServe(std::vector<std::string_view> args) {
  Parsed p;
  FlagParser parser;
  AddServeFlags(parser, p.options);
  p.outcome = parser.Parse(args);
  return p;
}

TEST(ServeFlags, DefaultsAreTheEmbeddedConfiguration) {
  Parsed p = ParseServe({});
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.options.listen_address, ":10027");
  EXPECT_EQ(p.options.telemetry_path, "/metrics");
  EXPECT_EQ(p.options.log_level, log::Level::kInfo);
  EXPECT_EQ(p.options.probe_config.softirq_sample, 8u) << "1 in 8 softirq runs timed";
  EXPECT_EQ(p.options.window.open, std::chrono::seconds(2)) << "per-packet probes: 2 s windows";
  EXPECT_EQ(p.options.window.every, std::chrono::seconds(120));
  EXPECT_DOUBLE_EQ(p.options.overhead_budget, 0.005) << "0.5% of one CPU";
  std::vector<std::string> defaults = ProbesToRun(p.options);
  EXPECT_NE(std::find(defaults.begin(), defaults.end(), "softirq"), defaults.end());
  EXPECT_NE(std::find(defaults.begin(), defaults.end(), "runqlat"), defaults.end());
  // Per-packet probes stay off unless asked for (or, for port probes, given a port).
  EXPECT_EQ(std::find(defaults.begin(), defaults.end(), "qdisc"), defaults.end());
  EXPECT_EQ(std::find(defaults.begin(), defaults.end(), "xcpu"), defaults.end());

  Parsed with_port = ParseServe({"--target-port=8080"});
  std::vector<std::string> port_defaults = ProbesToRun(with_port.options);
  EXPECT_NE(std::find(port_defaults.begin(), port_defaults.end(), "xcpu"), port_defaults.end());
  EXPECT_NE(std::find(port_defaults.begin(), port_defaults.end(), "reqlat"), port_defaults.end());
  EXPECT_EQ(std::find(port_defaults.begin(), port_defaults.end(), "qdisc"), port_defaults.end());
}

TEST(ServeFlags, OverheadBudgetTakesAShareOrAPercentage) {
  EXPECT_DOUBLE_EQ(ParseServe({"--overhead-budget=0.01"}).options.overhead_budget, 0.01);
  EXPECT_DOUBLE_EQ(ParseServe({"--overhead-budget", "0.2%"}).options.overhead_budget, 0.002);
  EXPECT_DOUBLE_EQ(ParseServe({"--overhead-budget=1"}).options.overhead_budget, 1.0);
  EXPECT_EQ(ParseServe({"--overhead-budget=off"}).options.overhead_budget, 0);
}

// Only a budget turns BPF statistics on in the windows: only then does the netfilter bracket
// calibrate for them (turning them on host-wide for a moment).
TEST(ServeFlags, WindowsMeasureWithStatisticsOnlyUnderABudget) {
  auto stats_in_windows = [](std::vector<std::string_view> args) {
    Parsed p = ParseServe(args);
    EXPECT_EQ(p.outcome.kind, ParseOutcome::kRun) << p.outcome.error;
    EXPECT_TRUE(ResolveServeOptions(p.options).ok());
    return p.options.probe_config.stats_in_windows;
  };
  EXPECT_TRUE(stats_in_windows({}));
  EXPECT_TRUE(stats_in_windows({"--window=1s/10s", "--overhead-budget=0.5%"}));
  EXPECT_FALSE(stats_in_windows({"--overhead-budget=off"}));
  EXPECT_FALSE(stats_in_windows({"--window=always"}));
  EXPECT_FALSE(stats_in_windows({"--drop-capabilities"})) << "attached for good";
}

// Attached for good, the default set leaves softirq's per-run programs out: the kernel
// statistics carry softirq time and runs. Asked for by name, or without the kernel statistics,
// it attaches for good.
TEST(ServeFlags, SoftirqAttachesForGoodOnlyWhenAsked) {
  auto has = [](const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  Parsed always = ParseServe({"--window=always"});
  ASSERT_EQ(always.outcome.kind, ParseOutcome::kRun) << always.outcome.error;
  EXPECT_FALSE(has(ProbesToRun(always.options), "softirq"));
  EXPECT_TRUE(has(ProbesToRun(always.options), "runqlat"));
  EXPECT_TRUE(has(ProbesToRun(always.options), "hardirq"));
  Parsed no_kernel = ParseServe({"--window=always", "--no-kernel-stats"});
  ASSERT_EQ(no_kernel.outcome.kind, ParseOutcome::kRun) << no_kernel.outcome.error;
  EXPECT_TRUE(has(ProbesToRun(no_kernel.options), "softirq"));
  Parsed named = ParseServe({"--window=always", "--probes=softirq"});
  ASSERT_EQ(named.outcome.kind, ParseOutcome::kRun) << named.outcome.error;
  EXPECT_TRUE(has(ProbesToRun(named.options), "softirq"));
  Parsed windowed = ParseServe({"--window=1s/10s"});
  ASSERT_EQ(windowed.outcome.kind, ParseOutcome::kRun) << windowed.outcome.error;
  EXPECT_TRUE(has(ProbesToRun(windowed.options), "softirq"));
}

TEST(ServeFlags, AcceptsBothValueForms) {
  // Target pids must be running processes: this test's own and its parent.
  const std::string self = std::to_string(::getpid());
  const std::string parent = std::to_string(::getppid());
  Parsed p = ParseServe({"--web.listen-address=127.0.0.1:9999", "--web.telemetry-path", "/m",
                         "--probes=softirq,runqlat", "--target-pid=" + self, "--target-pid", parent,
                         "--target-comm=refserver", "--target-port=8080", "--log.level=debug",
                         "--softirq-mode=raw_tp", "--softirq.sample=16", "--bpf-stats"});
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kRun) << p.outcome.error;
  EXPECT_EQ(p.options.listen_address, "127.0.0.1:9999");
  EXPECT_EQ(p.options.telemetry_path, "/m");
  EXPECT_EQ(p.options.probes, (std::vector<std::string>{"softirq", "runqlat"}));
  EXPECT_EQ(p.options.probe_config.target_pids, (std::vector<pid_t>{::getpid(), ::getppid()}));
  EXPECT_EQ(p.options.probe_config.target_comms, (std::vector<std::string>{"refserver"}));
  EXPECT_EQ(p.options.probe_config.target_ports, (std::vector<uint16_t>{8080}));
  EXPECT_EQ(p.options.log_level, log::Level::kDebug);
  EXPECT_EQ(p.options.probe_modes.at("softirq"), "raw_tp");
  EXPECT_EQ(p.options.probe_config.softirq_sample, 16u);
  EXPECT_TRUE(p.options.bpf_stats);
}

TEST(ServeFlags, WindowTakesOpenEveryOrAlways) {
  Parsed p = ParseServe({"--window=500ms/30s"});
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kRun) << p.outcome.error;
  EXPECT_EQ(p.options.window.open, std::chrono::milliseconds(500));
  EXPECT_EQ(p.options.window.every, std::chrono::seconds(30));
  EXPECT_FALSE(p.options.window.always());
  EXPECT_TRUE(ResolveServeOptions(p.options).ok());

  Parsed always = ParseServe({"--window", "always"});
  ASSERT_EQ(always.outcome.kind, ParseOutcome::kRun) << always.outcome.error;
  EXPECT_TRUE(always.options.window.always());
}

// A part too long or zero is said as such; a bad form names the form.
TEST(ServeFlags, AWindowTooLongSaysItsBound) {
  EXPECT_EQ(ParseServe({"--window=2s/200h"}).outcome.error,
            "flag --window: \"200h\" is longer than 24h");
  EXPECT_EQ(ParseServe({"--window=2s"}).outcome.error,
            "flag --window: \"2s\" is not OPEN/EVERY (like 2s/120s) or always");
  EXPECT_EQ(ParseServe({"--window=2x/10s"}).outcome.error,
            "flag --window: \"2x/10s\" is not OPEN/EVERY (like 2s/120s) or always");
  EXPECT_EQ(ParseServe({"--window=0s/10s"}).outcome.error,
            "flag --window: \"0s\" is not a positive duration");
  // An idle timeout has a bound of its own, past a week's.
  Parsed forget = ParseServe({"--qdisc.forget-after=720h"});
  EXPECT_EQ(forget.outcome.kind, ParseOutcome::kRun) << forget.outcome.error;
}

TEST(ServeFlags, WindowsNeedTheCapabilitiesDropCapabilitiesRemoves) {
  // Without --window, --drop-capabilities attaches the per-packet probes for good.
  Parsed implied = ParseServe({"--drop-capabilities"});
  ASSERT_EQ(implied.outcome.kind, ParseOutcome::kRun);
  EXPECT_TRUE(ResolveServeOptions(implied.options).ok());
  EXPECT_TRUE(implied.options.window.always());
  // Asked for both: a usage error naming the way out.
  Parsed both = ParseServe({"--drop-capabilities", "--window=1s/60s"});
  ASSERT_EQ(both.outcome.kind, ParseOutcome::kRun);
  Status s = ResolveServeOptions(both.options);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("--window=always"), std::string::npos) << s.error();
  Parsed fine = ParseServe({"--drop-capabilities", "--window=always"});
  EXPECT_TRUE(ResolveServeOptions(fine.options).ok());
}

TEST(ServeFlags, ProbesAllExpandsToTheCatalogue) {
  Parsed p = ParseServe({"--probes=all"});
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.options.probes.size(), probes::Catalogue().size());
}

TEST(ServeFlags, DuplicateProbesAndPortsCollapse) {
  // Twice the same probe would load it twice and export every series twice.
  Parsed p = ParseServe({"--probes=softirq,runqlat,softirq"});
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kRun);
  EXPECT_EQ(p.options.probes, (std::vector<std::string>{"softirq", "runqlat"}));
  Parsed all = ParseServe({"--probes=softirq,all"});
  ASSERT_EQ(all.outcome.kind, ParseOutcome::kRun);
  EXPECT_EQ(all.options.probes.size(), probes::Catalogue().size());
  Parsed ports = ParseServe({"--target-port=80", "--target-port=80", "--target-port=443"});
  ASSERT_EQ(ports.outcome.kind, ParseOutcome::kRun);
  EXPECT_EQ(ports.options.probe_config.target_ports, (std::vector<uint16_t>{80, 443}));
}

TEST(ServeFlags, MoreTargetPortsThanTheMapsHoldIsAUsageError) {
  std::vector<std::string> storage;
  for (int port = 1000; port < 1064; ++port)
    storage.push_back("--target-port=" + std::to_string(port));
  std::vector<std::string_view> args(storage.begin(), storage.end());
  EXPECT_EQ(ParseServe(args).outcome.kind, ParseOutcome::kRun) << "64 ports fit";
  storage.push_back("--target-port=2000");
  args.assign(storage.begin(), storage.end());
  Parsed p = ParseServe(args);
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kUsageError);
  EXPECT_NE(p.outcome.error.find("at most 64"), std::string::npos) << p.outcome.error;
}

TEST(ServeFlags, HelpListsEveryFlag) {
  ServeOptions o;
  FlagParser parser;
  AddServeFlags(parser, o);
  std::string_view help_arg[] = {"--help"};
  EXPECT_EQ(parser.Parse(help_arg).kind, ParseOutcome::kHelp);
  std::string help = parser.Help();
  for (const char* flag :
       {"--web.listen-address", "--web.telemetry-path", "--probes", "--log.level", "--target-pid",
        "--softirq-mode", "--bpf-stats", "--window"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

struct BadCase {
  std::vector<std::string_view> args;
  std::string_view message_part;
};

class ServeFlagErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ServeFlagErrors, AreOneLineUsageErrorsNamingTheFlag) {
  Parsed p = ParseServe(GetParam().args);
  ASSERT_EQ(p.outcome.kind, ParseOutcome::kUsageError);
  EXPECT_NE(p.outcome.error.find(GetParam().message_part), std::string::npos) << p.outcome.error;
  EXPECT_EQ(p.outcome.error.find('\n'), std::string::npos);
}

// One case per line.
// clang-format off
INSTANTIATE_TEST_SUITE_P(
    All, ServeFlagErrors,
    ::testing::Values(BadCase{{"--nope"}, "unknown flag --nope"},
                      BadCase{{"--web.listen-address=10027"}, "needs a port"},
                      BadCase{{"--web.listen-address=:0"}, "bad port"},
                      BadCase{{"--web.listen-address=:70000"}, "bad port"},
                      BadCase{{"--web.listen-address=[::1:80"}, "IPv6"},
                      BadCase{{"--web.telemetry-path=metrics"}, "--web.telemetry-path"},
                      BadCase{{"--web.telemetry-path=/"}, "--web.telemetry-path"},
                      BadCase{{"--web.telemetry-path=/healthz"}, "--web.telemetry-path"},
                      BadCase{{"--web.telemetry-path=/advice"}, "--web.telemetry-path"},
                      BadCase{{"--target-pid=4194304"}, "no process 4194304"},
                      BadCase{{"--probes=softirq,bogus"}, "unknown probe \"bogus\""},
                      BadCase{{"--probes=softirq,,runqlat"}, "empty item"},
                      BadCase{{"--softirq-mode=fentry"}, "unknown mode"},
                      BadCase{{"--target-pid=0"}, "--target-pid"},
                      BadCase{{"--target-pid=abc"}, "--target-pid"},
                      BadCase{{"--target-port=65536"}, "--target-port"},
                      BadCase{{"--target-comm=a-name-longer-than-15"}, "15 characters"},
                      BadCase{{"--log.level=loud"}, "--log.level"},
                      BadCase{{"--bpf-stats=yes"}, "takes no value"},
                      BadCase{{"--softirq.sample=12"}, "not a power of two"},
                      BadCase{{"--softirq.sample=0"}, "--softirq.sample"},
                      BadCase{{"--softirq.sample=2048"}, "--softirq.sample"},
                      BadCase{{"--window=3s"}, "OPEN/EVERY"},
                      BadCase{{"--window=3s/2s"}, "OPEN < EVERY"},
                      BadCase{{"--window=0s/2s"}, "--window"},
                      BadCase{{"--window=1s/2d"}, "--window"},
                      BadCase{{"--window=5ms/1s"}, "10ms <= OPEN"},
                      BadCase{{"--overhead-budget=0"}, "--overhead-budget: \"0\" is not a share"},
                      BadCase{{"--overhead-budget=1.5"}, "in (0, 1]"},
                      BadCase{{"--overhead-budget=-0.01"}, "--overhead-budget"},
                      BadCase{{"--overhead-budget=abc"}, "--overhead-budget"},
                      BadCase{{"--overhead-budget=0.5%%"}, "--overhead-budget"},
                      BadCase{{"--overhead-budget=nan"}, "--overhead-budget"},
                      BadCase{{"--overhead-budget="}, "--overhead-budget"},
                      BadCase{{"--probes"}, "needs a value"},
                      BadCase{{"serve"}, "unexpected argument"}),
    [](const ::testing::TestParamInfo<BadCase>& p) {
      // The arguments as a test name: "--window=3s/2s" -> "window_3s_2s".
      std::string name = tunescope::testing::ArgsTestName(p.param.args);
      return name.empty() ? "case_" + std::to_string(p.index) : name;
    });
// clang-format on

TEST(Durations, PrometheusStyle) {
  double s = 0;
  ASSERT_TRUE(ParseDurationSeconds("duration", "30s", s).ok());
  EXPECT_EQ(s, 30);
  ASSERT_TRUE(ParseDurationSeconds("duration", "500ms", s).ok());
  EXPECT_DOUBLE_EQ(s, 0.5);
  ASSERT_TRUE(ParseDurationSeconds("duration", "2m", s).ok());
  EXPECT_EQ(s, 120);
  ASSERT_TRUE(ParseDurationSeconds("duration", "7", s).ok());
  EXPECT_EQ(s, 7);
  EXPECT_FALSE(ParseDurationSeconds("duration", "0s", s).ok());
  EXPECT_FALSE(ParseDurationSeconds("duration", "s", s).ok());
  EXPECT_FALSE(ParseDurationSeconds("duration", "5x", s).ok());
  ASSERT_TRUE(ParseDurationSeconds("duration", "168h", s).ok());
  EXPECT_EQ(s, 604800);
  // The form alone, for flags that say their own bounds.
  EXPECT_EQ(DurationSeconds("0s"), 0.0);
  EXPECT_EQ(DurationSeconds("200h"), 720000.0);
  EXPECT_EQ(DurationSeconds("99999999999999999999999s"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(DurationSeconds("1.5s"), std::nullopt);
  EXPECT_EQ(DurationSeconds("-1s"), std::nullopt);
}

// One line that says what is wrong: a zero, a fraction, or a length that would overflow the
// progress counters (advise --duration 596524h printed "measuring: 0/-2147483648 s").
TEST(Durations, SayWhatIsWrong) {
  double s = 0;
  auto error = [&s](const char* v) { return ParseDurationSeconds("duration", v, s).error(); };
  EXPECT_EQ(error("0s"), "flag --duration: \"0s\" is not a positive duration");
  EXPECT_EQ(error("1.5s"),
            "flag --duration: \"1.5s\" is not a whole number of ms, s, m or h "
            "(like 500ms, 30s or 5m)");
  for (const char* v : {"169h", "596524h", "99999999999h", "99999999999999999999999s"}) {
    EXPECT_EQ(error(v), "flag --duration: \"" + std::string(v) + "\" is longer than 168h");
  }
}

}  // namespace
}  // namespace tunescope::cli
