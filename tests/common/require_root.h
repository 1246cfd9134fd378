// Kernel tests need root to load BPF programs and create network namespaces. Without root they
// skip with a reason, except under CI (CI=true), where a skipped kernel test is a failure.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace tunescope::testing {

inline bool RunningInCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

}  // namespace tunescope::testing

#define TUNESCOPE_REQUIRE_ROOT()                                                  \
  do {                                                                            \
    if (::geteuid() != 0) {                                                       \
      if (::tunescope::testing::RunningInCi()) {                                  \
        FAIL() << "kernel test needs root, and CI=true forbids skipping it";      \
      }                                                                           \
      GTEST_SKIP() << "kernel test needs root (loads BPF programs); run as root"; \
    }                                                                             \
  } while (0)
