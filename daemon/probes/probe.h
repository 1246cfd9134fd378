// The probe interface: a probe names its modes best first; the ProbeSet tries them in order
// at run time, so one binary adapts to each kernel. A started probe is a Prometheus
// Collectable that reads its BPF maps on each scrape.
#pragma once

#include <bpf/libbpf.h>
#include <prometheus/collectable.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/result.h"
#include "probes/probe_config.h"

namespace tunescope::probes {

struct ProbeMode {
  std::string_view name;    // exported as tunescope_probe_info{mode}
  std::string_view suffix;  // BPF programs of this mode end with it ("_btf")
  std::string_view needs;   // kernel feature it needs, for logs and --help
  // A mode too costly to pick silently: tried only when forced, or when the user named the
  // probe in --probes.
  bool opt_in = false;
};

struct MapFullCount {
  std::string map;
  uint64_t count;
};

class Probe : public prometheus::Collectable {
 public:
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual std::span<const ProbeMode> modes() const = 0;

  // Loads and attaches in one mode. On failure nothing stays loaded or attached.
  virtual Status Start(const ProbeMode& mode, const ProbeConfig& config) = 0;
  virtual void Stop() = 0;

  // Attach windows (--window): Detach removes the attachments but keeps the programs and their
  // counters loaded; Reattach forgets half-finished events (a stamp from before the gap would
  // pair with an event after it) and attaches again in the mode Start chose.
  virtual void Detach() {}
  virtual Status Reattach() { return {}; }
  // Kernel BPF statistics went on while attached (serve's first window keeps StartAll's
  // attach): a probe that corrects its figures for their cost takes the value for statistics on
  // (the netfilter bracket's own cost per hook). Later windows attach with them on.
  virtual void StatsChanged() {}

  // Programs that are loaded now (for BPF run-time stats).
  virtual std::vector<const bpf_program*> LoadedPrograms() const = 0;
  // Inserts that failed because a bounded map was full, per map.
  virtual std::vector<MapFullCount> MapFullCounts() const { return {}; }
};

}  // namespace tunescope::probes
