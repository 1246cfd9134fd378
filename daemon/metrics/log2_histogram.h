// Converts the BPF log2 histograms (bpf/common/log2_hist.h) into Prometheus histograms.
#pragma once

#include <prometheus/client_metric.h>

#include <cstdint>
#include <span>

extern "C" {
#include "common/log2_hist.h"
}

namespace tunescope::metrics {

// Which slots become `le` buckets. Slot i has the inclusive upper bound 2^i ns, which is
// exactly its `le`; slots below `first_slot` fold into the first bucket, and slots above
// `last_slot` only into +Inf.
struct Log2Buckets {
  uint32_t first_slot;
  uint32_t last_slot;
};

// Upper bound of slot i in seconds, for samples recorded in nanoseconds.
double SlotUpperBoundSeconds(uint32_t slot);

void Accumulate(ts_hist& into, const ts_hist& from);

// Sums per-CPU copies of one histogram.
ts_hist SumPerCpu(std::span<const ts_hist> per_cpu);

prometheus::ClientMetric::Histogram ToPrometheus(const ts_hist& hist, Log2Buckets buckets);

}  // namespace tunescope::metrics
