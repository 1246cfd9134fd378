#include "probes/probe_set.h"

#include <mutex>

#include "core/log.h"
#include "kernelstats/clock_read.h"
#include "metrics/family.h"
#include "probes/bpf_stats_metrics.h"
#include "probes/probe_set_metrics.h"

namespace tunescope::probes {

std::vector<const ProbeMode*> ModesToTry(std::span<const ProbeMode> modes, std::string_view forced,
                                         bool allow_opt_in) {
  std::vector<const ProbeMode*> out;
  for (const ProbeMode& m : modes) {
    if (forced.empty() ? (!m.opt_in || allow_opt_in) : m.name == forced) out.push_back(&m);
  }
  return out;
}

namespace {

// Why the opt-in modes that were passed over were not tried, for the probe's error text.
std::string SkippedOptInModes(const Probe& probe, const std::string& forced, bool allow_opt_in) {
  if (!forced.empty() || allow_opt_in) return "";
  std::string out;
  for (const ProbeMode& m : probe.modes()) {
    if (!m.opt_in) continue;
    out += (out.empty() ? "" : "; ") + std::string("mode ") + std::string(m.name) +
           ": opt-in, not tried (choose it with --" + std::string(probe.name()) +
           "-mode=" + std::string(m.name) + " or name the probe in --probes)";
  }
  return out;
}

}  // namespace

void ProbeSet::Add(std::unique_ptr<Probe> probe, std::string forced_mode, bool allow_opt_in,
                   bool windowed) {
  std::unique_lock lock(mutex_);
  Entry e{std::move(probe), std::move(forced_mode), allow_opt_in, windowed, {}, {}, 0};
  e.status.name = std::string(e.probe->name());
  e.status.error = std::string(kNotStartedYet);  // serve listens before the probes start
  entries_.push_back(std::move(e));
}

size_t ProbeSet::StartAll(const ProbeConfig& config) {
  std::unique_lock lock(mutex_);
  size_t up = 0;
  for (Entry& e : entries_) {
    e.status.up = false;
    e.status.error.clear();
    for (const ProbeMode* mode : ModesToTry(e.probe->modes(), e.forced_mode, e.allow_opt_in)) {
      Status s = e.probe->Start(*mode, config);
      if (s.ok()) {
        e.status.up = true;
        e.status.mode = std::string(mode->name);
        TS_LOG(kInfo) << "probe " << e.status.name << ": running in mode " << mode->name;
        e.status.error.clear();  // the modes passed over are logged at debug level
        break;
      }
      std::string why = "mode " + std::string(mode->name) + ": " + s.error();
      TS_LOG(kDebug) << "probe " << e.status.name << ": " << why;
      e.status.error += (e.status.error.empty() ? "" : "; ") + why;
    }
    if (!e.status.up) {
      std::string skipped = SkippedOptInModes(*e.probe, e.forced_mode, e.allow_opt_in);
      if (!skipped.empty()) e.status.error += (e.status.error.empty() ? "" : "; ") + skipped;
    }
    if (e.status.up) {
      ++up;
      e.attached_since = std::chrono::steady_clock::now();
    } else {
      TS_LOG(kWarn) << "probe " << e.status.name << ": not running (" << e.status.error << ")";
    }
  }
  return up;
}

void ProbeSet::StopAll() {
  std::unique_lock lock(mutex_);
  for (Entry& e : entries_) {
    e.probe->Stop();
    e.status.up = false;
    MarkDetached(e);
  }
  // Statistics count only our programs' cost; with none attached they would only slow every
  // other BPF program on the host (experiment's rounds run after this).
  program_stats_.Disable();
}

void ProbeSet::MeasureRunOverhead() {
  std::call_once(run_overhead_once_, [this] {
    std::string error;
    // 7 rounds of 20000 system calls with and without the program: ~0.1 s.
    if (auto per_run = kernelstats::MeasureBpfRunOverhead(7, 20000, error)) {
      run_overhead_s_ = *per_run;
      TS_LOG(kInfo) << "a tracepoint program's run costs " << *per_run * 1e9
                    << " ns beyond the run time BPF statistics record for it";
    } else {
      TS_LOG(kInfo) << "the cost of a program run beyond its recorded run time was not measured ("
                    << error << "): the qdisc spans keep it";
    }
  });
}

void ProbeSet::ExportProgramStats() {
  MeasureRunOverhead();
  export_program_stats_ = true;
}

Status ProbeSet::EnableProgramStats() {
  MeasureRunOverhead();
  return program_stats_.Enable();
}

void ProbeSet::MarkDetached(Entry& e) {
  if (!e.attached_since) return;
  std::chrono::duration<double> attached = std::chrono::steady_clock::now() - *e.attached_since;
  e.attached_seconds += attached.count();
  e.attached_since.reset();
}

void ProbeSet::DetachWindowed() {
  std::unique_lock lock(mutex_);
  for (Entry& e : entries_) {
    if (!e.windowed || !e.status.up) continue;
    e.probe->Detach();
    MarkDetached(e);
  }
}

void ProbeSet::StatsChanged() {
  std::unique_lock lock(mutex_);
  for (Entry& e : entries_) {
    if (e.status.up) e.probe->StatsChanged();
  }
}

void ProbeSet::ReattachWindowed() {
  std::unique_lock lock(mutex_);
  for (Entry& e : entries_) {
    if (!e.windowed || !e.status.up || e.attached_since) continue;
    if (Status s = e.probe->Reattach(); !s.ok()) {
      e.probe->Stop();
      e.status.up = false;
      e.status.error = "attach for a window: " + s.error();
      TS_LOG(kWarn) << "probe " << e.status.name << ": not running (" << e.status.error << ")";
      continue;
    }
    e.attached_since = std::chrono::steady_clock::now();
  }
}

bool ProbeSet::HasWindowed() const {
  std::shared_lock lock(mutex_);
  for (const Entry& e : entries_) {
    if (e.windowed && e.status.up) return true;
  }
  return false;
}

ProbeSet::ProgramTime ProbeSet::ProgramRunTime() const {
  std::shared_lock lock(mutex_);
  ProgramTime out;
  for (const Entry& e : entries_) {
    if (!e.status.up) continue;
    for (const bpf_program* prog : e.probe->LoadedPrograms()) {
      if (auto run = ReadProgramRun(prog)) {
        (e.windowed ? out.windowed_s : out.continuous_s) += run->seconds;
      }
    }
  }
  return out;
}

std::vector<ProbeStatus> ProbeSet::Statuses() const {
  std::shared_lock lock(mutex_);
  std::vector<ProbeStatus> out;
  for (const Entry& e : entries_) out.push_back(e.status);
  return out;
}

const Probe* ProbeSet::Running(std::string_view name) const {
  std::shared_lock lock(mutex_);
  for (const Entry& e : entries_) {
    if (e.status.name == name && e.status.up) return e.probe.get();
  }
  return nullptr;
}

std::vector<prometheus::MetricFamily> ProbeSet::Collect() const {
  std::shared_lock lock(mutex_);
  auto up = metrics::GaugeFamily("tunescope_probe_up",
                                 "1 if the probe is loaded and attached, 0 if it could not run.");
  auto info = metrics::GaugeFamily(probe_set_metrics::kProbeInfo,
                                   "The mode each running probe chose for this kernel.");
  auto attached = metrics::CounterFamily(
      "tunescope_probe_attached_seconds_total",
      "Time the probe's programs were attached: all the time, or only inside the --window "
      "windows (divide its rates by this one's to get rates per attached second).");
  const auto now = std::chrono::steady_clock::now();
  auto map_full = metrics::CounterFamily(
      "tunescope_map_full_total",
      "BPF map inserts lost to a bounded map: it was full, or (xcpu's packets table) the slot "
      "held another packet.");
  ProgramStatsCollector program_stats;
  const bool stats_active = export_program_stats_.load() || BpfStats::Active();
  std::vector<prometheus::MetricFamily> out;
  for (const Entry& e : entries_) {
    up.Gauge({{"probe", e.status.name}}, e.status.up ? 1 : 0);
    if (!e.status.up) continue;
    info.Gauge({{"probe", e.status.name}, {"mode", e.status.mode}}, 1);
    std::chrono::duration<double> open =
        e.attached_since ? now - *e.attached_since : std::chrono::duration<double>(0);
    attached.Counter({{"probe", e.status.name}}, e.attached_seconds + open.count());
    for (const MapFullCount& m : e.probe->MapFullCounts()) {
      map_full.Counter({{"probe", e.status.name}, {"map", m.map}}, static_cast<double>(m.count));
    }
    if (stats_active) program_stats.Add(e.status.name, e.probe->LoadedPrograms());
    for (auto& family : e.probe->Collect()) out.push_back(std::move(family));
  }
  metrics::Append(out, std::move(up));
  metrics::Append(out, std::move(info));
  metrics::Append(out, std::move(attached));
  metrics::Append(out, std::move(map_full));
  program_stats.AppendTo(out);
  if (const double overhead = run_overhead_s_.load(); overhead >= 0) {
    auto family = metrics::GaugeFamily(
        bpf_stats_metrics::kRunOverheadSeconds,
        "What each run of a tracepoint program costs beyond the run time BPF statistics record "
        "for it (the dispatch, the statistics' own clock reads), measured at start: system "
        "calls timed with an empty program on their tracepoint and without, less its "
        "recorded run time.");
    family.Gauge({}, overhead);
    metrics::Append(out, std::move(family));
  }
  return out;
}

}  // namespace tunescope::probes
