// tunescope_build_info{version,libbpf} and the process's self metrics, through a
// prometheus-cpp Registry.
#pragma once

#include <prometheus/registry.h>

#include <memory>

namespace tunescope::metrics {

std::shared_ptr<prometheus::Registry> MakeSelfRegistry();

}  // namespace tunescope::metrics
