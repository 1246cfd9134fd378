#include "cli/experiment_flags.h"

#include "advisor/catalogue.h"
#include "html_file.h"

namespace tunescope::cli {

void AddExperimentFlags(FlagParser& parser, ExperimentOptions& o) {
  parser.Add("tuning", "ID", "the catalogue id of the tuning to try (see tunescope advise)",
             [&o](std::string_view v) {
               if (advisor::FindTuning(v) == nullptr) {
                 return Status::Error("flag --tuning: unknown tuning \"" + std::string(v) + "\"");
               }
               o.tuning_id = std::string(v);
               return Status();
             });
  parser.Add("load", "CMD", "shell command that loads the server (e.g. wrk -d 1h ...)",
             [&o](std::string_view v) {
               if (v.empty()) return Status::Error("flag --load: empty command");
               o.load = std::string(v);
               return Status();
             });
  parser.Add("duration", "DURATION",
             "how long the prediction measures, probes attached (default 20s)",
             [&o](std::string_view v) { return ParseDurationSeconds("duration", v, o.duration); });
  parser.Add("rounds", "N", "pairs of rounds, one original and one tuned each (default 3, 1-50)",
             [&o](std::string_view v) { return ParseUint("rounds", v, 1, 50, o.pairs); });
  parser.Add("round-duration", "DURATION",
             "how long each round runs the load (default: --duration)", [&o](std::string_view v) {
               double d = 0;
               Status s = ParseDurationSeconds("round-duration", v, d);
               if (s.ok()) o.round_duration = d;
               return s;
             });
  parser.AddSwitch("keep", "keep the tuning applied afterwards", &o.keep);
  parser.AddSwitch("json", "print the result as JSON", &o.json);
  parser.AddSwitch("yes", "confirm that the experiment may change kernel settings", &o.yes);
  AddHtmlFlag(parser, "result", o.html_path);
  AddProbeFlags(parser, o);
}

}  // namespace tunescope::cli
