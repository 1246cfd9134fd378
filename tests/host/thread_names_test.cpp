// ThreadNames: a --target-comm scan that reads each thread's comm when its tid is new, at its
// second sighting, in its first 10 s, under another pid and after `recheck`, on a proc tree
// the test writes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "host/cpu_accounting.h"

namespace tunescope::host {
namespace {

namespace fs = std::filesystem;
using Pairs = std::vector<std::pair<int, int>>;

class ProcTree {
 public:
  ProcTree()
      : root_(fs::temp_directory_path() / ("tunescope_threads_" + std::to_string(getpid()))) {
    fs::remove_all(root_);
  }
  ~ProcTree() { fs::remove_all(root_); }
  ProcTree(const ProcTree&) = delete;
  ProcTree& operator=(const ProcTree&) = delete;
  void Thread(int pid, int tid, const std::string& comm) {
    const fs::path dir = root_ / std::to_string(pid) / "task" / std::to_string(tid);
    fs::create_directories(dir);
    std::ofstream(dir / "comm") << comm << "\n";
  }
  void Exit(int pid, int tid) {
    fs::remove_all(root_ / std::to_string(pid) / "task" / std::to_string(tid));
  }
  HostPaths paths() const { return HostPaths{root_.string(), "/sys"}; }

 private:
  fs::path root_;
};

Pairs Sorted(Pairs p) {
  std::sort(p.begin(), p.end());
  return p;
}

TEST(ThreadNames, ReadsANewThreadTwiceThenOnlyAfterRecheck) {
  ProcTree proc;
  proc.Thread(100, 100, "nginx");
  proc.Thread(100, 101, "worker");
  proc.Thread(200, 200, "sshd");
  ThreadNames names(std::chrono::seconds(60));
  const auto t0 = ThreadNames::Clock::now();
  const std::vector<std::string> comms{"nginx"};
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0)), (Pairs{{100, 100}}));
  EXPECT_EQ(names.comm_reads(), 3u);
  // Second sighting: read again, since a new thread often names itself just after it starts.
  proc.Thread(100, 101, "nginx");
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(15))),
            (Pairs{{100, 100}, {100, 101}}));
  EXPECT_EQ(names.comm_reads(), 6u);
  // From then on, no reads until the recheck: a rename now goes unseen for that long.
  proc.Thread(100, 101, "worker");
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(30))),
            (Pairs{{100, 100}, {100, 101}}));
  EXPECT_EQ(names.comm_reads(), 6u);
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(76))),
            (Pairs{{100, 100}}));
  EXPECT_EQ(names.comm_reads(), 9u);
}

TEST(ThreadNames, AThreadThatExitedIsForgottenAndItsTidReadAnew) {
  ProcTree proc;
  proc.Thread(100, 100, "nginx");
  proc.Thread(100, 101, "nginx");
  ThreadNames names(std::chrono::seconds(60));
  const auto t0 = ThreadNames::Clock::now();
  const std::vector<std::string> comms{"nginx"};
  (void)names.Matching(proc.paths(), comms, t0);
  (void)names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(1));
  proc.Exit(100, 101);
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(2))),
            (Pairs{{100, 100}}));
  // The tid comes back as another thread: read as new.
  proc.Thread(300, 101, "java");
  std::size_t before = names.comm_reads();
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(3))),
            (Pairs{{100, 100}}));
  EXPECT_EQ(names.comm_reads(), before + 2) << "tid 100 is in its first 10 s, 101 is new";
  // Reused by another process between two scans, past its first 10 s: read again.
  (void)names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(20));
  proc.Exit(300, 101);
  proc.Thread(400, 101, "nginx");
  before = names.comm_reads();
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(40))),
            (Pairs{{100, 100}, {400, 101}}));
  EXPECT_EQ(names.comm_reads(), before + 1);
}

TEST(ThreadNames, ANewThreadIsReadAtEverySightingInItsFirstTenSeconds) {
  ProcTree proc;
  proc.Thread(100, 100, "java");
  ThreadNames names(std::chrono::seconds(60));
  const auto t0 = ThreadNames::Clock::now();
  const std::vector<std::string> comms{"http-worker"};
  (void)names.Matching(proc.paths(), comms, t0);
  (void)names.Matching(proc.paths(), comms, t0 + std::chrono::milliseconds(5));
  // Named after two quick scans (two Prometheus servers scraping together): still seen.
  proc.Thread(100, 100, "http-worker");
  EXPECT_EQ(Sorted(names.Matching(proc.paths(), comms, t0 + std::chrono::seconds(9))),
            (Pairs{{100, 100}}));
}

}  // namespace
}  // namespace tunescope::host
