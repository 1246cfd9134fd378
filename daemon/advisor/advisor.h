// Evaluates every catalogue entry on one Evidence window and ranks the predictions:
// measured throughput payoffs first (largest ratio first), then measured latency payoffs
// (most latency removed first), then documented tunings whose cause was found here (no figure),
// then documented-only payoffs (the source's number, largest first), then tunings that cannot be
// judged here, that show nothing to gain, and that are already applied, each with its reason. A
// measured number outranks a borrowed one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "advisor/catalogue.h"
#include "advisor/evidence.h"
#include "host/host_facts.h"

namespace prometheus {
class Collectable;
}

namespace tunescope::advisor {

struct Advice {
  std::vector<Prediction> ranked;  // rank 1 first
  double window_seconds = 0;
  // When the ranking was made, at its window's end: serve's advice is as old as its last
  // window (windows skipped under --overhead-budget refresh nothing).
  std::chrono::system_clock::time_point finished{};
  std::string server_cpu_basis;  // how the server's CPU time was counted, or why not
  // The target's network namespace when it is not the daemon's, and what was read there;
  // "unknown (...)" when its link could not be read; "" otherwise.
  std::string network_namespace;
  // The target's pid when it is in another namespace: `experiment` runs there (nsenter).
  std::optional<int> netns_pid;
  std::vector<std::string> probes_up;
  std::vector<std::string> probes_down;  // "name: reason"
};

// Sorts predictions into the ranking order above and numbers them from 1.
void Rank(std::vector<Prediction>& predictions);

Advice Advise(const Evidence& evidence);

// What a measuring window needs from the outside: the probes' metric families now, and who
// the target is.
struct MeasureSources {
  std::function<std::vector<prometheus::MetricFamily>()> collect;
  host::HostPaths paths;
  std::vector<int> target_pids;
  std::vector<std::string> target_comms;
  std::optional<unsigned> target_port;
  bool query_kernel = true;
};

// One window: the constructor reads everything, Finish() reads again and builds the Evidence.
// The host facts are slow to read (sysfs, netlink), so they are read outside the measured
// interval: before it starts, and after its fast reads (Stop) at the end.
class Window {
 public:
  explicit Window(const MeasureSources& sources);
  // With host facts read just before (serve reads them before its probes attach).
  Window(const MeasureSources& sources, std::shared_ptr<const host::HostFacts> host);

  // The fast reads that end the window: metrics, CPU accounting, elapsed time.
  struct End {
    MetricSnapshot metrics;
    CpuSnapshot cpu;
    double elapsed = 0;
  };
  End Stop() const;
  // The same reads in the middle of the window: Finish() then also judges each half, and the
  // predictions' confidence is how well the halves agree.
  void MarkHalf() { half_ = Stop(); }
  bool half_marked() const { return half_.has_value(); }
  // Reads the host facts again and builds the Evidence of the window that `end` closed.
  Evidence Finish(End end) const;
  Evidence Finish() const { return Finish(Stop()); }
  double Elapsed() const;
  // The CPUs the target's threads last ran on when the window opened.
  std::vector<int> TargetCpusAtStart() const;

 private:
  const MeasureSources* sources_;
  std::shared_ptr<const host::HostFacts> host_;
  std::chrono::steady_clock::time_point start_;
  MetricSnapshot metrics_;
  CpuSnapshot cpu_;
  std::optional<End> half_;
};

std::shared_ptr<const host::HostFacts> CollectHost(const MeasureSources& sources);

}  // namespace tunescope::advisor
