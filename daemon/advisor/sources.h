// The published texts the catalogue's tunings come from (docs/sources.md says what each
// measured, and on what).
#pragma once

#include "advisor/catalogue.h"

namespace tunescope::advisor::sources {

extern const Source kTalawah;
extern const Source kDropbox;
extern const Source kApiGuide;
extern const Source kMillionRps;

}  // namespace tunescope::advisor::sources
