// Accuracy of the netfilter probe against a ground truth from CPU accounting (issue 13): a TCP
// server pinned to CPU 0 in namespace B answers a client pinned to CPU 1 in namespace A, which
// keeps 16 requests in flight. Phases alternate between N non-matching iptables rules in B's
// OUTPUT chain (on every reply) and no filter table at all. The ground truth is the CPU time
// per request those rules add on CPU 0: the server thread's run time per request
// (/proc/PID/task/TID/schedstat, exact) with rules minus without. The probe's estimate is its
// hook time on CPU 0 per request with the rules. On this kernel the probe runs as the bracket,
// attached inside namespace B (netfilter links belong to one namespace).
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <thread>
#include <vector>

#include "host/median.h"
#include "metric_lookup.h"
#include "netns.h"
#include "probe_harness.h"
#include "require_root.h"

namespace tunescope::testing {
namespace {

using host::Median;

constexpr size_t kRequestBytes = 64;
constexpr size_t kResponseBytes = 256;
constexpr uint16_t kPort = 5003;

// Moves the calling thread into /run/netns/<ns> and onto one CPU.
void EnterNetnsOnCpu(const std::string& ns, int cpu) {
  int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("setns " + ns);
  close(fd);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) throw std::runtime_error("affinity");
}

// A thread's run time and how many times it was switched in (/proc/.../schedstat; exact).
struct SchedStat {
  uint64_t run_ns = 0, delay_ns = 0, slices = 0;
};
SchedStat ThreadSchedStat(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/schedstat");
  SchedStat st;
  f >> st.run_ns >> st.delay_ns >> st.slices;
  return st;
}

// Busy time of one CPU from /proc/stat (tick-sampled here: CONFIG_IRQ_TIME_ACCOUNTING is off).
double CpuBusySeconds(int cpu) {
  std::ifstream f("/proc/stat");
  std::string line, want = "cpu" + std::to_string(cpu) + " ";
  while (std::getline(f, line)) {
    if (line.rfind(want, 0) != 0) continue;
    std::istringstream in(line.substr(want.size()));
    uint64_t v[8] = {};
    for (uint64_t& x : v) in >> x;
    uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];  // all but idle and iowait
    return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return 0;
}

// Request/response over TCP between the namespaces of `pair`, until Stop().
class PipelinedLoad {
 public:
  PipelinedLoad(const VethPair& pair, int depth) : depth_(depth) {
    std::atomic<int> listening{0};
    server_ = std::thread([&, ns = pair.b_ns] {
      try {
        EnterNetnsOnCpu(ns, 0);
        server_tid_ = gettid();
        int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in addr = Ipv4(VethPair::kServerIp, kPort);
        if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
            listen(lfd, 1) != 0) {
          throw std::runtime_error("listen");
        }
        listening = 1;
        listening.notify_all();
        int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        close(lfd);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        Serve(fd);
        close(fd);
      } catch (const std::exception& e) {
        error_ = e.what();
        listening = -1;
        listening.notify_all();
      }
    });
    listening.wait(0);
    if (listening < 0) {
      server_.join();
      throw std::runtime_error("server: " + error_);
    }
    client_ = std::thread([&, ns = pair.a_ns] {
      try {
        EnterNetnsOnCpu(ns, 1);
        client_tid_ = gettid();
        Client();
      } catch (const std::exception& e) {
        error_ = e.what();
      }
    });
  }
  PipelinedLoad(const PipelinedLoad&) = delete;
  PipelinedLoad& operator=(const PipelinedLoad&) = delete;
  ~PipelinedLoad() { Stop(); }

  void Stop() {
    stop_ = true;
    if (client_.joinable()) client_.join();
    if (server_.joinable()) server_.join();
  }
  uint64_t requests() const { return requests_.load(); }
  pid_t server_tid() const { return server_tid_; }
  pid_t client_tid() const { return client_tid_; }
  const std::string& error() const { return error_; }

 private:
  void Serve(int fd) {
    std::vector<char> buf(64 * 1024);
    std::string response(kResponseBytes, 'r');
    size_t partial = 0;
    for (;;) {
      ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) return;
      partial += static_cast<size_t>(n);
      // One send per request, as a server that answers each request on its own.
      for (; partial >= kRequestBytes; partial -= kRequestBytes) {
        if (send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) return;
        requests_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  void Client() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Ipv4(VethPair::kServerIp, kPort);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      throw std::runtime_error("connect");
    }
    timeval tv{0, 200000};  // wake up to see stop_ even when the server is slow
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string requests(kRequestBytes * static_cast<size_t>(depth_), 'q');
    send(fd, requests.data(), requests.size(), MSG_NOSIGNAL);
    std::vector<char> buf(64 * 1024);
    size_t partial = 0;
    while (!stop_) {
      ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n == 0) break;
      if (n < 0) continue;
      partial += static_cast<size_t>(n);
      size_t answered = partial / kResponseBytes;
      partial %= kResponseBytes;
      if (answered > 0) send(fd, requests.data(), answered * kRequestBytes, MSG_NOSIGNAL);
    }
    close(fd);
  }

  const int depth_;
  std::thread server_, client_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<pid_t> server_tid_{0};
  std::atomic<pid_t> client_tid_{0};
  std::string error_;
};

// iptables-restore input: `n` rules in OUTPUT that no reply matches.
std::string OutputRules(int n) {
  std::string rules = "*filter\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < n; ++i) {
    rules += "-A OUTPUT -d 10.251." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
             "/32 -p tcp -j DROP\n";
  }
  return rules + "COMMIT\n";
}

void LoadRules(const std::string& ns, int n) {
  if (n == 0) {
    // Unloaded, not flushed: no filter table, so no hook function between the bracket's two.
    Sh("ip netns exec " + ns + " nft delete table ip filter");
    return;
  }
  std::string path = "/tmp/tunescope-nf-accuracy-" + std::to_string(getpid());
  std::ofstream(path) << OutputRules(n);
  int rc = Sh("ip netns exec " + ns + " iptables-restore < " + path);
  std::remove(path.c_str());
  if (rc != 0) throw std::runtime_error("iptables-restore failed");
}

struct Phase {
  double requests = 0;
  double server_cpu_ns = 0;  // server thread run time
  double client_slices = 0;  // client thread switched in: one per wakeup by the server
  double cpu0_busy_ns = 0;   // /proc/stat, tick-sampled, includes everything else on CPU 0
  double probe_cpu0_ns = 0;  // probe: hook time on CPU 0, all hooks
  double probe_cpu1_ns = 0;  // probe: hook time on CPU 1
  double packets_cpu0 = 0;
  double nested_ns = 0;       // what a single stamp per CPU and hook would have lost
  double unpaired_exits = 0;  // samples the probe lost
  double per_request(double v) const { return requests > 0 ? v / requests : 0; }
  void Add(const Phase& p) {
    requests += p.requests;
    server_cpu_ns += p.server_cpu_ns;
    client_slices += p.client_slices;
    cpu0_busy_ns += p.cpu0_busy_ns;
    probe_cpu0_ns += p.probe_cpu0_ns;
    probe_cpu1_ns += p.probe_cpu1_ns;
    packets_cpu0 += p.packets_cpu0;
    nested_ns += p.nested_ns;
    unpaired_exits += p.unpaired_exits;
  }
};

Phase Measure(const probes::Probe& probe, const PipelinedLoad& load,
              std::chrono::milliseconds length) {
  const LabelFilter cpu0{{"cpu", "0"}}, cpu1{{"cpu", "1"}};
  auto m0 = probe.Collect();
  uint64_t r0 = load.requests();
  SchedStat s0 = ThreadSchedStat(load.server_tid()), c0 = ThreadSchedStat(load.client_tid());
  double b0 = CpuBusySeconds(0);
  std::this_thread::sleep_for(length);
  auto m1 = probe.Collect();
  uint64_t r1 = load.requests();
  SchedStat s1 = ThreadSchedStat(load.server_tid()), c1 = ThreadSchedStat(load.client_tid());
  double b1 = CpuBusySeconds(0);
  auto delta = [&](const char* name, const LabelFilter& f) {
    return SumValues(m1, name, f) - SumValues(m0, name, f);
  };
  Phase p;
  p.requests = static_cast<double>(r1 - r0);
  p.server_cpu_ns = static_cast<double>(s1.run_ns - s0.run_ns);
  p.client_slices = static_cast<double>(c1.slices - c0.slices);
  p.cpu0_busy_ns = (b1 - b0) * 1e9;
  p.probe_cpu0_ns = delta("tunescope_netfilter_seconds_total", cpu0) * 1e9;
  p.probe_cpu1_ns = delta("tunescope_netfilter_seconds_total", cpu1) * 1e9;
  p.packets_cpu0 = delta("tunescope_netfilter_packets_total", cpu0);
  p.nested_ns = delta("tunescope_netfilter_nested_seconds_total", {}) * 1e9;
  p.unpaired_exits = delta("tunescope_netfilter_unpaired_total", {{"end", "exit"}});
  return p;
}

// (probe - truth) / truth for one round: rules on, then off right after. A round where the
// rules added nothing agrees with no probe reading: its error is infinite.
double RoundError(const Phase& with, const Phase& without) {
  double truth = with.per_request(with.server_cpu_ns) - without.per_request(without.server_cpu_ns);
  if (truth <= 0) return std::numeric_limits<double>::infinity();
  return (with.per_request(with.probe_cpu0_ns) - truth) / truth;
}

// Rounds whose errors spread wider than this were measured on a disturbed host (a CI run's
// depth-1 rounds read -40%..+562% while the server took 160-250 us a request with or without
// the rules, 35-80 us on a quiet host): the test takes as many rounds again, once.
constexpr double kNoisySpread = 0.5;

struct Accuracy {
  double truth_ns = 0;  // CPU time per request the rules add to the server thread
  double probe_ns = 0;  // probe's hook time on CPU 0 per request, with the rules
  double error = 0;     // (probe - truth) / truth, the median of the rounds'
  std::vector<double> round_errors;
  Phase with, without;  // all rounds pooled

  void Judge() {
    truth_ns = with.per_request(with.server_cpu_ns) - without.per_request(without.server_cpu_ns);
    probe_ns = with.per_request(with.probe_cpu0_ns);
    error = Median(round_errors);
  }
  void Add(const Accuracy& more) {
    round_errors.insert(round_errors.end(), more.round_errors.begin(), more.round_errors.end());
    with.Add(more.with);
    without.Add(more.without);
    Judge();
  }
  bool Noisy() const {
    auto [low, high] = std::minmax_element(round_errors.begin(), round_errors.end());
    return *high - *low > kNoisySpread;
  }
};

// Alternates rules and no rules under one load; the probe is attached in the server namespace.
// The error is judged per round and their median taken: one round disturbed by the host (a CI
// run's pooled error read -49% where five others read -25..-27%) does not decide it.
Accuracy MeasureAccuracy(const VethPair& pair, const probes::Probe& probe, int depth, int rules) {
  constexpr int kRounds = 5;
  constexpr auto kPhase = std::chrono::milliseconds(1200);
  PipelinedLoad load(pair, depth);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  if (load.requests() == 0) throw std::runtime_error("no requests answered: " + load.error());
  Accuracy a;
  for (int round = 0; round < kRounds; ++round) {
    Phase with, without;
    for (int n : {rules, 0}) {
      LoadRules(pair.b_ns, n);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      Phase p = Measure(probe, load, kPhase);
      std::cout << "  depth " << depth << ", round " << round << ", " << n
                << " rules: " << p.requests << " requests, server "
                << p.per_request(p.server_cpu_ns) << " ns/request, probe cpu0 "
                << p.per_request(p.probe_cpu0_ns) << " ns/request, client wakeups "
                << p.per_request(p.client_slices) << "/request\n";
      (n ? with : without) = p;
    }
    a.round_errors.push_back(RoundError(with, without));
    std::cout << "  depth " << depth << ", round " << round << ": relative error "
              << a.round_errors.back() * 100 << "%\n";
    a.with.Add(with);
    a.without.Add(without);
  }
  load.Stop();
  if (!load.error().empty()) throw std::runtime_error(load.error());
  a.Judge();
  std::cout << "depth " << depth << ", " << rules << " OUTPUT rules: ground truth (server thread "
            << "run time with minus without) " << a.truth_ns << " ns/request; CPU 0 busy "
            << "(/proc/stat, whole CPU) "
            << a.with.per_request(a.with.cpu0_busy_ns) -
                   a.without.per_request(a.without.cpu0_busy_ns)
            << " ns/request\n  probe (bracket) cpu 0: " << a.probe_ns << " ns/request with the "
            << "rules, " << a.without.per_request(a.without.probe_cpu0_ns) << " without; "
            << a.with.packets_cpu0 / a.with.requests << " traversals/request; cpu 1 "
            << a.with.per_request(a.with.probe_cpu1_ns)
            << " ns/request\n  relative error (median of " << a.round_errors.size() << " rounds) "
            << a.error * 100 << "%; client wakeups per request "
            << a.with.per_request(a.with.client_slices) << " with, "
            << a.without.per_request(a.without.client_slices)
            << " without; nested traversals (lost by a single stamp) "
            << 100 * a.with.nested_ns / std::max(a.with.probe_cpu0_ns + a.with.probe_cpu1_ns, 1.0)
            << "% of hook time; unpaired exits " << a.with.unpaired_exits << "\n";
  return a;
}

// Bounds chosen from measurements on the 2-vCPU dev VM (docs/probes.md, "Accuracy against a ground
// truth"). One request in flight: every request costs the same path with and without the rules, so
// the difference is the rules' own cost, which the probe must match. The ground truth is noisy
// there: each request pays a client wakeup (~60-70 us of server run time on this VM), and one
// suite run saw 123 and 190 us per request in two rounds with the same rules (-39%).
constexpr double kMaxErrorOneInFlight = 0.45;
// 16 in flight: the rules slow the server, so fewer requests share each client wakeup and
// each receive; that extra per-request cost is real (unloading the rules removes it too) but
// is not hook time, so the probe reads low. Checked against a wider, one-sided bound.
constexpr double kMinErrorPipelined = -0.45;
constexpr double kMaxErrorPipelined = 0.15;

TEST(NetfilterAccuracy, BracketHookTimePerRequestMatchesTheCpuTheRulesAdd) {
  TUNESCOPE_REQUIRE_ROOT();
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs CPUs 0 and 1";
  // TS_NF_RULES=N reruns it with another rule count (how the gap scales; docs/probes.md).
  const int rules = getenv("TS_NF_RULES") ? atoi(getenv("TS_NF_RULES")) : 2000;
  VethPair pair;
  auto probe = InNetns(pair.b_ns, [] { return StartProbe("netfilter", "bracket"); });
  ASSERT_NE(probe, nullptr);

  for (int depth : {1, 16}) {
    Accuracy a = MeasureAccuracy(pair, *probe, depth, rules);
    if (a.Noisy()) {
      std::cout << "depth " << depth << ": rounds spread over more than " << kNoisySpread * 100
                << " points, a disturbed host: as many rounds again, all judged together\n";
      a.Add(MeasureAccuracy(pair, *probe, depth, rules));
      std::cout << "depth " << depth << ": relative error (median of " << a.round_errors.size()
                << " rounds) " << a.error * 100 << "%\n";
    }
    ASSERT_GT(a.with.requests, 1000);
    ASSERT_GT(a.without.requests, 1000);
    ASSERT_GT(a.truth_ns, 1000) << "the rules must add at least 1 us per request";
    if (depth == 1) {
      EXPECT_LT(std::abs(a.error), kMaxErrorOneInFlight) << "depth 1";
    } else {
      EXPECT_GT(a.error, kMinErrorPipelined) << "depth 16";
      EXPECT_LT(a.error, kMaxErrorPipelined) << "depth 16";
    }
    // Without rules the bracket's calibrated self cost leaves next to nothing.
    EXPECT_LT(a.without.per_request(a.without.probe_cpu0_ns), 0.05 * a.truth_ns);
    EXPECT_LT(a.with.unpaired_exits, 0.01 * a.with.packets_cpu0);
  }
}

}  // namespace
}  // namespace tunescope::testing
