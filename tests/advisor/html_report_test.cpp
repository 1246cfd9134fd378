// The HTML reports of `advise --html` and `experiment --html`: text is escaped, the figures are
// read off the evidence as documented, each section is there for the data it is given and says
// why when the data is missing, and the page fetches nothing. The browser test
// (tests/e2e/html_report_browser_test.sh) renders a real run's page in Chromium.
#include "advisor/html_report.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "advisor/advisor.h"
#include "advisor_fixture.h"
#include "experiment_html.h"
#include "html_file.h"

namespace tunescope::advisor {
namespace {

using html::Escape;
using html::FiguresOf;
using testing::Fixture;

size_t Count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Every element the renderer opens is closed: a cheap well-formedness check of its own tags.
void ExpectBalanced(const std::string& page) {
  for (std::string_view tag : {"section", "svg", "article", "table", "dl", "h2", "h3", "p"}) {
    std::string open = "<" + std::string(tag), close = "</" + std::string(tag) + ">";
    // "<p" also starts "<path"; the renderer draws no paths, so this counts paragraphs.
    EXPECT_EQ(Count(page, open + ">") + Count(page, open + " "), Count(page, close)) << tag;
  }
}

// Nothing the browser would fetch or run: no script, no external style sheet, no src= at all.
void ExpectSelfContained(const std::string& page) {
  EXPECT_EQ(Count(page, "<script"), 0u);
  EXPECT_EQ(Count(page, "src="), 0u);
  EXPECT_EQ(Count(page, "stylesheet"), 0u);
  EXPECT_EQ(Count(page, "@import"), 0u);
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
}

// A 10 s window on CPU 0 of a 4-CPU host: 8 s busy, the target 5 s; softirq 1 s there (0.5 s
// of it the netfilter input hook), netfilter output 0.5 s, qdisc 1 s; CPU 1's costs are not
// the server's.
Fixture ServerFixture() {
  Fixture f;
  f.Server({0}, 8);
  f.cpu.target_cpu_seconds = 5;
  f.cpu.target_run_seconds = 5;
  f.cpu.target_wait_seconds = 2.5;
  f.Counter("tunescope_softirq_seconds_total", {{"cpu", "0"}, {"vector", "net_rx"}}, 0, 1);
  f.Counter("tunescope_softirq_seconds_total", {{"cpu", "1"}, {"vector", "net_rx"}}, 0, 3);
  f.Counter("tunescope_netfilter_seconds_total",
            {{"cpu", "0"}, {"family", "ipv4"}, {"hook", "input"}}, 0, 0.5);
  f.Counter("tunescope_netfilter_seconds_total",
            {{"cpu", "0"}, {"family", "ipv4"}, {"hook", "output"}}, 0, 0.5);
  f.Counter("tunescope_qdisc_seconds_total", {{"cpu", "0"}, {"device", "lo"}}, 0, 1);
  f.Histogram("tunescope_runqueue_latency_seconds", 64e-6, 1000, 0.03);
  return f;
}

double PartOf(const html::CpuSplit& c, std::string_view name) {
  for (const html::Part& p : c.parts) {
    if (p.name == name) return p.value;
  }
  ADD_FAILURE() << "no part " << name;
  return NAN;
}

TEST(HtmlReport, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(Escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(Escape("plain text 123"), "plain text 123");
  EXPECT_EQ(Escape(""), "");
}

TEST(HtmlReport, CpuSplitSeparatesOverlapsAndAddsUpToTheCapacity) {
  Evidence e = ServerFixture().Build();
  html::Figures f = FiguresOf(e);
  ASSERT_TRUE(f.cpu.has_value());
  const html::CpuSplit& c = *f.cpu;
  EXPECT_DOUBLE_EQ(c.capacity, 10);
  EXPECT_DOUBLE_EQ(PartOf(c, "netfilter"), 1);
  EXPECT_DOUBLE_EQ(PartOf(c, "qdisc (transmit path)"), 1);
  // The input hook ran inside NET_RX: counted once, as netfilter.
  EXPECT_DOUBLE_EQ(PartOf(c, "softirq"), 0.5);
  // The target's 5 s less the transmit work counted apart (output hook 0.5 s, qdisc 1 s).
  EXPECT_DOUBLE_EQ(PartOf(c, "server's threads"), 3.5);
  EXPECT_DOUBLE_EQ(PartOf(c, "other tasks and kernel"), 2);
  EXPECT_DOUBLE_EQ(PartOf(c, "idle"), 2);
  double sum = 0;
  for (const html::Part& p : c.parts) sum += p.value;
  EXPECT_DOUBLE_EQ(sum, c.capacity);
  EXPECT_EQ(c.target_wait_seconds, 2.5);
}

TEST(HtmlReport, CpuPartsNeverExceedTheBusyTime) {
  Fixture fx = ServerFixture();
  // Costs that add up to more than the CPU was busy (overlaps the split cannot see).
  fx.Counter("tunescope_qdisc_seconds_total", {{"cpu", "0"}, {"device", "eth0"}}, 0, 20);
  html::Figures f = FiguresOf(fx.Build());
  ASSERT_TRUE(f.cpu.has_value());
  double busy = 0;
  for (const html::Part& p : f.cpu->parts) {
    EXPECT_GE(p.value, 0) << p.name;
    if (p.name != "idle") busy += p.value;
  }
  EXPECT_DOUBLE_EQ(busy, 8);
}

TEST(HtmlReport, DistributionsShowWhatWasMeasuredAndSayWhyTheRestIsNot) {
  html::Figures f = FiguresOf(ServerFixture().Build());
  ASSERT_EQ(f.distributions.size(), 1u);
  const html::Distribution& d = f.distributions[0];
  EXPECT_EQ(d.title, "Run-queue wait, all CPUs");
  EXPECT_EQ(d.count, 1000);
  EXPECT_EQ(d.p50, 64e-6);
  EXPECT_EQ(d.p99, 64e-6);
  double in_buckets = 0;
  for (const auto& b : d.buckets) in_buckets += b.count;
  EXPECT_EQ(in_buckets, 1000);
  std::string missing;
  for (const auto& s : f.not_shown) missing += s + "\n";
  EXPECT_NE(missing.find("Request latency: not measured: needs --target-port"), std::string::npos)
      << missing;
  EXPECT_NE(missing.find("the server's threads: not measured: needs --target-pid"),
            std::string::npos)
      << missing;
}

Advice SomeAdvice(const Evidence& e) {
  Advice a = Advise(e);
  a.probes_up = {"softirq (tp_btf)", "runqlat (sched_info)"};
  a.probes_down = {"qdisc: not named in --probes"};
  return a;
}

TEST(HtmlReport, AdvicePageHasEverySectionAndEveryTuning) {
  Evidence e = ServerFixture().Build();
  Advice a = SomeAdvice(e);
  std::string page = html::HtmlReport(a, FiguresOf(e));
  for (std::string_view id :
       {"id=\"payoffs\"", "id=\"cpu\"", "id=\"distributions\"", "id=\"tunings\"", "id=\"tail\""}) {
    EXPECT_NE(page.find(id), std::string::npos) << id;
  }
  for (const Prediction& p : a.ranked) {
    EXPECT_NE(page.find("id=\"tuning-" + std::string(p.tuning->id) + "\""), std::string::npos)
        << p.tuning->id;
  }
  // The charts: payoffs (when any tuning has one), the CPU split, one histogram.
  EXPECT_GE(Count(page, "<svg"), 2u);
  EXPECT_NE(page.find("Run-queue wait, all CPUs"), std::string::npos);
  EXPECT_NE(page.find("waiting (run-queue)"), std::string::npos);
  EXPECT_NE(page.find("qdisc: not named in --probes"), std::string::npos);
  // Sources are cited with their URL as a link, not fetched.
  EXPECT_NE(page.find("href=\"https://talawah.io/"), std::string::npos);
  ExpectSelfContained(page);
  ExpectBalanced(page);
}

TEST(HtmlReport, TextFromTheHostIsEscapedEverywhere) {
  Evidence e = ServerFixture().Build();
  Advice a = SomeAdvice(e);
  ASSERT_FALSE(a.ranked.empty());
  const std::string evil = "<script>alert('x')</script>";
  a.ranked[0].reason = "device " + evil;
  a.ranked[0].numbers.push_back({"dev_" + evil, 1, "count"});
  a.server_cpu_basis = evil;
  a.probes_down = {evil};
  html::Figures f = FiguresOf(e);
  f.not_shown.push_back(evil);
  std::string page = html::HtmlReport(a, f);
  EXPECT_EQ(Count(page, "<script"), 0u);
  EXPECT_EQ(Count(page, Escape(evil)), 5u);
}

TEST(HtmlReport, WithoutMeasurementsThePageSaysSo) {
  Fixture fx;  // nothing read: no CPU accounting, no probe families
  Evidence e = fx.Build();
  Advice a = Advise(e);
  html::Figures f = FiguresOf(e);
  EXPECT_FALSE(f.cpu.has_value());
  EXPECT_TRUE(f.distributions.empty());
  std::string page = html::HtmlReport(a, f);
  EXPECT_NE(page.find("Not shown: the CPUs' busy time was not read"), std::string::npos);
  EXPECT_NE(page.find("Run-queue wait, all CPUs: not measured: probe runqlat is not running"),
            std::string::npos);
  ExpectSelfContained(page);
  ExpectBalanced(page);
}

experiment::RoundMeasure Round(int n, experiment::Variant v, double rate, double busy) {
  experiment::RoundMeasure m;
  m.round = n;
  m.variant = v;
  m.seconds = 5;
  m.rate = rate;
  m.server_cpus = 1;
  m.server_busy_seconds = busy;
  m.target_cpu_seconds = busy / 2;
  m.others_seconds = 0.25;
  return m;
}

TEST(HtmlReport, ExperimentPageShowsEachRoundAndPredictedBesideRealized) {
  using experiment::Variant;
  Evidence e = ServerFixture().Build();
  experiment::Report r;
  r.tuning = FindTuning("tcp_cc_reno");
  ASSERT_NE(r.tuning, nullptr);
  r.settings = {{"net.ipv4.tcp_congestion_control", "/proc/sys/net/ipv4/tcp_congestion_control",
                 "cubic", "reno"}};
  r.prediction_seconds = 5;
  r.round_seconds = 5;
  r.server_cpus = {0};
  r.server_cpus_basis = "the CPUs the target's threads ran on while predicting";
  r.while_predicting = Round(0, Variant::kOriginal, 30000.5, 5);
  r.rounds = {Round(1, Variant::kOriginal, 40000.25, 5), Round(2, Variant::kTuned, 41000.75, 5),
              Round(3, Variant::kTuned, 42000.5, 4.5), Round(4, Variant::kOriginal, 39000, 5)};
  r.realized = experiment::Summarize(r.rounds);
  r.outcome = "reverted";
  std::string page = experiment::HtmlReport(r, FiguresOf(e));
  for (std::string_view want :
       {"id=\"rounds\"", "id=\"realized\"", "id=\"cpu\"", "id=\"distributions\"", "1 A original",
        "2 B tuned", "3 B tuned", "4 A original", "- A probes", "30000.5", "40000.2", "41000.8",
        "42000.5", "39000.0", "cubic &rarr; reno", "reverted", "req/s per round",
        "Server CPUs' time per round"}) {
    EXPECT_NE(page.find(want), std::string::npos) << want;
  }
  // The realized payoff, as the text report computes it.
  ASSERT_TRUE(r.realized.payoff.has_value());
  char realized[32];
  std::snprintf(realized, sizeof(realized), "%+.1f%%", *r.realized.payoff * 100);
  EXPECT_NE(page.find(realized), std::string::npos) << realized;
  // Two charts of the rounds and the prediction window's CPU split and histogram.
  EXPECT_GE(Count(page, "<svg"), 4u);
  ExpectSelfContained(page);
  ExpectBalanced(page);
}

std::string TempDir() {
  char tmpl[] = "/tmp/tunescope-html-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  return dir != nullptr ? dir : "";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(HtmlFile, FlagValueMustBeAFileName) {
  EXPECT_FALSE(CheckHtmlPath("").ok());
  EXPECT_EQ(CheckHtmlPath("--json").error(), "flag --html: needs a file name, got \"--json\"");
  EXPECT_TRUE(CheckHtmlPath("report.html").ok());
}

TEST(HtmlFile, UnwritablePathsFailAtOpenWithTheReason) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  HtmlFile missing_dir;
  Status s = missing_dir.Open(dir + "/no/such/dir/report.html");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("cannot write: No such file or directory"), std::string::npos)
      << s.error();
  HtmlFile a_dir;
  s = a_dir.Open(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("Is a directory"), std::string::npos) << s.error();
  ::rmdir(dir.c_str());
}

TEST(HtmlFile, WritesReplaceTheContentAndAnUnwrittenNewFileIsRemoved) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  const std::string path = dir + "/report.html";
  {
    HtmlFile f;
    ASSERT_TRUE(f.Open(path).ok());
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  }
  // Created but never written (the run failed): gone.
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  {
    std::ofstream(path) << "an older, longer report that must not survive";
    HtmlFile f;
    ASSERT_TRUE(f.Open(path).ok());
    ASSERT_TRUE(f.Write("<p>new</p>").ok());
  }
  EXPECT_EQ(ReadAll(path), "<p>new</p>");
  {
    // An existing file that was not written stays as it was.
    HtmlFile f;
    ASSERT_TRUE(f.Open(path).ok());
  }
  EXPECT_EQ(ReadAll(path), "<p>new</p>");
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace tunescope::advisor
