// The metric names of the kernel's BPF run-time statistics, declared once: bpf_stats.cpp
// builds its families with them and the advisor reads the run time by name. No libbpf here, so
// the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::bpf_stats_metrics {

inline constexpr char kProgramRuns[] = "tunescope_bpf_program_runs_total";
inline constexpr char kProgramRunSeconds[] = "tunescope_bpf_program_run_seconds_total";
// What a tracepoint program's run costs beyond the run time recorded for it, measured at start.
inline constexpr char kRunOverheadSeconds[] = "tunescope_bpf_program_run_overhead_seconds";

// Every name above.
inline constexpr std::string_view kAll[] = {kProgramRuns, kProgramRunSeconds, kRunOverheadSeconds};

}  // namespace tunescope::probes::bpf_stats_metrics
