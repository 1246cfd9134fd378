// Process-wide set-up shared by the subcommands that load BPF programs.
#pragma once

#include <csignal>
#include <string>

#include "cli/probe_flags.h"
#include "core/status.h"

namespace tunescope {

// Routes libbpf's own messages into our log at debug level.
void RouteLibbpfLogs();

// Checks that kernel BTF exists: CO-RE cannot relocate without it.
Status CheckKernelBtf(const cli::ProbeOptions& options);

// Raises the soft open-file limit to the hard one: systemd's default soft limit (1024) is below
// the connections the HTTP front holds (http::kHttpLimits) plus the probes' BPF descriptors.
void RaiseOpenFileLimit();

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that the
// main thread can wait for them with sigwait and shut down in order.
sigset_t BlockTerminationSignals();

}  // namespace tunescope
