// Every probe tunescope knows, in the order they start. Adding a probe is three things: its BPF
// program bpf/<probe>.bpf.c (built by glob), its C++ half daemon/probes/<probe>.{h,cpp} (and the
// metric names it declares, <probe>_metrics.h), and one row in catalogue.cpp. The row is all
// the rest reads: --probes and --<probe>-mode, the probe's own flags, the default set, windows.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "core/flag_parser.h"
#include "probes/probe.h"

namespace tunescope::probes {

// Which probes `serve` starts when --probes is not given: the always-on set must stay cheap
// beside a production server (target: <= 1% of its CPU).
enum class DefaultOn {
  kAlways,
  // In the default set when it attaches in windows; attached for good (--window=always) only
  // when named in --probes, or with --no-kernel-stats: its always-on part comes from the
  // kernel-statistics tier for free, and its per-event programs attached for good cost more
  // than that budget (the softirq probe: 4.8% of nginx's CPU per request in bench/overhead).
  kInWindows,
  kWithTargetPort,  // per-packet hooks that only make sense for a --target-port
  kNever,           // per-packet cost on every packet: run it by naming it in --probes
};

// How `serve` attaches a probe: for good, or in windows (--window) when it runs on every
// packet or request, which costs more than the always-on budget when attached for good.
enum class Attachment { kContinuous, kWindowed };

struct CatalogueEntry {
  std::string_view name;
  DefaultOn default_on;
  Attachment attachment;
  std::unique_ptr<Probe> (*make)();
  // Every metric family the probe may export (its <probe>_metrics.h), so that a name read
  // elsewhere (the advisor's rules) can be checked against what some probe declares.
  std::span<const std::string_view> metrics;
  // Adds the probe's own flags (--<probe>.<setting>) to serve, advise and experiment; they
  // write into ProbeConfig's fields. nullptr: none.
  void (*add_flags)(cli::FlagParser& parser, ProbeConfig& config) = nullptr;
  // Port slots of its maps when it filters by --target-port, 0 when it does not: --target-port
  // takes as many distinct ports as the smallest of these.
  size_t max_target_ports = 0;
};

std::span<const CatalogueEntry> Catalogue();
const CatalogueEntry* FindProbe(std::string_view name);
// The fewest port slots of the probes that filter by port (see max_target_ports).
size_t MaxTargetPorts();

}  // namespace tunescope::probes
