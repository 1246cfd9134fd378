// --drop-capabilities: once every probe is attached, tunescope only reads BPF maps through file
// descriptors it already holds, which needs no capability. Capabilities are per thread, and the
// HTTP server's threads exist before the probes attach, so libcap makes every change through
// libpsx, which repeats it in every thread (capabilities.cpp routes all thread creation there).
#pragma once

#include <cstdint>

#include "host/result.h"

namespace tunescope::caps {

// Clears the effective, permitted, inheritable and ambient sets of every thread of this process
// and, where CAP_SETPCAP allows, the bounding set (so an exec'ed helper cannot regain them).
// Verifies the result in /proc/self/task/*/status.
Status DropAllCapabilities();

// A capability set of thread `tid` of this process from /proc/self/task/TID/status (field
// "CapEff", "CapPrm", "CapBnd", ...); false when unreadable.
bool ReadThreadCaps(int tid, const char* field, uint64_t& caps);

}  // namespace tunescope::caps
