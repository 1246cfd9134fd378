// `tunescope experiment` on a per-namespace sysctl restores the original value after a normal
// run and after SIGINT in the middle of the tuned phase, also with its output pipe closed. (The
// advisor's predictions are checked against realized gains by tests/scenarios, with nginx and
// refserver.)
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "netns.h"
#include "require_root.h"

namespace tunescope::testing {
namespace {

using std::chrono::seconds;

void EnterNetns(const std::string& ns) {
  int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(3);
  close(fd);
}

std::string NsSomaxconn(const std::string& ns) {
  return InNetns(ns, [] {
    std::ifstream in("/proc/sys/net/core/somaxconn");
    std::string v;
    in >> v;
    return v;
  });
}

// Runs the real binary inside `ns`; stdout and stderr to `out_fd`.
pid_t SpawnExperimentTo(const std::string& ns, int out_fd) {
  pid_t pid = fork();
  if (pid == 0) {
    EnterNetns(ns);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    execl(TUNESCOPE_BINARY, "tunescope", "experiment", "--tuning", "somaxconn", "--load",
          "sleep 30", "--duration", "2s", "--probes", "softirq", "--yes",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Stdout and stderr to `log`.
pid_t SpawnExperiment(const std::string& ns, const std::string& log) {
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t pid = SpawnExperimentTo(ns, fd);
  close(fd);
  return pid;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(AdvisorScenario, ExperimentRestoresTheSettingAfterARunAndAfterSigint) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  ShOrThrow("ip netns exec " + pair.b_ns + " sysctl -qw net.core.somaxconn=256");
  std::string log = "/tmp/tunescope-experiment-" + std::to_string(getpid()) + ".log";

  pid_t run = SpawnExperiment(pair.b_ns, log);
  int code = WaitExit(run);
  std::string out = ReadAll(log);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("applying net.core.somaxconn: 256 -> 4096"), std::string::npos) << out;
  EXPECT_NE(out.find("reverted"), std::string::npos) << out;
  EXPECT_EQ(NsSomaxconn(pair.b_ns), "256");

  std::remove(log.c_str());
  log += ".sigint";
  pid_t interrupted = SpawnExperiment(pair.b_ns, log);
  auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (ReadAll(log).find("applying net.core.somaxconn") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(NsSomaxconn(pair.b_ns), "4096") << "the tuned phase runs with the new value";
  kill(interrupted, SIGINT);
  code = WaitExit(interrupted);
  out = ReadAll(log);
  EXPECT_EQ(code, 130) << out;
  EXPECT_NE(out.find("restored net.core.somaxconn = 256"), std::string::npos) << out;
  EXPECT_EQ(NsSomaxconn(pair.b_ns), "256");
  // The host's own value was never touched.
  std::remove(log.c_str());
}

// `tunescope experiment ... 2>&1 | tee log`, then Ctrl-C: the terminal's SIGINT ends tee too,
// and tunescope's "restoring" line meets a closed pipe. It must still restore and exit 130.
TEST(AdvisorScenario, ExperimentRestoresWhenItsOutputPipeClosedBeforeSigint) {
  TUNESCOPE_REQUIRE_ROOT();
  VethPair pair;
  ShOrThrow("ip netns exec " + pair.b_ns + " sysctl -qw net.core.somaxconn=256");
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  pid_t run = SpawnExperimentTo(pair.b_ns, fds[1]);
  close(fds[1]);
  std::string seen;
  char buf[512];
  ssize_t n;
  while (seen.find("applying net.core.somaxconn") == std::string::npos &&
         (n = read(fds[0], buf, sizeof buf)) > 0) {
    seen.append(buf, static_cast<size_t>(n));
  }
  ASSERT_NE(seen.find("applying net.core.somaxconn"), std::string::npos) << seen;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(NsSomaxconn(pair.b_ns), "4096") << "the tuned phase runs with the new value";
  close(fds[0]);
  kill(run, SIGINT);
  EXPECT_EQ(WaitExit(run), 130) << "128 + SIGPIPE (141): killed by the closed pipe";
  EXPECT_EQ(NsSomaxconn(pair.b_ns), "256");
}

}  // namespace
}  // namespace tunescope::testing
