// Flags of `tunescope advise`: the probe flags plus how long to measure and how to report.
#pragma once

#include <string>

#include "cli/probe_flags.h"
#include "core/flag_parser.h"

namespace tunescope::cli {

struct AdviseOptions : ProbeOptions {
  double duration = 30;   // seconds measured
  bool json = false;      // --json: the report as JSON instead of text
  std::string html_path;  // --html: also write the HTML report there
};

void AddAdviseFlags(FlagParser& parser, AdviseOptions& options);

}  // namespace tunescope::cli
