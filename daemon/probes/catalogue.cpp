#include "probes/catalogue.h"

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
    {"softirq", DefaultOn::kInWindows, Attachment::kWindowed, MakeSoftirqProbe,
     softirq_metrics::kAll},
    {"hardirq", DefaultOn::kAlways, Attachment::kContinuous, MakeHardirqProbe,
     hardirq_metrics::kAll},
    {"runqlat", DefaultOn::kAlways, Attachment::kWindowed, MakeRunqlatProbe, runqlat_metrics::kAll},
    {"netfilter", DefaultOn::kAlways, Attachment::kWindowed, MakeNetfilterProbe,
     netfilter_metrics::kAll},
    {"qdisc", DefaultOn::kNever, Attachment::kWindowed, MakeQdiscProbe, qdisc_metrics::kAll},
    {"xcpu", DefaultOn::kWithTargetPort, Attachment::kWindowed, MakeXcpuProbe, xcpu_metrics::kAll},
    {"reqlat", DefaultOn::kWithTargetPort, Attachment::kWindowed, MakeReqlatProbe,
     reqlat_metrics::kAll},
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

}  // namespace tunescope::probes
