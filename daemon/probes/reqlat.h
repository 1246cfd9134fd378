// reqlat: per-request latency seen from the kernel, for refserver through its USDT notes
// (sampled) or for any TCP server on --target-port through socket tracepoints (always on).
#pragma once

#include <memory>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeReqlatProbe();

}  // namespace tunescope::probes
