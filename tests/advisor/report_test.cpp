// The reports as a person and a program read them: the /advice document written, parsed back
// and checked field by field against the Advice it came from; the
// JSON text conventions (escaping, invalid UTF-8, non-finite numbers); the terminal report.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "advisor/report.h"
#include "advisor_fixture.h"

namespace tunescope::advisor {
namespace {

using Json = nlohmann::ordered_json;

// An optional number as it must come back: null when missing, else the same double (the
// writer prints enough digits to read it back exactly).
void ExpectNumberOrNull(const Json& j, std::optional<double> want, const std::string& what) {
  if (!want) {
    EXPECT_TRUE(j.is_null()) << what << ": " << j;
  } else {
    ASSERT_TRUE(j.is_number()) << what << ": " << j;
    EXPECT_EQ(j.get<double>(), *want) << what;
  }
}

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

TEST(JsonText, StringsComeBackAsWrittenOnOneLine) {
  const std::vector<std::string> strings = {"say \"hi\"",   "C:\\path",
                                            "a\nb\tc\rd",   std::string("nul\0x", 5),
                                            "\x01\x1f\x7f", "361 \xc2\xb5s -> 292 \xce\xbcs",
                                            "\xe2\x82\xac"};
  const std::string text = JsonText(Json(strings));
  // One document per line: a reader can split a stream of them on newlines.
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  // UTF-8 stays readable in the output rather than becoming \u escapes.
  EXPECT_NE(text.find("\xc2\xb5s"), std::string::npos) << text;
  EXPECT_EQ(Json::parse(text).get<std::vector<std::string>>(), strings) << text;
}

TEST(JsonText, InvalidUtf8BecomesTheReplacementCharacterAndStillParses) {
  const std::string replacement = "\xef\xbf\xbd";  // U+FFFD
  for (const std::string bad :
       {"bad \xff end", "cut \xe2\x82", "overlong \xc0\xaf", "surrogate \xed\xa0\x80"}) {
    const std::string text = JsonText(Json{{"s", bad}});
    Json parsed;
    ASSERT_NO_THROW(parsed = Json::parse(text)) << text;
    const std::string s = parsed.at("s").get<std::string>();
    const std::string valid_prefix = bad.substr(0, bad.find(' ') + 1);
    EXPECT_EQ(s.rfind(valid_prefix, 0), 0u) << s;
    EXPECT_NE(s.find(replacement, valid_prefix.size()), std::string::npos) << s;
  }
}

// A number that could not be computed (0/0, x/0) is written as null, never as a token a JSON
// reader rejects (NaN, Infinity), so one bad figure does not make /advice unreadable.
TEST(JsonText, NonFiniteNumbersAreNull) {
  const Json parsed = Json::parse(
      JsonText({{"nan", NAN}, {"inf", INFINITY}, {"minus_inf", -INFINITY}, {"half", 0.5}}));
  EXPECT_TRUE(parsed.at("nan").is_null());
  EXPECT_TRUE(parsed.at("inf").is_null());
  EXPECT_TRUE(parsed.at("minus_inf").is_null());
  EXPECT_EQ(parsed.at("half").get<double>(), 0.5);
  EXPECT_TRUE(NumberOrNull(std::nullopt).is_null());
  EXPECT_EQ(NumberOrNull(0.25).get<double>(), 0.25);
}

TEST(JsonReport, RoundTripsEveryTuningField) {
  testing::Fixture f;
  f.Server({0}, 10);
  f.Counter("tunescope_netfilter_seconds_total", {{"family", "ipv4"}, {"hook", "input"}}, 0, 1.8);
  Advice advice = Advise(f.Build());
  advice.finished = std::chrono::system_clock::from_time_t(1796316005);
  advice.probes_up = {"netfilter", "softirq"};
  advice.probes_down.push_back("qdisc: \"lock\" tracepoints\nmissing");
  ASSERT_FALSE(advice.ranked.empty());
  advice.ranked[0].numbers.push_back({"uncomputable", NAN, "ratio"});
  // The fields no rule sets on this fixture, each on one tuning.
  ASSERT_GE(advice.ranked.size(), 3u);
  advice.ranked[1].cause_found = true;
  advice.ranked[2].latency_removed_seconds = 0.5;
  advice.ranked[2].latency_per = "connection";

  const std::string text = JsonReport(advice);
  Json doc;
  ASSERT_NO_THROW(doc = Json::parse(text)) << text;
  // The top-level keys, in a fixed order (docs/advisor.md).
  EXPECT_EQ(Keys(doc),
            (std::vector<std::string>{"finished_at", "window_seconds", "server_cpu_basis",
                                      "network_namespace", "probes_up", "probes_down", "tunings"}));
  EXPECT_EQ(doc.at("finished_at").get<std::string>(), "2026-12-03T16:40:05Z");
  EXPECT_TRUE(doc.at("network_namespace").is_null()) << "the daemon's own namespace";
  EXPECT_EQ(doc.at("window_seconds").get<double>(), advice.window_seconds);
  EXPECT_EQ(doc.at("server_cpu_basis").get<std::string>(), advice.server_cpu_basis);
  EXPECT_EQ(doc.at("probes_up").get<std::vector<std::string>>(), advice.probes_up);
  EXPECT_EQ(doc.at("probes_down").get<std::vector<std::string>>(), advice.probes_down);

  const Json& tunings = doc.at("tunings");
  ASSERT_EQ(tunings.size(), advice.ranked.size());
  for (size_t i = 0; i < advice.ranked.size(); ++i) {
    const Prediction& p = advice.ranked[i];
    const Tuning& t = *p.tuning;
    const Json& j = tunings[i];
    const std::string id(t.id);
    SCOPED_TRACE(id);
    // Every key, in the written order: scenario.py and tuning_commands.py read them by name.
    EXPECT_EQ(Keys(j), (std::vector<std::string>{"rank",
                                                 "id",
                                                 "title",
                                                 "verdict",
                                                 "applied",
                                                 "payoff_ratio",
                                                 "latency_removed_seconds",
                                                 "latency_per",
                                                 "removed_cpu_share",
                                                 "headroom",
                                                 "cause_found",
                                                 "basis",
                                                 "payoff",
                                                 "confidence",
                                                 "reason",
                                                 "numbers",
                                                 "units",
                                                 "evidence_needed",
                                                 "applied_when",
                                                 "apply",
                                                 "revert",
                                                 "risk",
                                                 "weakens_security",
                                                 "experiment",
                                                 "source",
                                                 "source_url",
                                                 "documented_gain"}));
    EXPECT_TRUE(j.at("rank").is_number_integer());
    EXPECT_EQ(j.at("rank").get<int>(), p.rank);
    EXPECT_EQ(j.at("id").get<std::string>(), id);
    EXPECT_EQ(j.at("title").get<std::string>(), t.title);
    EXPECT_EQ(j.at("verdict").get<std::string>(), to_string(p.verdict));
    EXPECT_EQ(j.at("applied").get<bool>(), p.applied());
    ExpectNumberOrNull(j.at("payoff_ratio"), p.payoff_ratio, "payoff_ratio");
    ExpectNumberOrNull(j.at("latency_removed_seconds"), p.latency_removed_seconds,
                       "latency_removed_seconds");
    if (p.latency_removed_seconds) {
      EXPECT_EQ(j.at("latency_per").get<std::string>(), p.latency_per);
    } else {
      EXPECT_TRUE(j.at("latency_per").is_null());
    }
    ExpectNumberOrNull(j.at("removed_cpu_share"), p.removed_share, "removed_cpu_share");
    EXPECT_EQ(j.at("headroom").get<bool>(), p.headroom);
    EXPECT_EQ(j.at("cause_found").get<bool>(), p.cause_found);
    EXPECT_EQ(j.at("basis").get<std::string>(), Basis(p));
    EXPECT_EQ(j.at("payoff").get<std::string>(), PayoffText(p));
    EXPECT_EQ(j.at("confidence").get<std::string>(), p.confidence);
    EXPECT_EQ(j.at("reason").get<std::string>(), p.reason);
    ASSERT_EQ(j.at("numbers").size(), p.numbers.size());
    for (const Number& n : p.numbers) {
      ExpectNumberOrNull(j.at("numbers").at(n.name),
                         std::isfinite(n.value) ? std::optional(n.value) : std::nullopt, n.name);
      EXPECT_EQ(j.at("units").at(n.name).get<std::string>(), n.unit);
    }
    EXPECT_EQ(j.at("evidence_needed").get<std::string>(), t.evidence);
    EXPECT_EQ(j.at("applied_when").get<std::string>(), t.applied_when);
    EXPECT_EQ(j.at("apply").get<std::string>(), t.apply);
    EXPECT_EQ(j.at("revert").get<std::string>(), t.revert);
    EXPECT_EQ(j.at("risk").get<std::string>(), t.risk);
    EXPECT_EQ(j.at("weakens_security").get<bool>(), t.weakens_security);
    EXPECT_EQ(j.at("experiment").get<bool>(), Experimentable(t));
    EXPECT_EQ(j.at("source").get<std::string>(), t.source.Cite());
    if (t.source.url.empty()) {
      EXPECT_TRUE(j.at("source_url").is_null());
    } else {
      EXPECT_EQ(j.at("source_url").get<std::string>(), t.source.url);
    }
    EXPECT_EQ(j.at("documented_gain").get<std::string>(), t.documented_gain);
  }
  // The fixture's cost is what ranks first, and the NaN added to it came back as null.
  EXPECT_EQ(tunings[0].at("id").get<std::string>(), "netfilter_unload");
  EXPECT_TRUE(tunings[0].at("numbers").at("uncomputable").is_null());

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
  // The latency series says what it is per: connection and timeslice seconds do not add up.
  std::vector<std::pair<std::string, std::string>> latency;
  for (const auto& fam : families) {
    if (fam.name != "tunescope_tuning_latency_removed_seconds") continue;
    for (const auto& m : fam.metric) {
      ASSERT_EQ(m.label.size(), 2u);
      EXPECT_EQ(m.label[1].name, "per");
      latency.emplace_back(m.label[0].value, m.label[1].value);
      EXPECT_EQ(m.gauge.value, 0.5);
    }
  }
  EXPECT_EQ(latency, (std::vector<std::pair<std::string, std::string>>{
                         {std::string(advice.ranked[2].tuning->id), "connection"}}));
}

double Gauge(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& fam : families) {
    if (fam.name == name && fam.metric.size() == 1) return fam.metric[0].gauge.value;
  }
  return -1;
}

// Served advice says when its window ended: before the first one, the board's start, so that
// a daemon that never finishes a window shows advice growing old; and how often one is due.
TEST(AdviceBoard, StampsTheWindowEndAndTheInterval) {
  const double before = static_cast<double>(std::time(nullptr));
  AdviceBoard board;
  auto families = board.Collect();
  const double start = Gauge(families, "tunescope_advice_window_end_timestamp_seconds");
  EXPECT_GE(start, before);
  EXPECT_LE(start, static_cast<double>(std::time(nullptr)) + 1);
  EXPECT_EQ(Gauge(families, "tunescope_advice_interval_seconds"), -1) << "not set yet";
  board.SetInterval(120);
  testing::Fixture f;
  f.Server({0}, 10);
  Advice advice = Advise(f.Build());
  advice.finished = std::chrono::system_clock::from_time_t(1796316005);
  board.Publish(std::move(advice));
  families = board.Collect();
  EXPECT_EQ(Gauge(families, "tunescope_advice_window_end_timestamp_seconds"), 1796316005);
  EXPECT_EQ(Gauge(families, "tunescope_advice_interval_seconds"), 120);
  EXPECT_TRUE(std::any_of(families.begin(), families.end(), [](const auto& fam) {
    return fam.name == "tunescope_tuning_rank" && !fam.metric.empty();
  })) << "the ranking is there too";
}

// A listen queue's drops cost a second's retransmit per connection, a run-queue wait tens of
// microseconds per timeslice: each in its own unit, not "-697674 us/request".
TEST(PayoffText, LatencyIsScaledAndSaysWhatItIsPer) {
  Prediction p;
  p.verdict = Verdict::kMeasured;
  p.latency_removed_seconds = 0.6977;
  p.latency_per = "connection";
  EXPECT_EQ(PayoffText(p), "-698 ms/connection");
  p.latency_removed_seconds = 23e-6;
  p.latency_per = "timeslice";
  EXPECT_EQ(PayoffText(p), "-23 us/timeslice");
  p.latency_removed_seconds = 1.4e-3;
  EXPECT_EQ(PayoffText(p), "-1.4 ms/timeslice") << "tenths below 10 ms";
  p.latency_removed_seconds = 0.9996e-3;
  p.latency_per = {};
  EXPECT_EQ(PayoffText(p), "-1.0 ms") << "not -1000 us; no unit named, none printed";
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

// Per-packet times are nanoseconds: shown as such, not as "0.0 us".
TEST(TextReport, NanosecondsAreShownAsNanoseconds) {
  testing::Fixture f;
  f.Server({0}, 10);
  f.Counter("tunescope_netfilter_seconds_total", {{"family", "ipv4"}, {"hook", "input"}}, 0, 1.8);
  f.Counter("tunescope_netfilter_packets_total", {{"family", "ipv4"}, {"hook", "input"}}, 0, 3.6e7);
  const std::string text = TextReport(Advise(f.Build()));
  EXPECT_NE(text.find("netfilter_seconds_per_packet=50 ns"), std::string::npos) << text;
}

// The basis names each part taken out of it (clients' receive processing, tunescope's own
// programs, other processes): the header carries all of it, on a line of its own.
TEST(TextReport, TheHeaderCarriesTheWholeBasis) {
  testing::Fixture f;
  f.Server({0}, 10);
  Advice advice = Advise(f.Build());
  advice.server_cpu_basis =
      "busy time of CPU 0, where the target's threads ran, less 1560 ms of "
      "NET_RX processing for clients on this host, less 928.9 ms of "
      "tunescope's own programs, less 12.0 ms of other processes' run time "
      "there";
  const std::string text = TextReport(advice);
  EXPECT_NE(text.find("; server CPU = " + advice.server_cpu_basis + "\nprobes up: "),
            std::string::npos)
      << text;
}

// The header says how busy the server's CPUs were, once for the whole report: below 90% every
// payoff is CPU headroom, the tunings' without a figure too.
TEST(TextReport, TheHeaderSaysHowBusyTheServersCpusWere) {
  auto basis = [](double busy) {
    testing::Fixture f;
    f.Server({0}, busy);  // of a 10 s window
    return Advise(f.Build()).server_cpu_basis;
  };
  EXPECT_NE(basis(10).find("; busy 100% of the window"), std::string::npos) << basis(10);
  EXPECT_EQ(basis(10).find("not saturated"), std::string::npos) << basis(10);
  EXPECT_NE(basis(5).find("; busy 50% of the window, not saturated: payoffs are CPU headroom"),
            std::string::npos)
      << basis(5);
  EXPECT_NE(basis(8.96).find("; busy 89% of the window, not saturated"), std::string::npos)
      << "rounded down, never 90% beside not saturated: " << basis(8.96);
}

// A load generator on this host that saturates its CPU while the server's idles sets the pace:
// the header says where the clients ran and how busy that was.
TEST(TextReport, TheHeaderSaysWhereTheLocalClientsRanAndHowBusy) {
  auto basis = [](double server_busy, std::vector<int> client_cpus,
                  std::vector<host::ProcessInfo> clients = {{4242, "wrk"}}) {
    testing::Fixture f;
    f.Server({0}, server_busy, 9.8);  // the other CPUs of 4 are 98% busy
    f.after.target_clients = host::LocalClients{std::move(clients), std::move(client_cpus)};
    return Advise(f.Build()).server_cpu_basis;
  };
  EXPECT_NE(basis(7.3, {1}).find("; busy 73% of the window, not saturated: payoffs are CPU "
                                 "headroom; its clients on this host (wrk[4242]) last ran on CPU "
                                 "1, busy 98%: that CPU, not the server's, sets the pace"),
            std::string::npos)
      << basis(7.3, {1});
  // A saturated server is its own limit.
  EXPECT_NE(basis(10, {1}).find("(wrk[4242]) last ran on CPU 1, busy 98%"), std::string::npos);
  EXPECT_EQ(basis(10, {1}).find("set the pace"), std::string::npos) << basis(10, {1});
  // Several CPUs and clients: a range, their mean, three named and a count of the rest.
  const std::string many =
      basis(7.3, {1, 2, 3}, {{11, "wrk"}, {12, "wrk"}, {13, "envoy"}, {14, "curl"}, {15, "curl"}});
  EXPECT_NE(many.find("(wrk[11], wrk[12], envoy[13] and 2 more) last ran on CPU 1-3, busy 98%: "
                      "those CPUs, not the server's, set the pace"),
            std::string::npos)
      << many;
  // On the server's own CPU their time cannot be told from the server's, nor on a CPU the
  // window did not account: nothing said.
  EXPECT_EQ(basis(7.3, {0, 1}).find("clients"), std::string::npos) << basis(7.3, {0, 1});
  EXPECT_EQ(basis(7.3, {1, 7}).find("clients"), std::string::npos) << basis(7.3, {1, 7});
}

// Without ptrace access to the server, its namespace link cannot be read: the report says
// the namespace is unknown and which facts are whose, rather than nothing.
TEST(TextReport, AnUnreadableNamespaceIsReportedAsUnknown) {
  testing::Fixture f;
  f.Server({0}, 10);
  f.after.netns_unknown = "/proc/4242/ns/net: Permission denied";
  const Advice advice = Advise(f.Build());
  EXPECT_EQ(advice.network_namespace.rfind("unknown (/proc/4242/ns/net: Permission denied)", 0), 0u)
      << advice.network_namespace;
  EXPECT_FALSE(advice.netns_pid);
  EXPECT_NE(TextReport(advice).find("server's network namespace: unknown ("), std::string::npos);
}

TEST(TextReport, ATargetInAContainerIsTriedInItsNamespace) {
  testing::Fixture f;
  f.Server({0}, 10);
  f.Sysctl("net.core.somaxconn", "128");  // drops at a full listen queue: somaxconn measured
  f.Tcp(&host::TcpCounters::listen_drops, 10, 110);
  f.Tcp(&host::TcpCounters::passive_opens, 0, 1000);
  host::PortListeners l;
  l.port = 8080;
  host::TcpSocket listener;
  listener.local_port = 8080;
  listener.state = 0x0A;
  l.listeners.push_back(listener);
  f.after.target_listeners = l;
  f.before.target_netns = f.after.target_netns =
      host::TargetNetns{4242, "net:[4026532400]", true, {}};
  const Advice advice = Advise(f.Build());
  EXPECT_EQ(advice.netns_pid, 4242);
  const std::string text = TextReport(advice);
  EXPECT_NE(text.find("server's network namespace: net:[4026532400] (pid 4242)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("try:     nsenter --net=/proc/4242/ns/net tunescope experiment --tuning "),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace tunescope::advisor
