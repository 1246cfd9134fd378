// BackgroundCommand with real processes: output captured, exit status kept, a running group
// (the shell and its children) stopped by Stop().
#include "host/background_command.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>

namespace tunescope::host {
namespace {

// Running, not a zombie waiting for a reaper (pid 1 here may not reap).
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

TEST(BackgroundCommand, KeepsOutputAndExitStatus) {
  BackgroundCommand run("echo out; echo err >&2; exit 3");
  ASSERT_TRUE(run.started());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (run.Poll() && std::chrono::steady_clock::now() < deadline) ::usleep(10000);
  run.Stop();
  EXPECT_FALSE(run.stopped());
  ASSERT_TRUE(run.exit_status());
  EXPECT_TRUE(WIFEXITED(*run.exit_status()));
  EXPECT_EQ(WEXITSTATUS(*run.exit_status()), 3);
  EXPECT_EQ(run.output(), "out\nerr\n");
}

TEST(BackgroundCommand, StopEndsTheWholeGroup) {
  // The shell starts a child that ignores SIGINT; the group still ends (SIGTERM), and the
  // child's pid, printed first, is gone afterwards.
  BackgroundCommand run("sh -c 'trap \"\" INT; echo $$; exec sleep 30' & wait");
  ASSERT_TRUE(run.started());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (run.output().empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(run.Poll());
    ::usleep(10000);
  }
  const pid_t child = std::stoi(run.output());
  EXPECT_TRUE(Alive(child));
  run.Stop();
  EXPECT_TRUE(run.stopped());
  EXPECT_FALSE(run.Poll());
  EXPECT_FALSE(Alive(child));
}

}  // namespace
}  // namespace tunescope::host
