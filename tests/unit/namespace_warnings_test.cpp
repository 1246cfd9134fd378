#include "probes/namespace_warnings.h"

#include <gtest/gtest.h>

namespace tunescope::probes {
namespace {

TEST(NamespaceWarnings, EachNamespaceOnceUntilTheTargetLeavesIt) {
  NamespaceWarnings w;
  EXPECT_TRUE(w.First(""));
  EXPECT_TRUE(w.First("net:[1]"));
  EXPECT_TRUE(w.First("net:[2]"));
  EXPECT_FALSE(w.First("net:[1]")) << "a window's re-attach warns again";
  EXPECT_FALSE(w.First(""));

  w.KeepOnly({"net:[2]"});  // the container of net:[1] went away
  EXPECT_EQ(w.size(), 2u) << "the daemon's own namespace and the one still in use";
  EXPECT_FALSE(w.First("")) << "the daemon's own namespace is never forgotten";
  EXPECT_FALSE(w.First("net:[2]"));
  EXPECT_TRUE(w.First("net:[1]")) << "a target that returns is warned about again";

  w.KeepOnly({});
  EXPECT_EQ(w.size(), 1u);
}

}  // namespace
}  // namespace tunescope::probes
