// Test helpers: fixture files and fixture trees under tests/host/fixtures/.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "host/paths.h"

namespace tunescope::host::testing {

inline std::string FixturePath(const std::string& name) {
  return std::string(TUNESCOPE_HOST_FIXTURES) + "/" + name;
}

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fixture tree with proc/ and sys/ subdirectories.
inline HostPaths TreePaths(const std::string& tree) {
  return HostPaths{FixturePath(tree) + "/proc", FixturePath(tree) + "/sys"};
}

}  // namespace tunescope::host::testing
