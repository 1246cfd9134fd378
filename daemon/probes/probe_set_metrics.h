// The names of the probe set's own metrics that the advisor reads, declared once: probe_set.cpp
// builds its families with them. No libbpf here, so the advisor includes it cheaply.
#pragma once

namespace tunescope::probes::probe_set_metrics {

// {probe, mode}: the mode each running probe chose for this kernel.
inline constexpr char kProbeInfo[] = "tunescope_probe_info";

}  // namespace tunescope::probes::probe_set_metrics
