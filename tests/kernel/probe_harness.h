// Starts one real probe of the catalogue on the running kernel for a kernel test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "probes/catalogue.h"
#include "probes/probe.h"

namespace tunescope::testing {

// Starts `probe_name` in `mode` (or its best mode if empty); fails the test when it cannot.
inline std::unique_ptr<probes::Probe> StartProbe(const std::string& probe_name,
                                                 const std::string& mode = "",
                                                 const probes::ProbeConfig& config = {}) {
  const probes::CatalogueEntry* entry = probes::FindProbe(probe_name);
  if (entry == nullptr) {
    ADD_FAILURE() << "no probe " << probe_name;
    return nullptr;
  }
  auto probe = entry->make();
  std::string errors;
  for (const probes::ProbeMode& m : probe->modes()) {
    if (!mode.empty() && m.name != mode) continue;
    Status s = probe->Start(m, config);
    if (s.ok()) return probe;
    errors += " [" + std::string(m.name) + ": " + s.error() + "]";
  }
  ADD_FAILURE() << probe_name << " did not start:" << errors;
  return nullptr;
}

inline std::vector<std::string> ModeNames(const std::string& probe_name) {
  std::vector<std::string> out;
  for (const auto& m : probes::FindProbe(probe_name)->make()->modes()) out.emplace_back(m.name);
  return out;
}

}  // namespace tunescope::testing

namespace tunescope::testing {

inline std::string ModeParamName(const ::testing::TestParamInfo<std::string>& param) {
  return param.param;
}

}  // namespace tunescope::testing
