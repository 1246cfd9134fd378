#include "cli/advise_flags.h"

#include "html_file.h"

namespace tunescope::cli {

void AddAdviseFlags(FlagParser& parser, AdviseOptions& o) {
  parser.Add("duration", "DURATION", "how long to measure (default 30s)",
             [&o](std::string_view v) { return ParseDurationSeconds("duration", v, o.duration); });
  parser.AddSwitch("json", "print the report as JSON", &o.json);
  AddHtmlFlag(parser, "report", o.html_path);
  AddProbeFlags(parser, o);
}

}  // namespace tunescope::cli
