// Flags of `tunescope experiment`: the probe flags plus the tuning to try, the load that
// measures it and the rounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/probe_flags.h"
#include "core/flag_parser.h"

namespace tunescope::cli {

struct ExperimentOptions : ProbeOptions {
  std::string tuning_id;                 // --tuning: a catalogue id
  std::string load;                      // --load: shell command that loads the server
  double duration = 20;                  // seconds the prediction measures
  std::optional<double> round_duration;  // seconds per round (default: duration)
  uint64_t pairs = 3;                    // --rounds: pairs of original and tuned rounds
  bool keep = false;                     // --keep: leave the tuning applied
  bool yes = false;                      // --yes: consent to changing kernel settings
  bool json = false;
  std::string html_path;
};

void AddExperimentFlags(FlagParser& parser, ExperimentOptions& options);

}  // namespace tunescope::cli
