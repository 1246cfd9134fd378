// The shared start of `advise`, `experiment` and serve's /advice: start the probes the flags
// ask for (or none when the kernel has no BTF: host-fact rules still work), and describe the
// target for measuring windows.
#pragma once

#include <memory>
#include <string>

#include "advisor/advisor.h"
#include "cli/probe_flags.h"
#include "probes/probe_set.h"

namespace tunescope::advisor {

// Starts the probes of `options`; when kernel BTF is missing, returns an empty set and says
// why in `warning`.
std::shared_ptr<probes::ProbeSet> StartProbes(const cli::ProbeOptions& options,
                                              std::string& warning);

MeasureSources SourcesFor(const cli::ProbeOptions& options,
                          std::shared_ptr<const probes::ProbeSet> probe_set);

// Fills advice.probes_up / probes_down from the set's statuses.
void NoteProbes(Advice& advice, const probes::ProbeSet& probe_set);

}  // namespace tunescope::advisor
