#include "kernelstats/clock_read.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "host/median.h"
#include "host/result.h"
#include "host/text.h"
#include "metrics/family.h"
#include "probes/bpf_handles.h"
#include "probes/bpf_stats.h"

extern "C" {
#include "clock_read.bpf.h"
#include "clock_read.skel.h"
}

namespace tunescope::kernelstats {
namespace {

using host::Median;

struct SkelDeleter {
  void operator()(clock_read_bpf* s) const { clock_read_bpf__destroy(s); }
};

// Mean ns per run of `prog` over `repeat` runs in the kernel; errno-named error otherwise.
std::optional<double> TestRun(const bpf_program* prog, int repeat, std::string& error) {
  unsigned char packet[64] = {};  // XDP test runs want at least an Ethernet header
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof packet,
              .repeat = repeat);
  if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0) {
    error = ErrnoMessage(std::string("BPF_PROG_TEST_RUN of ") + bpf_program__name(prog), errno);
    return std::nullopt;
  }
  return static_cast<double>(opts.duration);
}

// The skeleton with only the programs named in `load`: a kernel that refuses one measurement's
// program (XDP, tp_btf) keeps the other measurement. nullptr with errno set.
clock_read_bpf* OpenAndLoad(std::initializer_list<std::string_view> load) {
  clock_read_bpf* skel = clock_read_bpf__open();
  if (skel == nullptr) return nullptr;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel->obj) {
    bpf_program__set_autoload(
        prog, std::find(load.begin(), load.end(), bpf_program__name(prog)) != load.end());
  }
  if (int err = clock_read_bpf__load(skel); err != 0) {
    clock_read_bpf__destroy(skel);
    errno = -err;
    return nullptr;
  }
  return skel;
}

double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// This thread's CPU seconds per call of `calls` prctl(PR_SET_NAME) calls that keep its name
// (each fires task:task_rename). CPU time, not wall time: on a busy host the thread is
// preempted, and what it waits then is not the calls' cost.
double TimeRenames(int calls, const char* name) {
  const double start = ThreadCpuSeconds();
  for (int i = 0; i < calls; ++i) ::prctl(PR_SET_NAME, name);
  return (ThreadCpuSeconds() - start) / calls;
}

}  // namespace

std::optional<double> MeasureBpfClockRead(int rounds, int repeat, std::string& error) {
  std::unique_ptr<clock_read_bpf, SkelDeleter> skel(
      OpenAndLoad({"ts_clock_reads", "ts_clock_base"}));
  if (!skel) {
    error = ErrnoMessage("loading the clock-read programs", errno);
    return std::nullopt;
  }
  std::vector<double> per_read;
  for (int r = 0; r < rounds; ++r) {
    // Alternated, so that a noisy neighbour slows both sides of a pair alike.
    auto base = TestRun(skel->progs.ts_clock_base, repeat, error);
    auto reads = TestRun(skel->progs.ts_clock_reads, repeat, error);
    if (!base || !reads) return std::nullopt;
    per_read.push_back(std::max(0.0, *reads - *base) / TS_CLOCK_LOOPS * 1e-9);
  }
  return Median(std::move(per_read));
}

std::optional<double> MeasureBpfRunOverhead(int rounds, int calls, std::string& error) {
  std::unique_ptr<clock_read_bpf, SkelDeleter> skel(OpenAndLoad({"ts_run_empty"}));
  if (!skel) {
    error = ErrnoMessage("loading the clock-read programs", errno);
    return std::nullopt;
  }
  probes::BpfStats stats;
  if (Status s = stats.Enable(); !s.ok()) {
    error = s.error();
    return std::nullopt;
  }
  char name[16] = {};
  if (::prctl(PR_GET_NAME, name) != 0) {
    error = ErrnoMessage("prctl(PR_GET_NAME)", errno);
    return std::nullopt;
  }
  bpf_program* prog = skel->progs.ts_run_empty;
  std::vector<double> per_run;
  for (int r = 0; r < rounds; ++r) {
    const double bare = TimeRenames(calls, name);
    const auto before = probes::ReadProgramRun(prog);
    probes::LinkPtr link(bpf_program__attach(prog));
    if (!link) {
      error = ErrnoMessage("attach ts_run_empty to task:task_rename", errno);
      return std::nullopt;
    }
    const double probed = TimeRenames(calls, name);
    link.reset();
    const auto after = probes::ReadProgramRun(prog);
    if (!before || !after || after->runs <= before->runs) {
      error = "the empty program's runs were not recorded";
      return std::nullopt;
    }
    const double recorded =
        (after->seconds - before->seconds) / static_cast<double>(after->runs - before->runs);
    per_run.push_back(probed - bare - recorded);
  }
  return std::max(0.0, Median(std::move(per_run)));
}

double MeasureUserClockRead(int rounds, int reads) {
  std::vector<double> per_read;
  for (int r = 0; r < rounds; ++r) {
    timespec ts{};
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reads; ++i) ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    per_read.push_back(took.count() / reads);
  }
  return Median(std::move(per_read));
}

std::string ReadClocksource(const host::HostPaths& paths) {
  auto source = host::ReadTextFile(paths.sys +
                                   "/devices/system/clocksource/clocksource0/current_clocksource");
  return source ? std::string(host::Trim(*source)) : "unknown";
}

ClockReadCost MeasureClockReadCost(const host::HostPaths& paths) {
  ClockReadCost cost;
  cost.clocksource = ReadClocksource(paths);
  // 7 pairs of 64 runs of 256 reads: ~0.1 s at 100 ns a read.
  cost.bpf_seconds = MeasureBpfClockRead(7, 64, cost.bpf_error);
  cost.vdso_seconds = MeasureUserClockRead(7, 20000);
  return cost;
}

void LogClockReadCost(const ClockReadCost& cost) {
  if (cost.bpf_seconds) {
    TS_LOG(kInfo) << "clock read (" << cost.clocksource << "): " << *cost.bpf_seconds * 1e9
                  << " ns in BPF, " << *cost.vdso_seconds * 1e9 << " ns clock_gettime";
  } else {
    TS_LOG(kWarn) << "clock read (" << cost.clocksource << "): " << cost.bpf_error
                  << "; exporting only clock_gettime's " << *cost.vdso_seconds * 1e9
                  << " ns, a userspace proxy";
  }
}

void ClockRead::Set(ClockReadCost cost) {
  std::lock_guard<std::mutex> lock(mu_);
  cost_ = std::move(cost);
}

std::vector<prometheus::MetricFamily> ClockRead::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  std::lock_guard<std::mutex> lock(mu_);
  if (!cost_) return out;
  auto family = metrics::GaugeFamily(
      "tunescope_clock_read_seconds",
      "Cost of one clock read on this host, measured at start: reader=\"bpf_ktime_get_ns\" in "
      "a BPF program (what a probe pays, about twice per timed event), "
      "reader=\"clock_gettime\" CLOCK_MONOTONIC in userspace (a proxy).");
  if (cost_->bpf_seconds) {
    family.Gauge({{"clocksource", cost_->clocksource}, {"reader", "bpf_ktime_get_ns"}},
                 *cost_->bpf_seconds);
  }
  if (cost_->vdso_seconds) {
    family.Gauge({{"clocksource", cost_->clocksource}, {"reader", "clock_gettime"}},
                 *cost_->vdso_seconds);
  }
  metrics::Append(out, std::move(family));
  return out;
}

}  // namespace tunescope::kernelstats
