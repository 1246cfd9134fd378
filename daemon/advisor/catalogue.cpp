#include "advisor/catalogue.h"

#include "advisor/catalogue_table.h"

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

}  // namespace tunescope::advisor
