// Every probe tunescope knows, in the order they start. Adding a probe = one row here plus its
// bpf/<probe>.bpf.c and daemon/probes/<probe>.cpp.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "probes/probe.h"

namespace tunescope::probes {

struct CatalogueEntry {
  std::string_view name;
  bool default_on;  // started when --probes is not given
  std::unique_ptr<Probe> (*make)();
};

std::span<const CatalogueEntry> Catalogue();
const CatalogueEntry* FindProbe(std::string_view name);

}  // namespace tunescope::probes
