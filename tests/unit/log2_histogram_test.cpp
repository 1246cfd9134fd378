#include "metrics/log2_histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tunescope::metrics {
namespace {

TEST(Log2Slot, InclusiveUpperBoundIsAPowerOfTwo) {
  EXPECT_EQ(ts_hist_slot(0), 0u);
  EXPECT_EQ(ts_hist_slot(1), 0u);
  EXPECT_EQ(ts_hist_slot(2), 1u);
  EXPECT_EQ(ts_hist_slot(3), 2u);
  EXPECT_EQ(ts_hist_slot(4), 2u);
  EXPECT_EQ(ts_hist_slot(5), 3u);
  EXPECT_EQ(ts_hist_slot(1000), 10u);
  EXPECT_EQ(ts_hist_slot(1024), 10u);
  EXPECT_EQ(ts_hist_slot(1025), 11u);
  EXPECT_EQ(ts_hist_slot(~0ULL), TS_HIST_SLOTS - 1);
}

TEST(Log2Slot, EverySlotHoldsExactlyItsRange) {
  for (uint32_t i = 1; i < TS_HIST_SLOTS - 1; ++i) {
    const uint64_t upper = 1ULL << i;
    EXPECT_EQ(ts_hist_slot(upper), i) << "2^" << i << " belongs to its own slot";
    EXPECT_EQ(ts_hist_slot(upper + 1), i + 1) << "2^" << i << "+1 belongs to the next slot";
    EXPECT_EQ(ts_hist_slot(upper / 2 + 1), i) << "2^(" << i << "-1)+1 is the slot's lowest value";
  }
}

TEST(Log2Floor, MatchesLibm) {
  for (uint64_t v :
       {1ULL, 2ULL, 3ULL, 255ULL, 256ULL, 65535ULL, 65536ULL, 1ULL << 40, 1ULL << 63}) {
    EXPECT_EQ(ts_log2_floor(v),
              static_cast<uint32_t>(std::floor(std::log2(static_cast<double>(v)))))
        << v;
  }
}

ts_hist HistOf(std::initializer_list<uint64_t> samples_ns) {
  ts_hist h{};
  for (uint64_t v : samples_ns) {
    h.slots[ts_hist_slot(v)] += 1;
    h.sum += v;
  }
  return h;
}

TEST(ToPrometheus, KnownDurationLandsInTheRightLe) {
  // 1000 ns <= 1.024 us but > 512 ns: counted from le=1.024e-06 on, not at le=5.12e-07.
  auto p = ToPrometheus(HistOf({1000}), {8, 12});
  ASSERT_EQ(p.bucket.size(), 6u);  // 8..12 and +Inf
  EXPECT_DOUBLE_EQ(p.bucket[0].upper_bound, 256e-9);
  EXPECT_EQ(p.bucket[1].cumulative_count, 0u);  // le=512ns
  EXPECT_DOUBLE_EQ(p.bucket[1].upper_bound, 512e-9);
  EXPECT_EQ(p.bucket[2].cumulative_count, 1u);  // le=1.024us
  EXPECT_DOUBLE_EQ(p.bucket[2].upper_bound, 1024e-9);
  EXPECT_TRUE(std::isinf(p.bucket.back().upper_bound));
  EXPECT_EQ(p.sample_count, 1u);
  EXPECT_DOUBLE_EQ(p.sample_sum, 1000e-9);
}

TEST(ToPrometheus, BoundaryValueIsInsideItsLe) {
  auto p = ToPrometheus(HistOf({1024}), {10, 11});
  EXPECT_EQ(p.bucket[0].cumulative_count, 1u) << "1024 ns <= le 1.024e-06";
}

TEST(ToPrometheus, SmallValuesFoldIntoFirstBucketLargeOnlyIntoInf) {
  auto p = ToPrometheus(HistOf({1, 100, 5000, 1ULL << 35}), {8, 13});
  EXPECT_EQ(p.bucket.front().cumulative_count, 2u);               // 1 and 100 ns <= 256 ns
  EXPECT_EQ(p.bucket[p.bucket.size() - 2].cumulative_count, 3u);  // + 5000 ns <= 8.192 us
  EXPECT_EQ(p.bucket.back().cumulative_count, 4u);
  EXPECT_EQ(p.sample_count, 4u);
}

TEST(ToPrometheus, BucketsAreCumulativeAndIncreasing) {
  auto p = ToPrometheus(HistOf({300, 700, 700, 3000, 90000}), {8, 20});
  for (size_t i = 1; i < p.bucket.size(); ++i) {
    EXPECT_GE(p.bucket[i].cumulative_count, p.bucket[i - 1].cumulative_count);
    EXPECT_GT(p.bucket[i].upper_bound, p.bucket[i - 1].upper_bound);
  }
}

TEST(SumPerCpu, AddsSlotsAndSums) {
  ts_hist a = HistOf({100, 2000});
  ts_hist b = HistOf({2000});
  ts_hist per_cpu[] = {a, b};
  ts_hist total = SumPerCpu(per_cpu);
  EXPECT_EQ(total.slots[ts_hist_slot(2000)], 2u);
  EXPECT_EQ(total.sum, 4100u);
}

}  // namespace
}  // namespace tunescope::metrics
