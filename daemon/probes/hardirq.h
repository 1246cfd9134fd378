// hardirq: count and time of each hardirq handler per IRQ and CPU (NIC queue IRQ spread).
#pragma once

#include <memory>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeHardirqProbe();

}  // namespace tunescope::probes
