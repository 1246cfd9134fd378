// The catalogue of documented tunings: one declarative entry per tuning, with the published
// text it comes from (docs/sources.md), its documented gain, the evidence it needs, how to tell
// it is applied, the commands to apply and revert it, its risk, and the rule that turns
// evidence into a prediction. Adding a tuning = one entry in catalogue_ladder.cpp (001's
// ladder) or catalogue_more.cpp plus its rule in a rules_*.cpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/evidence.h"

namespace tunescope::advisor {

// How a rule judged a tuning; ranks in this order, best first.
enum class Verdict {
  kMeasured,       // payoff predicted from numbers measured on this host
  kDocumented,     // applicable here, but the payoff is the source's number, not measured
  kNotMeasured,    // cannot be judged here (a probe, a target or a fact is missing)
  kNotApplicable,  // the measurements show nothing to gain
  kApplied,        // already in place
};
std::string_view to_string(Verdict v);

struct Number {
  std::string name;
  double value = 0;
  std::string unit;  // "s", "ratio", "count", "/s", ...
};

struct Tuning;

struct Prediction {
  const Tuning* tuning = nullptr;
  Verdict verdict = Verdict::kNotMeasured;
  // Throughput: s / (1 - s) for a removed CPU share s of a saturated server.
  std::optional<double> payoff_ratio;
  // Latency rules: the latency the tuning is predicted to remove, per `latency_per` (a
  // connection attempt, a timeslice; a rule that sets the one sets the other).
  std::optional<double> latency_removed_seconds;
  std::string_view latency_per;
  // Share of the server's CPU time the tuning removes, when the prediction is one.
  std::optional<double> removed_share;
  // The server's CPUs were not saturated: the payoff is CPU headroom (CPU saved per request),
  // not more req/s now.
  bool headroom = false;
  // Documented, and what the tuning fixes was found on this host (RPS steering the server's
  // packets away from it), though its payoff is not predicted: it ranks before documented
  // figures that only apply here.
  bool cause_found = false;
  std::string confidence = "none";  // high, medium, low, none
  std::vector<Number> numbers;      // what the prediction was computed from
  std::string reason;               // one line: the evidence and the prediction, or why not
  int rank = 0;                     // 1 = do this first
  bool applied() const { return verdict == Verdict::kApplied; }
};

// Settings an experiment can change and restore exactly (the original text is written back).
struct SysctlSetting {
  std::string_view name;
  std::string_view value;
};
enum class ExperimentKind {
  kNone,     // not automated: manual, not reversible, or weakens security
  kSysctl,   // writes `sysctls`
  kRpsMask,  // rps_cpus of every rx queue of the devices that carry traffic := all CPUs
};

// A published text a tuning comes from, cited as people cite it. Empty fields are unknown.
struct Source {
  std::string_view author;     // person and/or team
  std::string_view title;      // as published, or a description in brackets when untitled
  std::string_view publisher;  // site or blog
  int year = 0;
  std::string_view url;
  std::string_view caveat;      // what a reader must know to weigh its figures
  std::string_view short_name;  // for running text: "talawah.io 2021"

  // One line: author, "title", publisher, year, URL (or "no URL known"), caveat.
  std::string Cite() const;
  // The short name, so that reasons can write std::string(t.source).
  explicit operator std::string() const { return std::string(short_name); }
};

// Written with designated initialisers (catalogue_ladder.cpp, catalogue_more.cpp). Only the fields
// most tunings leave unset have defaults; every other field, weakens_security included, must be
// written in each entry (-Wmissing-field-initializers fails the build otherwise), so that no tuning
// weakens security, or fails to, by omission.
struct Tuning {
  std::string_view id;               // metric label value; [a-z0-9_]
  std::string_view title;            // imperative, short
  Source source;                     // where it is documented
  std::string_view documented_gain;  // as the source states it
  // The source's throughput gain, when it gives one.
  std::optional<double> documented_ratio = std::nullopt;
  bool latency = false;           // ranked by latency removed rather than throughput
  std::string_view evidence;      // what the rule reads
  std::string_view applied_when;  // how the rule tells it is already applied
  std::string_view apply;         // commands
  std::string_view revert;
  std::string_view risk;
  bool weakens_security;
  ExperimentKind experiment = ExperimentKind::kNone;
  std::vector<SysctlSetting> sysctls = {};  // for kSysctl
  Prediction (*rule)(const Tuning&, const Evidence&);
};

std::span<const Tuning> Catalogue();
const Tuning* FindTuning(std::string_view id);

// Experiments only run tunings that are reversible and do not weaken security.
bool Experimentable(const Tuning& t);
// The `experiment` command that tries `t`. For a server in another network namespace (the
// pid of one of its processes) and a tuning of that namespace's own sysctls, it runs there.
std::string ExperimentCommand(const Tuning& t, std::optional<int> netns_pid);

}  // namespace tunescope::advisor
