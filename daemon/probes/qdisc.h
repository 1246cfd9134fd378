// qdisc: contention on each device's qdisc root lock and busylock (the spinlock that noqueue
// removes), with packets enqueued, so the wait per packet can be derived.
#pragma once

#include <memory>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeQdiscProbe();

}  // namespace tunescope::probes
