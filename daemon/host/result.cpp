#include "host/result.h"

#include <cstring>

namespace tunescope {

std::string ErrnoMessage(const std::string& what, int err) {
  if (err < 0) err = -err;
  return what + ": " + std::strerror(err);
}

}  // namespace tunescope
