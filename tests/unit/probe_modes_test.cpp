// The fallback logic of ProbeSet: modes are tried best first, the first that starts wins, a
// probe that fails in every mode is down while the others run. The kernel's refusals are
// simulated here because a test cannot make this kernel refuse tp_btf on demand; the kernel
// suite forces each real mode on the real kernel.
#include <gtest/gtest.h>

#include <set>

#include "metric_lookup.h"
#include "probes/probe_set.h"

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"best", "_b", ""}, {"good", "_g", ""}, {"last", "_l", ""}, {"costly", "_c", "", true}};

class ScriptedProbe final : public Probe {
 public:
  ScriptedProbe(std::string name, std::set<std::string> refused, std::vector<std::string>* tried)
      : name_(std::move(name)), refused_(std::move(refused)), tried_(tried) {}
  std::string_view name() const override { return name_; }
  std::string_view description() const override { return "scripted"; }
  std::span<const ProbeMode> modes() const override { return kModes; }
  Status Start(const ProbeMode& mode, const ProbeConfig&) override {
    tried_->push_back(name_ + ":" + std::string(mode.name));
    if (refused_.count(std::string(mode.name)))
      return Status::Error("load: Operation not permitted");
    return {};
  }
  void Stop() override {}
  std::vector<const bpf_program*> LoadedPrograms() const override { return {}; }
  std::vector<prometheus::MetricFamily> Collect() const override { return {}; }

 private:
  std::string name_;
  std::set<std::string> refused_;
  std::vector<std::string>* tried_;
};

TEST(ModesToTry, AllBestFirstOrOnlyTheForcedOne) {
  auto all = ModesToTry(kModes, "", false);
  ASSERT_EQ(all.size(), 3u) << "the opt-in mode is left out";
  EXPECT_EQ(all[0]->name, "best");
  EXPECT_EQ(all[2]->name, "last");
  auto forced = ModesToTry(kModes, "good", false);
  ASSERT_EQ(forced.size(), 1u);
  EXPECT_EQ(forced[0]->name, "good");
  EXPECT_TRUE(ModesToTry(kModes, "absent", false).empty());
}

TEST(ProbeSet, FallsBackInOrderAndKeepsOthersRunning) {
  std::vector<std::string> tried;
  ProbeSet set;
  set.Add(std::make_unique<ScriptedProbe>("a", std::set<std::string>{}, &tried));
  set.Add(std::make_unique<ScriptedProbe>("b", std::set<std::string>{"best"}, &tried));
  set.Add(
      std::make_unique<ScriptedProbe>("c", std::set<std::string>{"best", "good", "last"}, &tried));
  EXPECT_EQ(set.StartAll({}), 2u);
  EXPECT_EQ(tried,
            (std::vector<std::string>{"a:best", "b:best", "b:good", "c:best", "c:good", "c:last"}));
  auto statuses = set.Statuses();
  EXPECT_EQ(statuses[0].mode, "best");
  EXPECT_EQ(statuses[1].mode, "good");
  EXPECT_FALSE(statuses[2].up);
  EXPECT_NE(statuses[2].error.find("mode last: load: Operation not permitted"), std::string::npos);

  auto families = set.Collect();
  EXPECT_EQ(testing::SumValues(families, "tunescope_probe_up", {{"probe", "a"}}), 1);
  EXPECT_EQ(testing::SumValues(families, "tunescope_probe_up", {{"probe", "c"}}), 0);
  EXPECT_EQ(
      testing::SumValues(families, "tunescope_probe_info", {{"probe", "b"}, {"mode", "good"}}), 1);
  EXPECT_EQ(set.Running("c"), nullptr);
  EXPECT_NE(set.Running("b"), nullptr);
}

TEST(ModesToTry, OptInModesOnlyWhenAllowedOrForced) {
  auto allowed = ModesToTry(kModes, "", true);
  ASSERT_EQ(allowed.size(), 4u);
  EXPECT_EQ(allowed.back()->name, "costly");
  auto forced = ModesToTry(kModes, "costly", false);
  ASSERT_EQ(forced.size(), 1u);
  EXPECT_EQ(forced[0]->name, "costly");
}

TEST(ProbeSet, OptInModeIsNamedInTheErrorWhenPassedOver) {
  std::vector<std::string> tried;
  ProbeSet set;
  set.Add(
      std::make_unique<ScriptedProbe>("x", std::set<std::string>{"best", "good", "last"}, &tried));
  EXPECT_EQ(set.StartAll({}), 0u);
  EXPECT_EQ(tried.size(), 3u);
  EXPECT_NE(set.Statuses()[0].error.find(
                "mode costly: opt-in, not tried (choose it with --x-mode=costly"),
            std::string::npos)
      << set.Statuses()[0].error;

  std::vector<std::string> tried_named;
  ProbeSet named;
  named.Add(std::make_unique<ScriptedProbe>("x", std::set<std::string>{"best", "good", "last"},
                                            &tried_named),
            "", /*allow_opt_in=*/true);
  EXPECT_EQ(named.StartAll({}), 1u);
  EXPECT_EQ(named.Statuses()[0].mode, "costly");
}

TEST(ProbeSet, ForcedModeIsTheOnlyOneTried) {
  std::vector<std::string> tried;
  ProbeSet set;
  set.Add(std::make_unique<ScriptedProbe>("a", std::set<std::string>{"last"}, &tried), "last");
  EXPECT_EQ(set.StartAll({}), 0u);
  EXPECT_EQ(tried, (std::vector<std::string>{"a:last"}));
}

}  // namespace
}  // namespace tunescope::probes
