#include "advisor/catalogue.h"

#include <algorithm>

#include "advisor/catalogue_table.h"
#include "host/sysctl.h"

namespace tunescope::advisor {
namespace {

const std::vector<Tuning>& Table() {
  static const std::vector<Tuning> table = [] {
    std::vector<Tuning> rows = LadderTunings();
    for (Tuning& t : MoreTunings()) rows.push_back(std::move(t));
    return rows;
  }();
  return table;
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kMeasured:
      return "measured";
    case Verdict::kDocumented:
      return "documented";
    case Verdict::kNotMeasured:
      return "not_measured";
    case Verdict::kNotApplicable:
      return "not_applicable";
    case Verdict::kApplied:
      return "applied";
  }
  return "unknown";
}

std::span<const Tuning> Catalogue() {
  return Table();
}

const Tuning* FindTuning(std::string_view id) {
  for (const Tuning& t : Table()) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

bool Experimentable(const Tuning& t) {
  return !t.weakens_security && t.experiment != ExperimentKind::kNone;
}

std::string ExperimentCommand(const Tuning& t, std::optional<int> netns_pid) {
  std::string cmd =
      "tunescope experiment --tuning " + std::string(t.id) + " --load \"YOUR LOAD COMMAND\" --yes";
  const bool per_netns = std::any_of(t.sysctls.begin(), t.sysctls.end(),
                                     [](const auto& s) { return host::PerNetnsSysctl(s.name); });
  if (!netns_pid || !per_netns) return cmd;
  return "nsenter --net=/proc/" + std::to_string(*netns_pid) + "/ns/net " + cmd;
}

}  // namespace tunescope::advisor
