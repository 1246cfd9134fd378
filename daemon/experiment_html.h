// `tunescope experiment --html FILE`: the experiment as one self-contained HTML page: the
// setting tried, the prediction, each round's req/s and server CPU share as charts (the A
// rounds beside the B rounds, and the prediction's load with the probes attached), predicted
// beside realized, and the prediction window's CPU split and distributions.
#pragma once

#include <string>

#include "advisor/html_figures.h"
#include "experiment_report.h"

namespace tunescope::experiment {

// `figures` are those of the prediction window (probes attached, original setting).
std::string HtmlReport(const Report& r, const advisor::html::Figures& figures);

}  // namespace tunescope::experiment
