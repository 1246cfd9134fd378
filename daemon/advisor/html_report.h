// `tunescope advise --html FILE`: one self-contained HTML page (inline CSS and SVG, no script,
// nothing fetched: a Content-Security-Policy forbids it) with the ranked tunings and the charts
// a person takes in faster than numbers: where the server's CPU time went and the run-queue and
// request-latency distributions. The building blocks are shared with the experiment's page
// (experiment_html.h). Every text from outside (reasons, commands, device names) is escaped.
#pragma once

#include <string>

#include "advisor/advisor.h"
#include "advisor/html_figures.h"
#include "advisor/html_page.h"

namespace tunescope::advisor::html {

std::string HtmlReport(const Advice& advice, const Figures& figures);

}  // namespace tunescope::advisor::html
