// Attach windows (serve --window) on the running kernel: windowed probes lose their bpf_links
// between windows and get them back, keep their programs and counters loaded, count only while
// attached, and never pair an event from before a gap with one after it.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "metric_lookup.h"
#include "probes/bpf_handles.h"
#include "probes/catalogue.h"
#include "probes/probe_set.h"
#include "probes/window_scheduler.h"
#include "require_root.h"
#include "softirq.bpf.h"
#include "workload.h"

namespace tunescope::testing {
namespace {

using std::chrono::milliseconds;

// bpf_links on the system whose program is one of `probe`'s.
size_t LinkCount(const probes::Probe& probe) {
  std::set<uint32_t> prog_ids;
  for (const bpf_program* prog : probe.LoadedPrograms()) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0) prog_ids.insert(info.id);
  }
  size_t count = 0;
  uint32_t id = 0;
  while (bpf_link_get_next_id(id, &id) == 0) {
    probes::UniqueFd fd(bpf_link_get_fd_by_id(id));
    if (!fd.valid()) continue;  // went away meanwhile
    bpf_link_info info{};
    uint32_t len = sizeof(info);
    if (bpf_link_get_info_by_fd(fd.get(), &info, &len) == 0 && prog_ids.count(info.prog_id) != 0)
      ++count;
  }
  return count;
}

double AttachedSeconds(const probes::ProbeSet& set, const std::string& probe) {
  return SumValues(set.Collect(), "tunescope_probe_attached_seconds_total", {{"probe", probe}});
}

double RequestCount(const probes::ProbeSet& set) {
  auto buckets = Buckets(set.Collect(), "tunescope_request_latency_seconds");
  return buckets.empty() ? 0 : buckets.rbegin()->second;
}

// A connected TCP pair on loopback: the server end's local port is what reqlat watches.
struct LoopbackPair {
  probes::UniqueFd listener, client, server;
  uint16_t port = 0;

  bool Open() {
    listener.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener.get(), 1) != 0 ||
        getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return false;
    }
    port = ntohs(addr.sin_port);
    client.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
    server.reset(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    return server.valid();
  }

  // The request's bytes arrive on the server socket (reqlat stamps the arrival).
  bool Request() {
    char buf[16];
    return send(client.get(), "ping", 4, 0) == 4 && recv(server.get(), buf, sizeof(buf), 0) == 4;
  }
  // The server writes its response (reqlat takes the sample) and the client reads it.
  bool Respond() {
    char buf[16];
    return send(server.get(), "pong", 4, 0) == 4 && recv(client.get(), buf, sizeof(buf), 0) == 4;
  }
};

// reqlat in socket mode, windowed, watching a loopback pair's server end, with softirq
// attached for good beside it.
class ReqlatWindows : public ::testing::Test {
 protected:
  void SetUp() override {
    TUNESCOPE_REQUIRE_ROOT();
    ASSERT_TRUE(pair_.Open());
    set_->Add(probes::FindProbe("softirq")->make());
    set_->Add(probes::FindProbe("reqlat")->make(), "socket", false, /*windowed=*/true);
    probes::ProbeConfig config;
    config.target_ports = {pair_.port};
    set_->StartAll(config);
    ASSERT_NE(set_->Running("reqlat"), nullptr);
  }
  void TearDown() override { set_->StopAll(); }

  LoopbackPair pair_;
  std::shared_ptr<probes::ProbeSet> set_ = std::make_shared<probes::ProbeSet>();
};

TEST(AttachWindows, WindowedProbesLoseTheirLinksBetweenWindowsOnly) {
  TUNESCOPE_REQUIRE_ROOT();
  probes::ProbeSet set;
  set.Add(probes::FindProbe("hardirq")->make());
  std::vector<std::string> windowed;
  for (const auto& entry : probes::Catalogue()) {
    if (entry.attachment != probes::Attachment::kWindowed) continue;
    set.Add(entry.make(), "", /*allow_opt_in=*/true, /*windowed=*/true);
    windowed.emplace_back(entry.name);
  }
  ASSERT_FALSE(windowed.empty());
  probes::ProbeConfig config;
  config.target_ports = {8080};
  config.xdp_iface = "lo";  // xcpu's XDP link stays between windows (driver queue resets)
  set.StartAll(config);
  for (const auto& status : set.Statuses()) ASSERT_TRUE(status.up) << status.name << status.error;
  const probes::Probe* hardirq = set.Running("hardirq");
  const size_t hardirq_links = LinkCount(*hardirq);
  EXPECT_GT(hardirq_links, 0u);
  std::map<std::string, size_t> links;
  for (const std::string& name : windowed) {
    links[name] = LinkCount(*set.Running(name));
    EXPECT_GT(links[name], 0u) << name;
  }

  set.DetachWindowed();
  EXPECT_EQ(LinkCount(*hardirq), hardirq_links) << "hardirq stays attached";
  for (const std::string& name : windowed) {
    const probes::Probe* probe = set.Running(name);
    ASSERT_NE(probe, nullptr) << name << " must stay up between windows";
    EXPECT_FALSE(probe->LoadedPrograms().empty()) << name << " keeps its programs loaded";
    EXPECT_EQ(LinkCount(*probe), name == "xcpu" ? 1u : 0u) << name;
  }
  const double detached_at = AttachedSeconds(set, "reqlat");
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(AttachedSeconds(set, "reqlat"), detached_at) << "no attached time while detached";
  EXPECT_GT(AttachedSeconds(set, "hardirq"), detached_at + 0.25);

  set.ReattachWindowed();
  for (const std::string& name : windowed) {
    ASSERT_NE(set.Running(name), nullptr) << name;
    EXPECT_EQ(LinkCount(*set.Running(name)), links[name]) << name;
  }
  EXPECT_GT(AttachedSeconds(set, "reqlat"), detached_at);
  set.StopAll();
}

// A request that arrived before a gap and is answered after it must not give a sample as long
// as the gap: Reattach clears the arrival stamps.
TEST_F(ReqlatWindows, RequestAnsweredAfterAGapGivesNoSample) {
  ASSERT_TRUE(pair_.Request());
  set_->DetachWindowed();
  std::this_thread::sleep_for(milliseconds(300));
  set_->ReattachWindowed();
  ASSERT_TRUE(pair_.Respond());
  EXPECT_EQ(RequestCount(*set_), 0) << "a stamp from before the gap paired with a send after it";

  // The probe measures again after the gap.
  ASSERT_TRUE(pair_.Request());
  ASSERT_TRUE(pair_.Respond());
  auto buckets = Buckets(set_->Collect(), "tunescope_request_latency_seconds");
  ASSERT_FALSE(buckets.empty());
  EXPECT_EQ(buckets.rbegin()->second, 1);
  EXPECT_LT(QuantileUpperBound(buckets, 1.0), 0.1);
}

// The map of `probe` called `name`, found through the maps its programs use.
probes::UniqueFd ProbeMap(const probes::Probe& probe, const std::string& name) {
  for (const bpf_program* prog : probe.LoadedPrograms()) {
    uint32_t ids[64];
    bpf_prog_info info{};
    info.nr_map_ids = 64;
    info.map_ids = reinterpret_cast<uintptr_t>(ids);
    uint32_t len = sizeof(info);
    if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) continue;
    for (uint32_t i = 0; i < std::min(info.nr_map_ids, 64u); ++i) {
      probes::UniqueFd fd(bpf_map_get_fd_by_id(ids[i]));
      bpf_map_info map{};
      uint32_t map_len = sizeof(map);
      if (fd.valid() && bpf_map_get_info_by_fd(fd.get(), &map, &map_len) == 0 && name == map.name)
        return fd;
    }
  }
  return probes::UniqueFd();
}

// softirq keeps its run counters and its start stamps in one per-CPU value: a re-attach must
// drop a stamp left by a run cut by the detach (its exit would pair with it across the gap)
// and keep the counters.
TEST(AttachWindows, SoftirqDropsStartStampsAndKeepsRunCounts) {
  TUNESCOPE_REQUIRE_ROOT();
  probes::ProbeSet set;
  set.Add(probes::FindProbe("softirq")->make(), "", false, /*windowed=*/true);
  probes::ProbeConfig config;
  config.softirq_sample = 1;
  set.StartAll(config);
  ASSERT_NE(set.Running("softirq"), nullptr);
  LoopbackTcpTransfer(1u << 20);
  set.DetachWindowed();
  probes::UniqueFd fd = ProbeMap(*set.Running("softirq"), "cpu_state");
  ASSERT_TRUE(fd.valid());
  const uint32_t zero = 0;
  auto before = probes::ReadPerCpu<softirq_cpu_state>(fd.get(), &zero);
  ASSERT_TRUE(before);
  const uint64_t planted = 12345;  // a start stamp from long ago, on every CPU
  auto stale = *before;
  for (softirq_cpu_state& s : stale) s.entry_ns = s.net_rx_raised_ns = planted;
  ASSERT_EQ(bpf_map_update_elem(fd.get(), &zero, stale.data(), BPF_ANY), 0);
  const double runs_before = SumValues(set.Collect(), "tunescope_softirq_runs_total");
  ASSERT_GT(runs_before, 0);

  set.ReattachWindowed();
  auto after = probes::ReadPerCpu<softirq_cpu_state>(fd.get(), &zero);
  ASSERT_TRUE(after);
  for (size_t cpu = 0; cpu < after->size(); ++cpu) {
    EXPECT_NE((*after)[cpu].entry_ns, planted) << "cpu " << cpu;
    EXPECT_NE((*after)[cpu].net_rx_raised_ns, planted) << "cpu " << cpu;
    for (int v = 0; v < TS_NR_SOFTIRQS; ++v)
      EXPECT_GE((*after)[cpu].runs[v], (*before)[cpu].runs[v]);
  }
  EXPECT_GE(SumValues(set.Collect(), "tunescope_softirq_runs_total"), runs_before);
  set.StopAll();
}

// The scheduler's windows: requests count while attached, not in the gaps; the attached time is
// the windows' share of the run, and slow hooks outside the window (the advisor's host facts)
// do not lengthen it.
TEST_F(ReqlatWindows, SchedulerCountsOnlyInsideWindows) {
  std::atomic<bool> stop = false;
  std::thread client([&] {
    while (!stop && pair_.Request() && pair_.Respond())
      std::this_thread::sleep_for(milliseconds(1));
  });
  struct Mark {
    double requests;
    double attached_seconds;
  };
  std::mutex mutex;
  std::vector<Mark> at_open, at_close;  // right after each attach, right after each detach
  auto mark = [&](std::vector<Mark>& marks) {
    std::lock_guard lock(mutex);
    marks.push_back({RequestCount(*set_), AttachedSeconds(*set_, "reqlat")});
  };
  const auto slow = [] { std::this_thread::sleep_for(milliseconds(150)); };
  const probes::AttachWindow window{milliseconds(200), milliseconds(600)};
  probes::WindowScheduler scheduler(set_, window,
                                    {slow, [&] { mark(at_open); }, nullptr,
                                     [&] {
                                       mark(at_close);
                                       slow();
                                     }});
  const auto start = std::chrono::steady_clock::now();
  scheduler.Start();
  std::this_thread::sleep_for(milliseconds(2100));  // windows from 150, 750, 1350, 1950 ms
  scheduler.Stop();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  stop = true;
  client.join();

  std::lock_guard lock(mutex);
  ASSERT_GE(at_close.size(), 3u);
  ASSERT_GE(at_open.size(), at_close.size());
  for (size_t k = 0; k + 1 < at_close.size(); ++k) {
    const double inside = at_close[k].requests - at_open[k].requests;
    const double gap = at_open[k + 1].requests - at_close[k].requests;
    EXPECT_GT(inside, 20) << "window " << k;
    // Attached for good, the 400 ms gap would count about twice the 200 ms window; detached, only
    // the exchanges of the attach itself may count.
    EXPECT_LT(gap, inside * 0.25) << "window " << k << ": " << gap << " requests in the gap";
  }
  // The first window began at StartAll; the others last 200 ms plus the detach itself, not
  // the 150 ms hooks before the attach and after the detach.
  for (size_t k = 1; k < at_close.size(); ++k) {
    const double attached = at_close[k].attached_seconds - at_open[k].attached_seconds;
    EXPECT_GT(attached, 0.19) << "window " << k;
    EXPECT_LT(attached, 0.29) << "window " << k;
  }
  const double windowed = AttachedSeconds(*set_, "reqlat");
  const double always = AttachedSeconds(*set_, "softirq");
  EXPECT_GT(always, elapsed.count() - 0.05);
  EXPECT_GT(windowed, 0.2 * static_cast<double>(at_close.size()));
  EXPECT_LT(windowed / always, 0.5) << windowed << " s of " << always << " s";
}

}  // namespace
}  // namespace tunescope::testing
