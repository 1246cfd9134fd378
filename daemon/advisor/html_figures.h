// The figures of the HTML reports read off a window's evidence: where the server's CPU time
// went and the run-queue and request-latency distributions, and the page sections drawing them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisor/evidence.h"
#include "advisor/html_page.h"

namespace tunescope::advisor::html {

// Where the server's CPUs' time went over the window (seconds; the parts add up to capacity).
struct CpuSplit {
  std::string basis;    // which CPUs, and why those
  double capacity = 0;  // window x number of those CPUs
  std::vector<Part> parts;
  // The target's threads: time running and time runnable but waiting for a CPU (schedstat).
  std::optional<double> target_run_seconds, target_wait_seconds;
  double probe_seconds = 0;  // tunescope's own programs on those CPUs, within the busy time
};

// A histogram's counts per bucket over the window.
struct Distribution {
  std::string title;
  std::string what;  // one line: what it counts
  struct Bucket {
    double le = 0;  // upper bound in seconds (+inf for the last)
    double count = 0;
  };
  std::vector<Bucket> buckets;  // not cumulative
  double count = 0;
  std::optional<double> p50, p99;  // upper bounds of the buckets holding them
};

struct Figures {
  std::optional<CpuSplit> cpu;
  std::vector<Distribution> distributions;  // the measured ones
  std::vector<std::string> not_shown;       // "request latency: ...": why a chart is missing
};

// Reads the figures off a window's evidence.
Figures FiguresOf(const Evidence& e);

// The sections of both pages: the CPU split and the distributions, or why they are missing.
std::string CpuSection(const Figures& f, std::string_view heading);
std::string DistributionSection(const Figures& f, std::string_view heading);

}  // namespace tunescope::advisor::html
