// What the rules read: one Evidence value per measuring window. It holds the deltas of the
// probes' metric families over the window (two MetricSnapshots), the host facts, and the CPU
// time of the host and of the target server over the same window. Rules ask for numbers by
// metric name; a metric whose family is absent means "that probe does not run here", so a rule
// can say "not measured here: needs probe X" and starts working when the probe lands.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/cpu_accounting.h"
#include "host/host_facts.h"

namespace tunescope::advisor {

using LabelSet = std::map<std::string, std::string, std::less<>>;

struct Sample {
  LabelSet labels;
  double value = 0;                  // counter or gauge value; for histograms the sample count
  double sum = 0;                    // histograms: sample sum
  std::map<double, double> buckets;  // histograms: le -> cumulative count
};

// The samples of every family at one moment, keyed by family name.
class MetricSnapshot {
 public:
  MetricSnapshot() = default;
  explicit MetricSnapshot(const std::vector<prometheus::MetricFamily>& families);
  bool Has(std::string_view family) const { return families_.find(family) != families_.end(); }
  const std::vector<Sample>* Find(std::string_view family) const;
  // Adds one sample (tests build fixture snapshots with it).
  void Add(std::string family, Sample sample);

 private:
  std::map<std::string, std::vector<Sample>, std::less<>> families_;
};

// Label filter: every named label must have the given value.
using LabelFilter = std::map<std::string, std::string>;

struct HistogramDelta {
  double count = 0;
  double sum = 0;
  std::map<double, double> buckets;  // cumulative, le -> count
  // Upper bound of the bucket holding quantile q; nullopt without samples.
  std::optional<double> QuantileUpperBound(double q) const;
  std::optional<double> Mean() const;
};

// The kernel's own CPU accounting over the window (/proc/stat, /proc/PID/task/TID/stat and
// schedstat).
struct CpuTimes {
  std::map<int, double> cpu_busy_seconds;   // per CPU: busy (not idle, not iowait) time
  std::optional<double> host_busy_seconds;  // all CPUs
  // The target server's threads (absent without a target or when none was found): CPU time
  // (utime+stime), and the scheduler's own run and run-queue wait time (schedstat).
  std::optional<double> target_cpu_seconds;
  std::optional<double> target_run_seconds;
  std::optional<double> target_wait_seconds;
  double target_timeslices = 0;
  std::string target_reason;     // why the target's numbers are absent
  std::vector<int> target_cpus;  // the CPUs the target's busy threads ran on
  // Run time of every other user-space thread last seen on those CPUs (schedstat): what the
  // target's run-queue waits can have been spent behind, and no part of the server's work.
  // Kernel threads stay out: ksoftirqd and kworkers run the CPU's own work, often the server's.
  std::optional<double> others_run_seconds;
  std::optional<int> numa_nodes;
};

// One reading of the accounting; two of them give a CpuTimes.
struct CpuSnapshot {
  Result<host::CpuBusy> busy = Result<host::CpuBusy>::Error("not read");
  std::vector<host::ThreadAccounting> threads;
  std::vector<host::ThreadRun> all_threads;  // with a target: everyone, for who else ran there
  bool target_given = false;
};
CpuSnapshot ReadCpuSnapshot(const host::HostPaths& paths, const std::vector<int>& pids,
                            const std::vector<std::string>& comms);
CpuTimes CpuDelta(const CpuSnapshot& before, const CpuSnapshot& after);

class Evidence {
 public:
  // `host_before` (may be null) is read at the start of the window, `host` at its end; the
  // /proc counters in them give deltas (listen overflows, softnet drops).
  Evidence(MetricSnapshot before, MetricSnapshot after, double window_seconds,
           std::shared_ptr<const host::HostFacts> host_before,
           std::shared_ptr<const host::HostFacts> host, CpuTimes cpu);

  double window_seconds() const { return window_seconds_; }
  const host::HostFacts& host() const { return *host_; }
  const host::HostFacts* host_before() const { return host_before_.get(); }
  // Delta of a TCP counter of the host facts over the window; nullopt when unknown.
  std::optional<double> TcpDelta(std::optional<std::int64_t> host::TcpCounters::*field) const;
  // The same in the daemon's own namespace, for a target in another one.
  std::optional<double> OwnTcpDelta(std::optional<std::int64_t> host::TcpCounters::*field) const;
  // TCP counters over a phase with no probe attached (advise's first seconds): what depends on
  // the server's pace, such as listen-queue drops, without the probes' cost in it. `own_*`:
  // the daemon's namespace's, when the target's may be another.
  struct UnprobedTcp {
    host::TcpCounters before, after;
    std::optional<host::TcpCounters> own_before, own_after;
    double seconds = 0;
    std::optional<double> Delta(std::optional<std::int64_t> host::TcpCounters::*field) const;
    std::optional<double> OwnDelta(std::optional<std::int64_t> host::TcpCounters::*field) const;
  };
  const std::optional<UnprobedTcp>& unprobed_tcp() const { return unprobed_tcp_; }
  void SetUnprobedTcp(UnprobedTcp tcp) { unprobed_tcp_ = std::move(tcp); }
  const CpuTimes& cpu() const { return cpu_; }

  // Is the metric exported at all (its probe runs)?
  bool Has(std::string_view family) const { return after_.Has(family); }
  // Sum over matching samples of (after - before) for a counter; nullopt when the family is
  // absent. Series that appear during the window count from zero.
  std::optional<double> CounterDelta(std::string_view family, const LabelFilter& filter = {}) const;
  // The label sets of a family's series at the window's end (e.g. an info metric's).
  std::vector<LabelSet> Series(std::string_view family) const;
  // A family's samples at the window's end (a gauge's state); nullptr when it is not exported.
  const std::vector<Sample>* AtEnd(std::string_view family) const { return after_.Find(family); }
  // Per-label breakdown of a counter delta (e.g. by "device").
  std::map<std::string, double> CounterDeltaBy(std::string_view family,
                                               std::string_view label) const;
  std::optional<HistogramDelta> Histogram(std::string_view family,
                                          const LabelFilter& filter = {}) const;

  // The basis every removed cost is divided by: the busy time of the CPUs the target's threads
  // ran on (a saturated server is limited by those CPUs, not by work elsewhere), less the time
  // tunescope's own programs took there; without a target, the whole host.
  struct ServerCpu {
    double seconds = 0;        // busy time of the server's CPUs, tunescope's programs taken out
    double capacity = 0;       // the window times the number of those CPUs
    double probe_seconds = 0;  // tunescope's programs' share of those CPUs (BPF stats)
    double local_client_seconds = 0;  // NET_RX there for clients on this host
    double others_seconds = 0;        // other processes' threads there (CpuTimes)
    std::vector<int> cpus;            // empty: the whole host
    std::string basis;
    // Busy at least 90% of the window: more req/s needs less CPU per request. Below that the
    // payoff of removing a cost is CPU headroom, not req/s.
    double busy() const { return seconds + probe_seconds + local_client_seconds + others_seconds; }
    static constexpr double kSaturated = 0.9;
    bool saturated() const { return capacity > 0 && busy() >= kSaturated * capacity; }
    double busy_share() const { return capacity > 0 ? busy() / capacity : 0; }
  };
  std::optional<ServerCpu> ServerCpuSeconds() const;
  // What each run of one of our tracepoint programs cost beyond the run time BPF statistics
  // recorded for it (measured at start; 0 when it was not).
  double UnrecordedSecondsPerRun() const;
  // Delta of a counter summed over the server's CPUs (its "cpu" label); a family without a cpu
  // label, or a window without known server CPUs, sums every series.
  std::optional<double> OnServerCpus(std::string_view family, const LabelFilter& filter = {}) const;
  // The same over the series of the given CPUs (a family without a cpu label: every series).
  std::optional<double> OnCpus(std::string_view family, const LabelFilter& filter,
                               const std::vector<int>& cpus) const;
  // RPS queues of the devices that carry the target's traffic (lo when most of its peers are on
  // this host; for a server in a container, the peer of its veth here) whose masks send
  // every received packet to CPUs the server does not run on, as "lo rx-0 -> CPU 1".
  std::vector<std::string> RpsAwayFromServer() const;
  // Where the server's clients on this host ran (their threads' last CPUs) and how busy those
  // CPUs were in the window; absent when one of them is the server's too (their times cannot
  // be told apart there) or the clients are not known.
  struct ClientCpus {
    std::vector<int> cpus;
    std::string names;        // "wrk[1234]"
    double busy_seconds = 0;  // of those CPUs in the window
    double busy_share = 0;
    bool saturated() const { return busy_share >= ServerCpu::kSaturated; }
    // Their CPUs saturated and the server's not: they, not the server, cap its req/s.
    bool SetThePace(const ServerCpu& server) const { return saturated() && !server.saturated(); }
  };
  std::optional<ClientCpus> LocalClientCpus() const;

  // The two halves of the window, when it was split (Window::MarkHalf): confidence is the
  // agreement of the predictions made on each.
  const Evidence* half(int i) const { return halves_[i].get(); }
  void SetHalves(std::shared_ptr<const Evidence> first, std::shared_ptr<const Evidence> second) {
    halves_[0] = std::move(first);
    halves_[1] = std::move(second);
  }

 private:
  // Most of the target port's connections come from this host (over lo).
  bool LocalPeers() const;
  std::optional<double> SumDeltas(std::string_view family,
                                  const std::function<bool(const LabelSet&)>& keep) const;

  MetricSnapshot before_;
  MetricSnapshot after_;
  double window_seconds_;
  std::shared_ptr<const host::HostFacts> host_before_;
  std::shared_ptr<const host::HostFacts> host_;
  CpuTimes cpu_;
  std::shared_ptr<const Evidence> halves_[2];
  std::optional<UnprobedTcp> unprobed_tcp_;
};

std::optional<int> ReadNumaNodes(const host::HostPaths& paths);

}  // namespace tunescope::advisor
