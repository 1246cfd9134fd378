#include "probes/catalogue.h"

#include <algorithm>

#include "probes/catalogue_flags.h"
#include "probes/hardirq.h"
#include "probes/hardirq_metrics.h"
#include "probes/netfilter.h"
#include "probes/netfilter_metrics.h"
#include "probes/qdisc.h"
#include "probes/qdisc_metrics.h"
#include "probes/reqlat.h"
#include "probes/reqlat_metrics.h"
#include "probes/runqlat.h"
#include "probes/runqlat_metrics.h"
#include "probes/softirq.h"
#include "probes/softirq_metrics.h"
#include "probes/xcpu.h"
#include "probes/xcpu_metrics.h"

extern "C" {
#include "reqlat.bpf.h"
#include "xcpu.bpf.h"
}

namespace tunescope::probes {
namespace {

// netfilter is always on: its fentry and kprobe modes cost tens of ns per hook call, and its
// costly bracket mode is opt-in (see netfilter.cpp). qdisc hooks every transmitted packet.
// Programs on every softirq run, context switch, packet or request cost more than a
// production host's budget when attached for good, so serve attaches those probes in windows;
// hardirq (device interrupts, far fewer) stays attached. softirq's per-CPU time and runs are
// what /proc/stat and /proc/softirqs keep anyway (daemon/kernelstats/): its programs on every
// softirq entry and exit add only the per-vector split and the run-duration histograms, which
// windows sample well enough, so --window=always leaves it out unless asked for.
constexpr CatalogueEntry kCatalogue[] = {
    {
        .name = "softirq",
        .default_on = DefaultOn::kInWindows,
        .attachment = Attachment::kWindowed,
        .make = MakeSoftirqProbe,
        .metrics = softirq_metrics::kAll,
        .add_flags = AddSoftirqFlags,
    },
    {
        .name = "hardirq",
        .default_on = DefaultOn::kAlways,
        .attachment = Attachment::kContinuous,
        .make = MakeHardirqProbe,
        .metrics = hardirq_metrics::kAll,
        .add_flags = AddHardirqFlags,
    },
    {
        .name = "runqlat",
        .default_on = DefaultOn::kAlways,
        .attachment = Attachment::kWindowed,
        .make = MakeRunqlatProbe,
        .metrics = runqlat_metrics::kAll,
        .add_flags = AddRunqlatFlags,
    },
    {
        .name = "netfilter",
        .default_on = DefaultOn::kAlways,
        .attachment = Attachment::kWindowed,
        .make = MakeNetfilterProbe,
        .metrics = netfilter_metrics::kAll,
    },
    {
        .name = "qdisc",
        .default_on = DefaultOn::kNever,
        .attachment = Attachment::kWindowed,
        .make = MakeQdiscProbe,
        .metrics = qdisc_metrics::kAll,
        .add_flags = AddQdiscFlags,
    },
    {
        .name = "xcpu",
        .default_on = DefaultOn::kWithTargetPort,
        .attachment = Attachment::kWindowed,
        .make = MakeXcpuProbe,
        .metrics = xcpu_metrics::kAll,
        .add_flags = AddXcpuFlags,
        .max_target_ports = TS_XCPU_MAX_PORTS,
    },
    {
        .name = "reqlat",
        .default_on = DefaultOn::kWithTargetPort,
        .attachment = Attachment::kWindowed,
        .make = MakeReqlatProbe,
        .metrics = reqlat_metrics::kAll,
        .add_flags = AddReqlatFlags,
        .max_target_ports = TS_REQLAT_MAX_PORTS,
    },
};

}  // namespace

std::span<const CatalogueEntry> Catalogue() {
  return kCatalogue;
}

const CatalogueEntry* FindProbe(std::string_view name) {
  for (const CatalogueEntry& e : kCatalogue) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

size_t MaxTargetPorts() {
  size_t fewest = 0;
  for (const CatalogueEntry& e : kCatalogue) {
    if (e.max_target_ports > 0) {
      fewest = fewest == 0 ? e.max_target_ports : std::min(fewest, e.max_target_ports);
    }
  }
  return fewest;
}

}  // namespace tunescope::probes
