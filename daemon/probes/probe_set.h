// Starts the chosen probes, each in the best mode this kernel supports (or a forced one), keeps
// running the others when one fails, and exports probe health next to the probes' own metrics.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "probes/bpf_stats.h"
#include "probes/probe.h"

namespace tunescope::probes {

// The error of a probe that StartAll has not tried yet.
inline constexpr std::string_view kNotStartedYet = "starting";

struct ProbeStatus {
  std::string name;
  bool up = false;
  std::string mode;   // chosen mode when up
  std::string error;  // why each tried mode failed, when down
};

// Picks the modes to try: only the forced one, or all best first (opt-in modes only when
// allowed).
std::vector<const ProbeMode*> ModesToTry(std::span<const ProbeMode> modes, std::string_view forced,
                                         bool allow_opt_in);

class ProbeSet : public prometheus::Collectable {
 public:
  // allow_opt_in: the user asked for this probe by name, so costly modes may be chosen.
  // windowed: attached only inside the windows of DetachWindowed/ReattachWindowed.
  void Add(std::unique_ptr<Probe> probe, std::string forced_mode = "", bool allow_opt_in = false,
           bool windowed = false);
  // Starts every probe; returns how many are up.
  size_t StartAll(const ProbeConfig& config);
  void StopAll();

  // Attach windows (--window): detach, or attach again, the windowed probes that are up. A
  // probe that cannot attach again is stopped and reported down with the reason.
  void DetachWindowed();
  void ReattachWindowed();
  bool HasWindowed() const;
  // Tells the probes that are up that BPF statistics went on (Probe::StatsChanged).
  void StatsChanged();

  // Cumulative run time of the loaded programs (kernel BPF statistics: it grows only while
  // statistics are on), split by how they attach: what --overhead-budget accounts.
  struct ProgramTime {
    double windowed_s = 0;
    double continuous_s = 0;
  };
  ProgramTime ProgramRunTime() const;
  // From now on Collect() exports the programs' run time even when statistics are off (the
  // budget turns them on only inside windows: the counters must not come and go).
  void ExportProgramStats();

  // Kernel BPF statistics on until StopAll() (the advisor takes tunescope's own program time
  // out of the server's CPU); Collect() then exports every program's run time.
  Status EnableProgramStats();

  std::vector<ProbeStatus> Statuses() const;
  // The probe with this name if it is up (for the advisor), else nullptr.
  const Probe* Running(std::string_view name) const;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Entry {
    std::unique_ptr<Probe> probe;
    std::string forced_mode;
    bool allow_opt_in;
    bool windowed;
    ProbeStatus status;
    // Attached time, exported so that rates can be taken per attached second.
    std::optional<std::chrono::steady_clock::time_point> attached_since;
    double attached_seconds = 0;
  };
  static void MarkDetached(Entry& e);
  // When statistics first go on: what a run costs beyond the run time they record for it. A
  // span that times across programs holds that much of ours per run inside it.
  void MeasureRunOverhead();
  mutable std::shared_mutex mutex_;
  std::vector<Entry> entries_;
  BpfStats program_stats_;
  std::atomic<bool> export_program_stats_{false};
  std::once_flag run_overhead_once_;
  std::atomic<double> run_overhead_s_{-1};  // < 0: not measured
};

}  // namespace tunescope::probes
