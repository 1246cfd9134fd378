// runqlat: run-queue latency per CPU, and for the threads of the target processes.
#pragma once

#include <memory>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeRunqlatProbe();

}  // namespace tunescope::probes
