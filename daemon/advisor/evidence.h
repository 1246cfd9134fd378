// What the rules read: one Evidence value per measuring window. It holds the deltas of the
// probes' metric families over the window (two MetricSnapshots), the host facts, and the CPU
// time of the host and of the target server over the same window. Rules ask for numbers by
// metric name; a metric whose family is absent means "that probe does not run here", so a rule
// can say "not measured here: needs probe X" and starts working when the probe lands.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/host_facts.h"

namespace tunescope::advisor {

using LabelSet = std::map<std::string, std::string, std::less<>>;

struct Sample {
  LabelSet labels;
  double value = 0;  // counter or gauge value; for histograms the sample count
  double sum = 0;    // histograms: sample sum
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

// CPU time read from /proc over the window.
struct CpuTimes {
  std::optional<double> host_busy_seconds;   // all CPUs, /proc/stat minus idle and iowait
  std::optional<double> target_cpu_seconds;  // utime+stime of the target's threads
  std::string target_reason;                 // why target_cpu_seconds is absent
  std::vector<int> target_cpus;              // CPUs the target's threads ran on last
  std::optional<int> numa_nodes;             // /sys/devices/system/node/nodeN count
};

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
  const CpuTimes& cpu() const { return cpu_; }

  // Is the metric exported at all (its probe runs)?
  bool Has(std::string_view family) const { return after_.Has(family); }
  // Sum over matching samples of (after - before) for a counter; nullopt when the family is
  // absent. Series that appear during the window count from zero.
  std::optional<double> CounterDelta(std::string_view family, const LabelFilter& filter = {}) const;
  // Per-label breakdown of a counter delta (e.g. by "device").
  std::map<std::string, double> CounterDeltaBy(std::string_view family,
                                               std::string_view label) const;
  std::optional<HistogramDelta> Histogram(std::string_view family,
                                          const LabelFilter& filter = {}) const;

  // The CPU seconds of the server the advisor tunes, and how they were counted: the target's
  // own CPU time plus network softirq time (where the kernel's share of the server's work is
  // accounted), or without a target the busy time of the whole host.
  struct ServerCpu {
    double seconds = 0;
    std::string basis;
  };
  std::optional<ServerCpu> ServerCpuSeconds() const;

 private:
  MetricSnapshot before_;
  MetricSnapshot after_;
  double window_seconds_;
  std::shared_ptr<const host::HostFacts> host_before_;
  std::shared_ptr<const host::HostFacts> host_;
  CpuTimes cpu_;
};

// Reading CPU times from /proc (paths.proc).
std::optional<double> ReadHostBusySeconds(const host::HostPaths& paths);
std::optional<int> ReadNumaNodes(const host::HostPaths& paths);
// utime+stime of processes `pids` (all their threads) and of every thread named one of
// `comms`; nullopt with a reason when none was found.
struct TargetCpuSample {
  std::optional<double> seconds;
  std::string reason;
  std::vector<int> cpus;  // "processor" field of each thread's stat
};
TargetCpuSample ReadTargetCpu(const host::HostPaths& paths, const std::vector<int>& pids,
                              const std::vector<std::string>& comms);

// Parses one /proc/PID/stat line: utime+stime clock ticks and the last CPU; nullopt if
// malformed. The comm field may hold spaces and parentheses: fields are counted after the last
// ')'.
struct StatLine {
  unsigned long long ticks = 0;
  int cpu = -1;
};
std::optional<StatLine> ParseStatLine(std::string_view line);

}  // namespace tunescope::advisor
