#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "cli/serve_flags.h"

namespace tunescope::cli {

Status ParseOverheadBudget(std::string_view value, double& out) {
  if (value == "off") {
    out = 0;
    return {};
  }
  std::string text(value);
  double scale = 1;
  if (!text.empty() && text.back() == '%') {
    text.pop_back();
    scale = 0.01;
  }
  char* end = nullptr;
  errno = 0;
  const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end) * scale;
  // Above one CPU the budget would never bind on windows that open for part of their period.
  if (text.empty() || errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v) ||
      v <= 0 || v > 1) {
    return Status::Error("flag --overhead-budget: \"" + std::string(value) +
                         "\" is not a share of one CPU in (0, 1] (like 0.005 or 0.5%) or off");
  }
  out = v;
  return {};
}

}  // namespace tunescope::cli
