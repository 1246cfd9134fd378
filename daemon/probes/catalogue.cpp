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

constexpr CatalogueEntry kCatalogue[] = {
    {"softirq", true, MakeSoftirqProbe},
    {"hardirq", true, MakeHardirqProbe},
    {"runqlat", true, MakeRunqlatProbe},
    {"netfilter", true, MakeNetfilterProbe},
    {"qdisc", true, MakeQdiscProbe},
    {"xcpu", true, MakeXcpuProbe},
    {"reqlat", true, MakeReqlatProbe},
};

}  // namespace

std::span<const CatalogueEntry> Catalogue() { return kCatalogue; }

const CatalogueEntry* FindProbe(std::string_view name) {
  for (const CatalogueEntry& e : kCatalogue) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace tunescope::probes
