// `tunescope experiment`'s round statistics and report: the order of the rounds, medians,
// realized payoff and removed CPU share with their spread over pairs, saturation, /proc/stat
// parsing, and the text and JSON report built from them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "advisor/catalogue.h"
#include "experiment_load.h"
#include "experiment_report.h"
#include "experiment_rounds.h"

namespace tunescope::experiment {
namespace {

constexpr Variant kA = Variant::kOriginal;
constexpr Variant kB = Variant::kTuned;

// One round of `seconds` at `rate` req/s, the server's `cpus` CPUs busy `busy` seconds.
RoundMeasure Round(int n, Variant v, double rate, double busy, double seconds = 10, int cpus = 1) {
  RoundMeasure m;
  m.round = n;
  m.variant = v;
  m.seconds = seconds;
  m.rate = rate;
  m.server_busy_seconds = busy;
  m.server_cpus = cpus;
  return m;
}

TEST(ExperimentRounds, OrderAlternatesPairsAbBa) {
  EXPECT_EQ(RoundOrder(1), (std::vector<Variant>{kA, kB}));
  EXPECT_EQ(RoundOrder(3), (std::vector<Variant>{kA, kB, kB, kA, kA, kB}));
  std::vector<Variant> four = RoundOrder(4);
  ASSERT_EQ(four.size(), 8u);
  // With an even number of pairs, the positions of A and B sum to the same: a linear drift
  // of the machine favours neither.
  int sum_a = 0, sum_b = 0;
  for (size_t i = 0; i < four.size(); ++i) (four[i] == kA ? sum_a : sum_b) += static_cast<int>(i);
  EXPECT_EQ(sum_a, sum_b);
  EXPECT_TRUE(RoundOrder(0).empty());
}

TEST(ExperimentRounds, PerRoundCpuPerRequestAndBusyShare) {
  RoundMeasure m = Round(1, kA, 100000, 19.0, 10, 2);  // 1M requests, 19 s busy of 20 s
  ASSERT_TRUE(m.CpuPerRequest());
  EXPECT_NEAR(*m.CpuPerRequest(), 19e-6, 1e-12);
  EXPECT_NEAR(*m.BusyShare(), 0.95, 1e-12);
  EXPECT_FALSE(m.TargetCpuPerRequest());
  m.target_cpu_seconds = 5;
  EXPECT_NEAR(*m.TargetCpuPerRequest(), 5e-6, 1e-12);
  m.rate.reset();
  EXPECT_FALSE(m.CpuPerRequest());
  EXPECT_TRUE(m.BusyShare()) << "the busy share needs no rate";
}

TEST(ExperimentRounds, SaturatedServerRealizedPayoffAndRemovedShareFromMedians) {
  // Saturated (busy 9.8 of 10 s): CPU per request A 9.8 us, B 8.0/8.2/7.9 us.
  std::vector<RoundMeasure> rounds = {Round(1, kA, 1e6 / 9.8, 9.8),  Round(2, kB, 1e6 / 8.0, 9.8),
                                      Round(3, kB, 1e6 / 8.2, 9.8),  Round(4, kA, 1e6 / 9.6, 9.8),
                                      Round(5, kA, 1e6 / 10.0, 9.8), Round(6, kB, 1e6 / 7.9, 9.8)};
  Realized z = Summarize(rounds);
  ASSERT_TRUE(z.rate_a && z.rate_b && z.payoff && z.removed_share);
  EXPECT_NEAR(*z.rate_a, 1e6 / 9.8, 1e-6);
  EXPECT_NEAR(*z.rate_b, 1e6 / 8.0, 1e-6);
  // Pairs joined two by two: (A B, B A) and (B A, A B), geometric means, their median.
  const double r1 = 9.8 / 8.0, r2 = 9.6 / 8.2, r3 = 10.0 / 7.9;
  EXPECT_NEAR(*z.payoff, (std::sqrt(r1 * r2) + std::sqrt(r2 * r3)) / 2 - 1, 1e-9);
  EXPECT_NEAR(*z.removed_share, 1 - (std::sqrt(1 / (r1 * r2)) + std::sqrt(1 / (r2 * r3))) / 2,
              1e-9);
  // Pairs (1,2) (3,4) (5,6): B/A - 1 = 9.8/8.0-1, 9.6/8.2-1, 10/7.9-1.
  ASSERT_TRUE(z.payoff_spread);
  EXPECT_NEAR(z.payoff_spread->min, 9.6 / 8.2 - 1, 1e-9);
  EXPECT_NEAR(z.payoff_spread->max, 10.0 / 7.9 - 1, 1e-9);
  ASSERT_TRUE(z.removed_share_spread);
  EXPECT_NEAR(z.removed_share_spread->min, 1 - 8.2 / 9.6, 1e-9);
  EXPECT_NEAR(z.removed_share_spread->max, 1 - 7.9 / 10.0, 1e-9);
  EXPECT_TRUE(z.saturated);
  EXPECT_NEAR(*z.busy_a, 0.98, 1e-9);
}

TEST(ExperimentRounds, UnsaturatedServerMeasuresCpuPerRequestNotRate) {
  // The load generator caps req/s at 50k in both variants; the tuning removes CPU per request.
  std::vector<RoundMeasure> rounds = {Round(1, kA, 50000, 5.0), Round(2, kB, 50000, 4.0),
                                      Round(3, kB, 50000, 4.2), Round(4, kA, 50000, 5.2)};
  Realized z = Summarize(rounds);
  EXPECT_FALSE(z.saturated);
  EXPECT_NEAR(*z.busy_a, 0.51, 1e-9);
  EXPECT_NEAR(*z.payoff, 0, 1e-12);
  EXPECT_NEAR(*z.removed_share, 1 - std::sqrt(4.0 / 5.0 * 4.2 / 5.2), 1e-9);
  EXPECT_NEAR(z.removed_share_spread->min, 1 - 4.2 / 5.2, 1e-9);
  EXPECT_NEAR(z.removed_share_spread->max, 1 - 4.0 / 5.0, 1e-9);
}

TEST(ExperimentRounds, WithoutRatesOnlyTheBusyShareIsKnown) {
  std::vector<RoundMeasure> rounds = {Round(1, kA, 0, 9.5), Round(2, kB, 0, 9.5)};
  for (RoundMeasure& r : rounds) r.rate.reset();
  Realized z = Summarize(rounds);
  EXPECT_FALSE(z.payoff);
  EXPECT_FALSE(z.payoff_spread);
  EXPECT_FALSE(z.removed_share);
  EXPECT_TRUE(z.saturated);
}

TEST(ExperimentRounds, AnIncompletePairCountsInTheMediansNotInTheGain) {
  std::vector<RoundMeasure> rounds = {Round(1, kA, 100, 1), Round(2, kB, 110, 1),
                                      Round(3, kB, 130, 1)};
  Realized z = Summarize(rounds);
  EXPECT_NEAR(*z.rate_b, 120, 1e-9);
  EXPECT_NEAR(*z.payoff, 0.1, 1e-9);  // the one whole pair
  EXPECT_NEAR(z.payoff_spread->min, 0.1, 1e-9);
  EXPECT_NEAR(z.payoff_spread->max, 0.1, 1e-9);
}

TEST(ExperimentRounds, AHostThatDriftsDoesNotBiasTheGain) {
  // No gain at all, and a host that speeds up 3% every round (A B B A A B B A A B): each pair's
  // later round looks 3% better, and an odd number of pairs puts their median on one side.
  std::vector<RoundMeasure> rounds;
  const char* order = "ABBAABBAAB";
  for (int i = 0; i < 10; ++i) {
    double rate = 1000 * std::pow(1.03, i);
    rounds.push_back(Round(i + 1, order[i] == 'A' ? kA : kB, rate, 9.8));
  }
  Realized z = Summarize(rounds);
  EXPECT_NEAR(*z.payoff, 0, 1e-9);
  EXPECT_NEAR(*z.removed_share, 0, 1e-9);
  EXPECT_NEAR(z.payoff_spread->max, 0.03, 1e-9);  // the pairs themselves still show it
  EXPECT_NEAR(z.payoff_spread->min, 1 / 1.03 - 1, 1e-9);
  EXPECT_TRUE(std::isnan(DriftFree({})));
}

TEST(ExperimentRounds, APairWithoutARateIsNotBridged) {
  // No gain, a host 3% faster every round (A B B A A B B A), and round 4 printed no rate: the
  // second pair has no value. Joining the first pair with the third (both A B) would keep their
  // drift; only the third and fourth are neighbours.
  std::vector<RoundMeasure> rounds;
  const char* order = "ABBAABBA";
  for (int i = 0; i < 8; ++i) {
    rounds.push_back(Round(i + 1, order[i] == 'A' ? kA : kB, 1000 * std::pow(1.03, i), 9.8));
  }
  rounds[3].rate.reset();
  Realized z = Summarize(rounds);
  EXPECT_NEAR(*z.payoff, 0, 1e-9);
  EXPECT_NEAR(z.payoff_spread->max, 0.03, 1e-9);
  EXPECT_NEAR(DriftFree({1.1, std::nullopt, 1.3}), 1.2, 1e-9);  // no neighbours: the median
  EXPECT_TRUE(std::isnan(DriftFree({std::nullopt})));
}

TEST(ExperimentRounds, RoundsWhereOtherTasksTookTheServersCpusAreNamed) {
  std::vector<RoundMeasure> rounds = {Round(1, kA, 100, 9), Round(2, kB, 100, 9),
                                      Round(3, kB, 100, 9), Round(4, kA, 100, 9)};
  rounds[0].others_seconds = 0.5;  // 5% of 10 s on one CPU: quiet enough
  rounds[1].others_seconds = 3.0;  // 30%
  rounds[3].others_seconds = 1.5;  // 15%
  Realized z = Summarize(rounds);
  EXPECT_EQ(z.noisy_rounds, (std::vector<int>{2, 4}));
  EXPECT_NEAR(*rounds[1].OthersShare(), 0.3, 1e-12);
  EXPECT_FALSE(rounds[2].OthersShare()) << "unknown without a target";
}

TEST(ExperimentRounds, PredictedShareInvertsThePayoffModel) {
  EXPECT_NEAR(ShareFromPayoff(0.18 / 0.82), 0.18, 1e-12);
  EXPECT_NEAR(ShareFromPayoff(0), 0, 1e-12);
}

TEST(ExperimentReport, TextAndJsonCarryRoundsPredictionAndRealized) {
  const advisor::Tuning* t = advisor::FindTuning("somaxconn");
  ASSERT_NE(t, nullptr);
  Report r;
  r.tuning = t;
  r.settings = {{"net.core.somaxconn", "/proc/sys/net/core/somaxconn", "256", "4096"}};
  r.prediction_seconds = 2;
  advisor::Prediction p;
  p.tuning = t;
  p.verdict = advisor::Verdict::kMeasured;
  p.payoff_ratio = 0.25;
  p.reason = "a reason";
  r.prediction = p;
  r.while_predicting = Round(0, kA, 70000, 9.8);
  r.round_seconds = 10;
  r.server_cpus = {0};
  r.server_cpus_basis = "a basis";
  r.rounds = {Round(1, kA, 100000, 9.5), Round(2, kB, 110000, 9.5)};
  r.realized = Summarize(r.rounds);
  r.outcome = "reverted";
  std::string text = TextReport(r);
  EXPECT_NE(text.find("order A B (A original, B tuned), probes detached"), std::string::npos)
      << text;
  EXPECT_NE(text.find("    -  A probes        70000.0"), std::string::npos) << text;
  EXPECT_NE(text.find("    1  A original"), std::string::npos) << text;
  EXPECT_NE(text.find("    2  B tuned"), std::string::npos) << text;
  EXPECT_NE(text.find("+25.0%"), std::string::npos) << "predicted payoff\n" << text;
  EXPECT_NE(text.find("+20.0%"), std::string::npos) << "predicted share 0.25/1.25\n" << text;
  EXPECT_NE(text.find("+10.0%"), std::string::npos) << "realized payoff\n" << text;
  EXPECT_NE(text.find("+9.1%"), std::string::npos) << "realized share 1 - 1/1.1\n" << text;
  EXPECT_NE(text.find("saturated, so req/s is the measure"), std::string::npos) << text;
  // The JSON, parsed back: the same rounds, prediction and realized figures.
  const auto json = nlohmann::ordered_json::parse(JsonReport(r));
  EXPECT_EQ(json.at("tuning").get<std::string>(), "somaxconn");
  EXPECT_EQ(json.at("order").get<std::string>(), "A B");
  EXPECT_EQ(json.at("probes_during_rounds").get<std::string>(), "detached");
  EXPECT_EQ(json.at("settings").at(0).at("original").get<std::string>(), "256");
  EXPECT_EQ(json.at("server_cpus").get<std::vector<int>>(), r.server_cpus);
  const auto& predicting = json.at("while_predicting");
  EXPECT_EQ(predicting.begin().key(), "seconds");
  EXPECT_EQ(predicting.at("seconds").get<double>(), r.while_predicting.seconds);
  EXPECT_EQ(predicting.at("rate").get<double>(), *r.while_predicting.rate);
  EXPECT_TRUE(predicting.at("others_share").is_null()) << "not measured: null";
  const auto& prediction = json.at("prediction");
  EXPECT_EQ(prediction.at("payoff_ratio").get<double>(), *p.payoff_ratio);
  EXPECT_EQ(prediction.at("removed_share").get<double>(), *PredictedShare(p));
  EXPECT_TRUE(prediction.at("latency_removed_seconds").is_null());
  const auto& rounds = json.at("rounds");
  ASSERT_EQ(rounds.size(), r.rounds.size());
  for (size_t i = 0; i < rounds.size(); ++i) {
    EXPECT_EQ(rounds[i].at("round").get<int>(), r.rounds[i].round);
    EXPECT_EQ(rounds[i].at("variant").get<std::string>(), Letter(r.rounds[i].variant));
    EXPECT_EQ(rounds[i].at("setting").get<std::string>(), Name(r.rounds[i].variant));
    EXPECT_EQ(rounds[i].at("rate").get<double>(), *r.rounds[i].rate);
    EXPECT_EQ(rounds[i].at("server_busy_share").get<double>(), *r.rounds[i].BusyShare());
  }
  const auto& realized = json.at("realized");
  EXPECT_EQ(realized.at("payoff").get<double>(), *r.realized.payoff);
  EXPECT_EQ(realized.at("payoff_spread").get<std::vector<double>>(),
            (std::vector<double>{r.realized.payoff_spread->min, r.realized.payoff_spread->max}));
  EXPECT_EQ(realized.at("removed_share").get<double>(), *r.realized.removed_share);
  EXPECT_EQ(realized.at("saturated").get<bool>(), r.realized.saturated);
  EXPECT_EQ(realized.at("measure").get<std::string>(), "rate");
  EXPECT_EQ(json.at("outcome").get<std::string>(), "reverted");
}

}  // namespace
}  // namespace tunescope::experiment
