// qdisc: CPU time each device's transmit path spends between net_dev_queue and the driver, per
// CPU (what noqueue removes, measured on noqueue devices too as the baseline), and contention
// on each device's qdisc root lock and busylock, with packets enqueued.
#pragma once

#include <memory>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeQdiscProbe();

}  // namespace tunescope::probes
