// The settings `tunescope experiment` changes: planned from a catalogue tuning, written, and
// written back exactly (the original text) by an RAII Applier.
#pragma once

#include <string>
#include <vector>

#include "advisor/catalogue.h"
#include "host/paths.h"
#include "host/result.h"

namespace tunescope::experiment {

// One file setting (sysctl or sysfs), with the exact text to write back.
struct Setting {
  std::string what;  // "net.core.busy_read", "eth0 rx-0 rps_cpus"
  std::string path;
  std::string original;
  std::string target;
};

// The settings that apply tuning `t` on this host (`cpus` online CPUs), with their originals.
Status Plan(const advisor::Tuning& t, const host::HostPaths& paths, int cpus,
            std::vector<Setting>& out);

// Writes settings and writes the originals back, in reverse order, on Restore() or destruction.
// Apply and Restore may alternate any number of times (one experiment round after another).
class Applier {
 public:
  Applier() = default;
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;
  ~Applier() { (void)Restore(); }

  Status Apply(const Setting& s);
  // Writes back every applied setting; says on stderr what it restored, or how to restore by
  // hand what it could not.
  Status Restore();
  // Leaves the applied settings as they are (--keep).
  void Keep() { applied_.clear(); }
  bool applied() const { return !applied_.empty(); }

 private:
  std::vector<Setting> applied_;
};

}  // namespace tunescope::experiment
