// The median of a set of measurements: what the experiment, the clock calibration and the
// kernel tests judge by, so that one noisy round moves none of them.
#pragma once

#include <vector>

namespace tunescope::host {

// The middle value; the mean of the two middle ones for an even count; NaN when empty.
double Median(std::vector<double> values);

}  // namespace tunescope::host
