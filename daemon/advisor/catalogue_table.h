// The catalogue's rows, one file per group of sources so that each reads as one table.
#pragma once

#include <vector>

#include "advisor/catalogue.h"

namespace tunescope::advisor {

std::vector<Tuning> LadderTunings();
std::vector<Tuning> MoreTunings();

}  // namespace tunescope::advisor
