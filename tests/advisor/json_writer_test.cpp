// JSON writer: escaping, nesting, numbers; and the /advice document parses with the host JSON
// reader and agrees with the ranking.
#include <gtest/gtest.h>

#include "advisor/json_writer.h"
#include "advisor/report.h"
#include "advisor_fixture.h"
#include "host/json.h"

namespace tunescope::advisor {
namespace {

TEST(JsonQuote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(JsonQuote("C:\\path"), "\"C:\\\\path\"");
  EXPECT_EQ(JsonQuote("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\"");
  EXPECT_EQ(JsonQuote(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(JsonQuote("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
}

TEST(JsonQuote, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonQuote("361 \xc2\xb5s -> 292 \xce\xbcs"), "\"361 \xc2\xb5s -> 292 \xce\xbcs\"");
  EXPECT_EQ(JsonQuote("\xe2\x82\xac"), "\"\xe2\x82\xac\"");
  EXPECT_EQ(JsonQuote("bad \xff end"), "\"bad \\ufffd end\"");
  EXPECT_EQ(JsonQuote("cut \xe2\x82"), "\"cut \\ufffd\\ufffd\"");
  EXPECT_EQ(JsonQuote("overlong \xc0\xaf"), "\"overlong \\ufffd\\ufffd\"");
  EXPECT_EQ(JsonQuote("surrogate \xed\xa0\x80"), "\"surrogate \\ufffd\\ufffd\\ufffd\"");
}

TEST(JsonWriter, NestsWithCommasAndWritesNonFiniteAsNull) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").Int(1);
  w.Key("b").BeginArray().Number(0.5).Bool(true).Null().String("x").EndArray();
  w.Key("c").BeginObject().EndObject();
  w.Key("nan").Number(NAN);
  w.Key("inf").Number(INFINITY);
  w.EndObject();
  EXPECT_EQ(w.str(), "{\"a\":1,\"b\":[0.5,true,null,\"x\"],\"c\":{},\"nan\":null,\"inf\":null}");
}

TEST(JsonReport, ParsesAndAgreesWithTheRanking) {
  testing::Fixture f;
  f.Server({0}, 10);
  f.Counter("tunescope_netfilter_seconds_total", {{"family", "ipv4"}, {"hook", "input"}}, 0, 1.8);
  Advice advice = Advise(f.Build());
  advice.probes_down.push_back("qdisc: \"lock\" tracepoints\nmissing");
  std::string json = JsonReport(advice);
  auto parsed = host::parse_json(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error() << "\n" << json;
  const auto* tunings = parsed->get("tunings")->as_array();
  ASSERT_NE(tunings, nullptr);
  ASSERT_EQ(tunings->size(), advice.ranked.size());
  const host::JsonValue& first = (*tunings)[0];
  EXPECT_EQ(*first.get("id")->as_string(), "netfilter_unload");
  EXPECT_NEAR(*first.get("payoff_ratio")->as_number(), 0.2195, 1e-3);
  EXPECT_EQ(*first.get("rank")->as_number(), 1);
  EXPECT_NEAR(*first.get("removed_cpu_share")->as_number(), 0.18, 1e-9);
  EXPECT_EQ(*first.get("basis")->as_string(), "measured");
  EXPECT_EQ(std::get<bool>(first.get("headroom")->v), false);
  // "source" is the one-line citation, "source_url" its URL (null when none is known).
  EXPECT_EQ(first.get("source")->as_string()->rfind("Marc Richards, \"Extreme HTTP", 0), 0u);
  EXPECT_EQ(*first.get("source_url")->as_string(),
            "https://talawah.io/blog/extreme-http-performance-tuning-one-point-two-million/");
  int unsourced = 0;
  for (const host::JsonValue& t : *tunings) {
    if (*t.get("id")->as_string() != "somaxconn") continue;
    EXPECT_TRUE(t.get("source_url")->is_null());
    ++unsourced;
  }
  EXPECT_EQ(unsourced, 1);
  EXPECT_EQ(*parsed->get("probes_down")->as_array()->at(0).as_string(),
            "qdisc: \"lock\" tracepoints\nmissing");

  // The metrics carry the same ranking.
  auto families = AdviceMetrics(advice);
  bool found = false;
  for (const auto& fam : families) {
    if (fam.name != "tunescope_tuning_rank") continue;
    for (const auto& m : fam.metric) {
      if (m.label.at(0).value == "netfilter_unload") {
        EXPECT_EQ(m.gauge.value, 1);
        found = true;
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST(TextReport, ShowsEvidencePayoffCommandRiskAndSource) {
  testing::Fixture f;
  f.Server({0}, 10);
  f.Counter("tunescope_netfilter_seconds_total", {{"family", "ipv4"}, {"hook", "input"}}, 0, 1.8);
  std::string text = TextReport(Advise(f.Build()));
  EXPECT_NE(text.find(" 1. netfilter_unload"), std::string::npos) << text;
  EXPECT_NE(text.find("+22% req/s"), std::string::npos);
  EXPECT_NE(text.find("netfilter hooks on the server's CPUs take 18% of the server's CPU time"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("iptables-save"), std::string::npos);
  EXPECT_NE(text.find("WEAKENS SECURITY"), std::string::npos);
  EXPECT_NE(text.find("source:  Marc Richards, \"Extreme HTTP Performance Tuning: 1.2M API req/s "
                      "on a 4 vCPU EC2 Instance\", talawah.io, 2021, https://talawah.io/blog/"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("claims:  +22% (nf_hook_slow was 18% of CPU)"), std::string::npos);
  EXPECT_EQ(text.find(".txt"), std::string::npos);
}

}  // namespace
}  // namespace tunescope::advisor
