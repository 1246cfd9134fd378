// nft JSON and iptables-save parsers on real output captured in a scratch network namespace
// (fixtures/nft_ruleset.json, iptables_*_save.txt), and the collector with a fake runner.
#include <gtest/gtest.h>

#include <map>

#include "fixtures.h"
#include "host/netfilter.h"

namespace tunescope::host {
namespace {

using testing::ReadFixture;

TEST(Nft, CountsTablesChainsAndRules) {
  auto rs = ParseNftJson(ReadFixture("nft_ruleset.json"));
  ASSERT_TRUE(rs.ok()) << rs.error();
  const NfTable* filter = rs->find("inet", "filter");
  ASSERT_NE(filter, nullptr);
  EXPECT_EQ(filter->chains.size(), 3u);
  EXPECT_EQ(filter->rules(), 4);
  EXPECT_EQ(filter->base_chains(), 2);
  EXPECT_EQ(filter->chains[0].name, "input");
  EXPECT_EQ(filter->chains[0].hook, "input");
  EXPECT_EQ(filter->chains[0].policy, "accept");
  EXPECT_EQ(filter->chains[0].rules, 3);
  EXPECT_FALSE(filter->chains[2].hook.has_value());  // blocklist: a regular chain
  const NfTable* nat = rs->find("ip", "nat");
  ASSERT_NE(nat, nullptr);
  EXPECT_EQ(nat->rules(), 1);
  EXPECT_EQ(rs->find("ip", "filter"), nullptr);
  EXPECT_EQ(rs->rules(), 5);
}

TEST(Nft, EmptyRulesetFromThisHost) {
  auto rs = ParseNftJson(ReadFixture("nft_empty.json"));
  ASSERT_TRUE(rs.ok()) << rs.error();
  EXPECT_TRUE(rs->tables.empty());
  EXPECT_EQ(rs->rules(), 0);
}

TEST(Nft, MalformedOutputIsAnError) {
  const std::string full = ReadFixture("nft_ruleset.json");
  auto cut = ParseNftJson(full.substr(0, full.size() / 2), "nft -j list ruleset");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().find("nft -j list ruleset"), std::string::npos);
  EXPECT_FALSE(ParseNftJson(R"({"other": []})").ok());
  EXPECT_FALSE(ParseNftJson(R"({"nftables": [{"rule": {"family": "ip"}}]})").ok());
  // What the JSON library throws comes back as an error naming the source.
  for (const char* bad : {"", "{", R"({"nftables": [1,]})", R"({"nftables": [1e400]})",
                          "{\"nftables\": [\"\xff\"]}"}) {
    auto rs = ParseNftJson(bad, "nft -j list ruleset");
    ASSERT_FALSE(rs.ok()) << bad;
    EXPECT_EQ(rs.error().rfind("nft -j list ruleset: ", 0), 0u) << rs.error();
  }
  // Nesting 100000 deep is read and freed without recursion: no stack overflow.
  const std::string deep =
      R"({"nftables": [)" + std::string(100000, '[') + std::string(100000, ']') + "]}";
  auto nested = ParseNftJson(deep);
  ASSERT_TRUE(nested.ok()) << nested.error();
  EXPECT_TRUE(nested->tables.empty());
}

// Members of an unexpected type count as missing, as nft leaves out what is unset.
TEST(Nft, MembersOfAnotherTypeAreMissing) {
  auto rs = ParseNftJson(R"({"nftables": [
    {"metainfo": {"version": "1.0.6"}},
    {"chain": {"family": "ip", "table": "t", "name": "c", "hook": 7, "policy": null}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": []}},
    "not an object",
    {"table": ["ip", "t"]}
  ]})");
  ASSERT_FALSE(rs.ok()) << "a table without family or name";
  rs = ParseNftJson(R"({"nftables": [
    {"chain": {"family": "ip", "table": "t", "name": "c", "hook": 7, "policy": null}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": []}},
    "not an object"
  ]})");
  ASSERT_TRUE(rs.ok()) << rs.error();
  const NfTable* t = rs->find("ip", "t");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->chains.size(), 1u);
  EXPECT_FALSE(t->chains[0].hook.has_value());
  EXPECT_FALSE(t->chains[0].policy.has_value());
  EXPECT_EQ(t->rules(), 1);
}

TEST(IptablesSave, CountsRulesPerTableAndChain) {
  auto rs =
      ParseIptablesSave(ReadFixture("iptables_legacy_save.txt"), "ip", "iptables-legacy-save");
  ASSERT_TRUE(rs.ok()) << rs.error();
  ASSERT_EQ(rs->tables.size(), 2u);
  const NfTable* filter = rs->find("ip", "filter");
  ASSERT_NE(filter, nullptr);
  EXPECT_EQ(filter->rules(), 3);
  EXPECT_EQ(filter->chains.size(), 4u);
  EXPECT_EQ(filter->base_chains(), 3);  // DOCKER is a user chain
  std::map<std::string, int> per_chain;
  for (const auto& c : filter->chains) per_chain[c.name] = c.rules;
  EXPECT_EQ(per_chain["INPUT"], 2);
  EXPECT_EQ(per_chain["DOCKER"], 1);
  EXPECT_EQ(per_chain["FORWARD"], 0);
  EXPECT_EQ(filter->chains[1].policy, "DROP");
  EXPECT_EQ(rs->find("ip", "nat")->rules(), 1);
  EXPECT_EQ(rs->rules(), 4);

  auto nftb = ParseIptablesSave(ReadFixture("iptables_nft_save.txt"), "ip");
  ASSERT_TRUE(nftb.ok()) << nftb.error();
  EXPECT_EQ(nftb->rules(), 1);
  EXPECT_EQ(ParseIptablesSave("", "ip")->tables.size(), 0u);
}

TEST(IptablesSave, MalformedOutputIsAnError) {
  const std::string full = ReadFixture("iptables_legacy_save.txt");
  const std::string cut = full.substr(0, full.find("COMMIT", full.find("*filter")));
  auto t = ParseIptablesSave(cut, "ip", "iptables-legacy-save");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("iptables-legacy-save"), std::string::npos);
  EXPECT_NE(t.error().find("truncated"), std::string::npos) << t.error();
  EXPECT_FALSE(ParseIptablesSave("-A INPUT -j ACCEPT\n", "ip").ok());
  EXPECT_FALSE(ParseIptablesSave("*filter\n*nat\nCOMMIT\n", "ip").ok());
  EXPECT_FALSE(ParseIptablesSave("*filter\nbogus\nCOMMIT\n", "ip").ok());
}

// Answers from fixture text, records what was asked.
class FakeRunner : public CommandRunner {
 public:
  std::map<std::string, std::string> outputs;
  std::vector<std::string> asked;
  Result<CommandOutput> run(const std::vector<std::string>& argv) override {
    asked.push_back(argv[0]);
    auto it = outputs.find(argv[0]);
    if (it == outputs.end()) return Result<CommandOutput>::Error(argv[0] + ": not installed");
    return CommandOutput{0, it->second};
  }
};

TEST(Netfilter, CollectorUsesRunnerAndNeverLoadsModules) {
  // tree4 has no /proc/modules (no module support, like this VM) and no ip_tables_names.
  FakeRunner runner;
  runner.outputs["nft"] = ReadFixture("nft_ruleset.json");
  runner.outputs["iptables-nft-save"] = ReadFixture("iptables_nft_save.txt");
  const NetfilterState st = ReadNetfilter(testing::TreePaths("tree4"), runner);
  ASSERT_TRUE(st.nft.ok()) << st.nft.error();
  EXPECT_EQ(st.nft->rules(), 5);
  ASSERT_TRUE(st.iptables_nft.ok()) << st.iptables_nft.error();
  EXPECT_EQ(st.iptables_nft->rules(), 1);
  EXPECT_FALSE(st.iptables_legacy.ok());
  EXPECT_NE(st.iptables_legacy.error().find("not loaded"), std::string::npos);
  EXPECT_EQ(st.total_rules(), 5);  // iptables-nft rules are in the nft ruleset already
  for (const auto& a : runner.asked) EXPECT_EQ(a.find("legacy"), std::string::npos) << a;
}

TEST(Netfilter, MissingToolsAreReasonsNotErrors) {
  FakeRunner runner;  // nothing installed
  const NetfilterState st = ReadNetfilter(testing::TreePaths("tree4"), runner);
  ASSERT_FALSE(st.nft.ok());
  EXPECT_NE(st.nft.error().find("not installed"), std::string::npos);
  EXPECT_EQ(st.total_rules(), 0);
}

TEST(Netfilter, SystemRunnerRunsAndReportsMissingPrograms) {
  SystemCommandRunner runner(5000);
  auto ok = runner.run({"sh", "-c", "echo hello; exit 3"});
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->out, "hello\n");
  EXPECT_EQ(ok->exit_code, 3);
  auto missing = runner.run({"tunescope-no-such-program"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("not installed"), std::string::npos);
  SystemCommandRunner quick(200);
  auto slow = quick.run({"sleep", "5"});
  ASSERT_FALSE(slow.ok());
  EXPECT_NE(slow.error().find("timed out"), std::string::npos);
}

}  // namespace
}  // namespace tunescope::host
