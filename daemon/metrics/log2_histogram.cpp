#include "metrics/log2_histogram.h"

#include <cmath>
#include <limits>

namespace tunescope::metrics {

double SlotUpperBoundSeconds(uint32_t slot) {
  return std::ldexp(1.0, static_cast<int>(slot)) * 1e-9;
}

void Accumulate(ts_hist& into, const ts_hist& from) {
  for (uint32_t i = 0; i < TS_HIST_SLOTS; ++i) into.slots[i] += from.slots[i];
  into.sum += from.sum;
}

ts_hist SumPerCpu(std::span<const ts_hist> per_cpu) {
  ts_hist total{};
  for (const ts_hist& h : per_cpu) Accumulate(total, h);
  return total;
}

prometheus::ClientMetric::Histogram ToPrometheus(const ts_hist& hist, Log2Buckets buckets) {
  prometheus::ClientMetric::Histogram out;
  uint64_t cumulative = 0;
  uint32_t slot = 0;
  for (uint32_t bound = buckets.first_slot; bound <= buckets.last_slot && bound < TS_HIST_SLOTS;
       ++bound) {
    for (; slot <= bound; ++slot) cumulative += hist.slots[slot];
    out.bucket.push_back({cumulative, SlotUpperBoundSeconds(bound)});
  }
  for (; slot < TS_HIST_SLOTS; ++slot) cumulative += hist.slots[slot];
  out.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  out.sample_count = cumulative;
  out.sample_sum = static_cast<double>(hist.sum) * 1e-9;
  return out;
}

}  // namespace tunescope::metrics
