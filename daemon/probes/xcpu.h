// xcpu: for the server's ports, whether the thread that reads a socket runs on the CPU that
// queued the data onto it; optionally (XDP) packets per rx queue and CPU of one interface.
#pragma once

#include <memory>

#include "probes/probe.h"

namespace tunescope::probes {

std::unique_ptr<Probe> MakeXcpuProbe();

}  // namespace tunescope::probes
