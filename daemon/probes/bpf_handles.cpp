#include "probes/bpf_handles.h"

namespace tunescope::probes {

int PossibleCpus() {
  static const int n = [] {
    int cpus = libbpf_num_possible_cpus();
    return cpus > 0 ? cpus : 1;
  }();
  return n;
}

}  // namespace tunescope::probes
