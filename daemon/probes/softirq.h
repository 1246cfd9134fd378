// softirq: time per CPU and vector in softirq handlers, run-duration histograms per vector,
// and the delay from raising NET_RX to running it.
#pragma once

#include <memory>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeSoftirqProbe();

}  // namespace tunescope::probes
