// `tunescope experiment` end to end (root): the real binary in a network namespace tries the
// per-namespace net.core.somaxconn on refserver (pinned to CPU 0) under wrk from a second
// namespace (CPU 1), for 2 pairs of 2 s rounds. Checks the alternating rounds in order, both
// realized measures and the predicted line in the report, that the setting is restored, and
// that the process holds BPF links while it predicts and none during the rounds.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "netns.h"
#include "require_root.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

using std::chrono::seconds;
constexpr const char* kPort = "7080";

void EnterNetns(const std::string& ns) {
  int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(3);
  close(fd);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string NsSomaxconn(const std::string& ns) {
  return InNetns(ns, [] {
    std::ifstream in("/proc/sys/net/core/somaxconn");
    std::string v;
    in >> v;
    return v;
  });
}

// BPF links held by process `pid`: the probes' attachments (each is an fd to a bpf_link).
int BpfLinks(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int links = 0;
  while (dirent* e = readdir(d)) {
    char target[256];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (std::string_view(target) == "anon_inode:bpf_link") ++links;
  }
  closedir(d);
  return links;
}

TEST(ExperimentRounds, AlternatingRoundsRunWithoutProbesAndRestoreTheSetting) {
  TUNESCOPE_REQUIRE_ROOT();
  ASSERT_EQ(Sh("command -v wrk"), 0) << "wrk is needed for this test";
  VethPair pair;
  ShOrThrow("ip netns exec " + pair.b_ns + " sysctl -qw net.core.somaxconn=256");
  ChildProcess server([&] {
    EnterNetns(pair.b_ns);
    PinToCpu(0);
    std::string listen = std::string(VethPair::kServerIp) + ":" + kPort;
    execl(TUNESCOPE_REFSERVER_BINARY, "refserver", "--listen", listen.c_str(), "--workers", "1",
          static_cast<char*>(nullptr));
    _exit(127);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string load = "ip netns exec " + pair.a_ns + " taskset -c 1 wrk -t1 -c16 -d60s http://" +
                     VethPair::kServerIp + ":" + kPort + "/json";
  std::string log = "/tmp/tunescope-experiment-rounds-" + std::to_string(getpid()) + ".log";
  std::string target = std::to_string(server.pid());
  // The same run also writes its HTML page (experiment --html).
  std::string page = "/tmp/tunescope-experiment-rounds-" + std::to_string(getpid()) + ".html";
  pid_t run = fork();
  if (run == 0) {
    EnterNetns(pair.b_ns);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(TUNESCOPE_BINARY, "tunescope", "experiment", "--tuning", "somaxconn", "--load",
          load.c_str(), "--duration", "2s", "--rounds", "2", "--round-duration", "2s",
          "--target-pid", target.c_str(), "--probes", "softirq,runqlat", "--html", page.c_str(),
          "--yes", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(run, 0);

  // Sample the process's BPF links in each phase until it exits (bounded).
  int predict_links = 0, round_links = 0, round_samples = 0, status = 0;
  auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (waitpid(run, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(run, SIGINT);  // it restores the setting before exiting
      waitpid(run, &status, 0);
      FAIL() << "experiment did not finish within 60 s:\n" << ReadAll(log);
    }
    std::string out = ReadAll(log);
    bool in_rounds = out.find("round 1/4") != std::string::npos;
    bool predicting = out.find("predicting:") != std::string::npos;
    int links = BpfLinks(run);
    if (in_rounds) {
      round_links = std::max(round_links, links);
      ++round_samples;
    } else if (predicting) {
      predict_links = std::max(predict_links, links);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string out = ReadAll(log);
  std::remove(log.c_str());
  std::cout << out;  // the report, for the test log
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_GT(predict_links, 0) << "the prediction runs with the probes attached\n" << out;
  EXPECT_GT(round_samples, 10) << out;
  EXPECT_EQ(round_links, 0) << "no probe stays attached during the rounds\n" << out;
  EXPECT_EQ(NsSomaxconn(pair.b_ns), "256") << out;
  EXPECT_NE(out.find("reverted to the original setting"), std::string::npos) << out;
  EXPECT_NE(out.find("prediction (2 s under the load, original settings, probes attached): "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("order A B B A (A original, B tuned), probes detached"), std::string::npos)
      << out;

  // The rounds in order, each with a rate and a CPU per request.
  std::regex row(
      R"(\n\s+(\d)\s+([AB]) (original|tuned)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)%)");
  std::string order;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), row); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    order += m[1].str() + m[2].str() + " ";
    EXPECT_GT(std::stod(m[4].str()), 100) << "req/s of round " << m[1] << "\n" << out;
    EXPECT_GT(std::stod(m[5].str()), 0) << "CPU us/req of round " << m[1] << "\n" << out;
    EXPECT_GT(std::stod(m[6].str()), 0) << "target us/req of round " << m[1] << "\n" << out;
  }
  EXPECT_EQ(order, "1A 2B 3B 4A ") << out;

  // The HTML page holds the same rounds, with the same req/s, as charts and a table.
  std::string html = ReadAll(page);
  std::remove(page.c_str());
  EXPECT_NE(out.find("tunescope experiment: wrote " + page), std::string::npos) << out;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), row); it != std::sregex_iterator();
       ++it) {
    const std::smatch& r = *it;
    std::string label = r[1].str() + " " + r[2].str() + " " + r[3].str();
    EXPECT_NE(html.find(label + "</text>"), std::string::npos) << label << " not charted";
    EXPECT_NE(html.find("<tr><td>" + label + "</td><td>" + r[4].str() + "</td>"), std::string::npos)
        << label << " with " << r[4] << " req/s not in the page's table";
  }
  for (std::string_view section : {"id=\"rounds\"", "id=\"realized\"", "id=\"cpu\"",
                                   "Run-queue wait, the server&#39;s threads"}) {
    EXPECT_NE(html.find(section), std::string::npos) << section;
  }
  // Predicted and realized, both measures: realized is a signed percentage, never "-".
  std::smatch m;
  EXPECT_TRUE(std::regex_search(
      out, m,
      std::regex(R"(\npayoff \(req/s\)\s+\S+\s+[+-][0-9.]+%  [+-][0-9.]+% \.\. [+-][0-9.]+%)")))
      << out;
  EXPECT_TRUE(std::regex_search(
      out, m,
      std::regex(
          R"(\nremoved CPU per request\s+\S+\s+[+-][0-9.]+%  [+-][0-9.]+% \.\. [+-][0-9.]+%)")))
      << out;
  EXPECT_TRUE(std::regex_search(out, m, std::regex(R"(\nserver CPUs busy \d+% in the A rounds)")))
      << out;
  EXPECT_NE(out.find("server CPUs: 0 (the CPUs the target's threads ran on"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace tunescope::testing
