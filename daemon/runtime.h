// Process-wide set-up shared by the subcommands that load BPF programs.
#pragma once

#include <csignal>
#include <string>

#include "cli/probe_flags.h"
#include "host/result.h"
#include "http/http_server.h"

namespace tunescope {

// Routes libbpf's own messages into our log at debug level.
void RouteLibbpfLogs();

// Checks that kernel BTF exists: CO-RE cannot relocate without it.
Status CheckKernelBtf(const cli::ProbeOptions& options);

// Raises the soft open-file limit to the hard one: systemd's default soft limit (1024) is below
// the connections the HTTP front holds (http::kHttpLimits) plus the probes' BPF descriptors.
void RaiseOpenFileLimit();

// The HTTP front's limits under this process's pids limit (containers, pods): CivetWeb starts
// all its worker threads at once, and a thread that cannot start later kills the daemon. Fewer
// workers when the limit leaves fewer tasks; an error when it leaves too few to serve.
Result<http::HttpLimits> HttpLimitsForPidsLimit();

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that the
// main thread can wait for them with sigwait and shut down in order.
sigset_t BlockTerminationSignals();

}  // namespace tunescope
