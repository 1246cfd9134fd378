// The catalogue table: complete (every step of the talawah.io ladder), well-formed, and safe
// (tunings that weaken security are never experimentable).
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "advisor/catalogue.h"

namespace tunescope::advisor {
namespace {

TEST(Catalogue, IdsAreUniqueBoundedLabelValues) {
  std::set<std::string_view> ids;
  std::regex label("^[a-z][a-z0-9_]{1,31}$");
  for (const Tuning& t : Catalogue()) {
    EXPECT_TRUE(ids.insert(t.id).second) << "duplicate " << t.id;
    EXPECT_TRUE(std::regex_match(std::string(t.id), label)) << t.id;
    EXPECT_EQ(FindTuning(t.id), &t);
  }
  EXPECT_EQ(FindTuning("no_such_tuning"), nullptr);
}

TEST(Catalogue, EveryEntryIsComplete) {
  for (const Tuning& t : Catalogue()) {
    EXPECT_FALSE(t.source.title.empty()) << t.id;
    EXPECT_FALSE(t.source.short_name.empty()) << t.id;
    EXPECT_FALSE(t.title.empty()) << t.id;
    EXPECT_FALSE(t.documented_gain.empty()) << t.id;
    EXPECT_FALSE(t.evidence.empty()) << t.id;
    EXPECT_FALSE(t.applied_when.empty()) << t.id;
    EXPECT_FALSE(t.apply.empty()) << t.id;
    EXPECT_FALSE(t.revert.empty()) << t.id;
    EXPECT_FALSE(t.risk.empty()) << t.id;
    EXPECT_NE(t.rule, nullptr) << t.id;
    if (t.experiment == ExperimentKind::kSysctl) {
      EXPECT_FALSE(t.sysctls.empty()) << t.id;
    }
  }
}

TEST(Catalogue, EveryStepOfTheTalawahLadderIsThere) {
  for (const char* id : {"app_code", "mitigations_off", "audit_seccomp_off", "netfilter_unload",
                         "irq_affinity", "reuseport_cbpf", "xps", "busy_poll", "adaptive_rx",
                         "no_packet_sockets", "noqueue_qdisc", "gro_off", "tcp_cc_reno"}) {
    const Tuning* t = FindTuning(id);
    ASSERT_NE(t, nullptr) << id;
    EXPECT_EQ(t->source.publisher, "talawah.io") << id;
    EXPECT_EQ(t->source.Cite(),
              "Marc Richards, \"Extreme HTTP Performance Tuning: 1.2M API req/s on a 4 vCPU EC2 "
              "Instance\", talawah.io, 2021, "
              "https://talawah.io/blog/extreme-http-performance-tuning-one-point-two-million/")
        << id;
  }
}

// Users see published citations, never the names of our copies of the texts.
TEST(Catalogue, SourcesAreCitedAsPublished) {
  std::regex file_name("[0-9a-f]{16}\\.txt|\\bseed\\b|\\b00[0-4]\\b");
  std::set<std::string> citations;
  for (const Tuning& t : Catalogue()) {
    std::string cite = t.source.Cite();
    citations.insert(cite);
    EXPECT_EQ(std::string(t.source), t.source.short_name) << t.id;
    EXPECT_EQ(cite.find("no URL known") != std::string::npos, t.source.url.empty()) << cite;
    for (std::string text : {cite, std::string(t.documented_gain), std::string(t.risk)}) {
      EXPECT_FALSE(std::regex_search(text, file_name)) << t.id << ": " << text;
    }
  }
  EXPECT_EQ(citations.size(), 4u);
  const Tuning* rps = FindTuning("rps_rfs");
  ASSERT_NE(rps, nullptr);
  EXPECT_EQ(rps->source.Cite(),
            "Alexey Ivanov (Dropbox Traffic Team), \"Optimizing web servers for high throughput "
            "and low latency\", Dropbox Tech Blog, 2017, https://blogs.dropbox.com/tech/2017/09/"
            "optimizing-web-servers-for-high-throughput-and-low-latency/");
  const Tuning* somaxconn = FindTuning("somaxconn");
  ASSERT_NE(somaxconn, nullptr);
  EXPECT_EQ(somaxconn->source.Cite(),
            "\"API latency/throughput tuning guide\", no URL known (author unknown; its figures "
            "are unsourced)");
}

TEST(Catalogue, SecurityWeakeningTuningsSaySoAndAreNeverExperimentable) {
  for (const char* id : {"mitigations_off", "audit_seccomp_off", "netfilter_unload"}) {
    const Tuning* t = FindTuning(id);
    ASSERT_NE(t, nullptr);
    EXPECT_TRUE(t->weakens_security) << id;
    EXPECT_FALSE(Experimentable(*t)) << id;
    EXPECT_TRUE(t->risk.starts_with("WEAKENS SECURITY")) << id;
  }
  for (const Tuning& t : Catalogue()) {
    if (t.weakens_security) {
      EXPECT_FALSE(Experimentable(t)) << t.id;
    }
  }
}

// A server in a container has its own somaxconn and net.ipv4.*: trying those runs in its
// namespace. Host-wide sysctls and RPS masks are tried where tunescope runs.
TEST(Catalogue, ExperimentCommandEntersTheServersNamespaceOnlyForItsOwnSysctls) {
  const std::string plain =
      "tunescope experiment --tuning somaxconn --load \"YOUR LOAD COMMAND\" --yes";
  EXPECT_EQ(ExperimentCommand(*FindTuning("somaxconn"), std::nullopt), plain);
  EXPECT_EQ(ExperimentCommand(*FindTuning("somaxconn"), 4242),
            "nsenter --net=/proc/4242/ns/net " + plain);
  EXPECT_EQ(ExperimentCommand(*FindTuning("tcp_tw_reuse"), 4242).rfind("nsenter", 0), 0u);
  for (const char* id : {"busy_poll", "rps_rfs"}) {
    EXPECT_EQ(ExperimentCommand(*FindTuning(id), 4242).rfind("tunescope experiment --tuning ", 0),
              0u)
        << id;
  }
}

}  // namespace
}  // namespace tunescope::advisor
