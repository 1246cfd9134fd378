// Test names from command-line arguments, for parameterised GoogleTest cases:
// {"--no-cbpf", "--workers", "3"} -> "no_cbpf_workers_3" (runs of other characters become one
// '_'). Empty when no argument has a letter or digit.
#pragma once

#include <cctype>
#include <string>

namespace tunescope::testing {

template <typename Args>
std::string ArgsTestName(const Args& args) {
  std::string name;
  for (const auto& arg : args) {
    for (char c : arg) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
        name += c;
      } else if (!name.empty() && name.back() != '_') {
        name += '_';
      }
    }
    if (!name.empty() && name.back() != '_') name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name;
}

}  // namespace tunescope::testing
