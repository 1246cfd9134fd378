#include "build_info.h"

#include <bpf/libbpf.h>
#include <prometheus/gauge.h>

#include "version.h"

namespace tunescope::metrics {

std::shared_ptr<prometheus::Registry> MakeSelfRegistry() {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge()
      .Name("tunescope_build_info")
      .Help("Version of tunescope and of the libbpf it runs with; always 1.")
      .Register(*registry)
      .Add({{"version", kVersion}, {"libbpf", libbpf_version_string()}})
      .Set(1);
  return registry;
}

}  // namespace tunescope::metrics
