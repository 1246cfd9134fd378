#include "probes/catalogue.h"

#include "probes/hardirq.h"
#include "probes/netfilter.h"
#include "probes/qdisc.h"
#include "probes/reqlat.h"
#include "probes/runqlat.h"
#include "probes/softirq.h"
#include "probes/xcpu.h"

namespace tunescope::probes {
namespace {

// netfilter is always on: its fentry and kprobe modes cost tens of ns per hook call, and its
// costly bracket mode is opt-in (see netfilter.cpp). qdisc hooks every transmitted packet.
// Programs on every softirq run, context switch, packet or request cost more than a
// production host's budget when attached for good, so serve attaches those probes in windows;
// hardirq (device interrupts, far fewer) stays attached.
constexpr CatalogueEntry kCatalogue[] = {
    {"softirq", DefaultOn::kAlways, Attachment::kWindowed, MakeSoftirqProbe},
    {"hardirq", DefaultOn::kAlways, Attachment::kContinuous, MakeHardirqProbe},
    {"runqlat", DefaultOn::kAlways, Attachment::kWindowed, MakeRunqlatProbe},
    {"netfilter", DefaultOn::kAlways, Attachment::kWindowed, MakeNetfilterProbe},
    {"qdisc", DefaultOn::kNever, Attachment::kWindowed, MakeQdiscProbe},
    {"xcpu", DefaultOn::kWithTargetPort, Attachment::kWindowed, MakeXcpuProbe},
    {"reqlat", DefaultOn::kWithTargetPort, Attachment::kWindowed, MakeReqlatProbe},
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
