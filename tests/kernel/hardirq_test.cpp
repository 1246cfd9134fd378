// The hardirq probe sees real device interrupts: synchronous disk writes complete through the
// block device's interrupt on these VMs (and any host).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "metric_lookup.h"
#include "probe_harness.h"
#include "require_root.h"

namespace tunescope::testing {
namespace {

void SyncWrites(int count) {
  char path[] = "/var/tmp/tunescope-hardirq-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return;
  std::string block(4096, 'h');
  for (int i = 0; i < count; ++i) {
    if (pwrite(fd, block.data(), block.size(), static_cast<off_t>(i) * 4096) < 0) break;
    fdatasync(fd);
  }
  close(fd);
  unlink(path);
}

class HardirqKernelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HardirqKernelTest, CountsMoveWithDeviceInterrupts) {
  TUNESCOPE_REQUIRE_ROOT();
  auto probe = StartProbe("hardirq", GetParam());
  ASSERT_NE(probe, nullptr);
  double before = SumValues(probe->Collect(), "tunescope_hardirq_handled_total");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  double after = before;
  while (after <= before && std::chrono::steady_clock::now() < deadline) {
    SyncWrites(50);
    after = SumValues(probe->Collect(), "tunescope_hardirq_handled_total");
  }
  EXPECT_GT(after, before);
  auto families = probe->Collect();
  const auto* handled = FindFamily(families, "tunescope_hardirq_handled_total");
  ASSERT_NE(handled, nullptr);
  for (const auto& m : handled->metric) {
    for (const auto& l : m.label) {
      if (l.name == "action") {
        EXPECT_NE(l.value, "") << "every IRQ carries its action name";
      }
    }
  }
  EXPECT_GT(SumValues(families, "tunescope_hardirq_seconds_total"), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, HardirqKernelTest, ::testing::ValuesIn(ModeNames("hardirq")),
                         ModeParamName);

}  // namespace
}  // namespace tunescope::testing
