#include "probes/window_scheduler.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/log.h"
#include "probes/duty_cycle.h"

namespace tunescope::probes {

WindowScheduler::WindowScheduler(std::shared_ptr<ProbeSet> probe_set, AttachWindow window,
                                 Hooks hooks)
    : WindowScheduler(std::move(probe_set), window, std::move(hooks), Budget{}) {}

WindowScheduler::WindowScheduler(std::shared_ptr<ProbeSet> probe_set, AttachWindow window,
                                 Hooks hooks, Budget budget)
    : probe_set_(std::move(probe_set)),
      window_(window),
      hooks_(std::move(hooks)),
      budget_(std::move(budget)) {}

void WindowScheduler::Start() {
  stop_.Reset();
  thread_ = std::thread([this] { Run(); });
}

void WindowScheduler::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

namespace {

using Clock = std::chrono::steady_clock;

// Shorter windows are not worth their attach and detach (and --window refuses them).
constexpr double kMinOpenSeconds = 0.01;

void Call(const std::function<void()>& hook) {
  if (hook) hook();
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void WindowScheduler::Run() {
  const double every_s = Seconds(window_.every);
  const double max_open_s = Seconds(window_.open);
  std::optional<DutyCycleController> controller;
  if (budget_.share > 0) {
    controller.emplace(budget_.share,
                       DutyLimits{every_s, std::min(kMinOpenSeconds, max_open_s), max_open_s});
    probe_set_->ExportProgramStats();
  }
  double open_s = controller ? controller->FirstOpenSeconds() : max_open_s;
  double continuous_per_s = 0;  // the continuous programs' cost, measured inside windows
  bool attached = true;         // StartAll attached the probes
  // Windows start every `every` from one origin, so that the hooks' time does not make them
  // drift; each lasts `open_s` from its attach.
  auto cycle = Clock::now();
  bool skipping = false;
  for (;;) {
    const double cpu0 = controller ? budget_.self_cpu() : 0;
    CycleCost cost;
    if (budget_.metrics) budget_.metrics->SetDuty(open_s / every_s);
    // Skipped windows refresh nothing (advice, per-event metrics): say so once, not per cycle.
    if ((open_s <= 0) != skipping) {
      skipping = open_s <= 0;
      if (skipping) {
        TS_LOG(kWarn) << "--overhead-budget: the daemon's fixed cost alone fills the budget; "
                         "windows are skipped (no advice or per-event metrics) until it falls";
      } else {
        TS_LOG(kInfo) << "--overhead-budget: windows open again (" << open_s << " s)";
      }
    }
    if (open_s > 0) {
      const double window_cpu0 = controller ? budget_.self_cpu() : 0;
      Call(hooks_.before_attach);
      // Statistics cost every program on the host two clock reads per run: on only while
      // measuring, and held as an fd so that a killed daemon leaves them off.
      std::optional<BpfStats> stats;
      if (controller) {
        stats.emplace();
        if (Status s = stats->Enable(); !s.ok()) {
          TS_LOG(kWarn) << "--overhead-budget: " << s.error()
                        << "; the windows keep their configured length";
          controller.reset();
          open_s = max_open_s;
        }
      }
      const ProbeSet::ProgramTime before = probe_set_->ProgramRunTime();
      // StartAll's attach, which the first window keeps, took its values for the statistics of
      // that time (off, unless --bpf-stats); this window has them on.
      if (attached && controller) probe_set_->StatsChanged();
      if (!attached) probe_set_->ReattachWindowed();
      attached = true;
      const auto t0 = Clock::now();
      Call(hooks_.after_attach);
      if (!stop_.SleepUntil(t0 + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(open_s)))) {
        return;
      }
      Call(hooks_.before_detach);
      const ProbeSet::ProgramTime after = probe_set_->ProgramRunTime();
      probe_set_->DetachWindowed();
      attached = false;
      cost.attached_s = Seconds(Clock::now() - t0);
      stats.reset();
      Call(hooks_.after_detach);
      // The first window re-attached nothing, so its cost leaves the attach out; the second is
      // sized a little long, and the budget's debt takes back what it overspent.
      if (controller) cost.per_window_s = budget_.self_cpu() - window_cpu0;
      // A probe that failed to re-attach drops out of `after`: no negative cost.
      cost.windowed_s = std::max(0.0, after.windowed_s - before.windowed_s);
      if (cost.attached_s > 0) {
        continuous_per_s =
            std::max(0.0, after.continuous_s - before.continuous_s) / cost.attached_s;
      }
    } else if (attached) {
      probe_set_->DetachWindowed();  // the budget skips even the first window
      attached = false;
    }
    const auto start = cycle;
    cycle += window_.every;
    if (!stop_.SleepUntil(cycle)) return;
    if (controller) {
      cost.elapsed_s = Seconds(cycle - start);
      cost.fixed_s =
          budget_.self_cpu() - cpu0 - cost.per_window_s + continuous_per_s * cost.elapsed_s;
      open_s = controller->Next(cost);
      TS_LOG(kDebug) << "--overhead-budget: cycle cost "
                     << cost.windowed_s + cost.fixed_s + cost.per_window_s
                     << " s (windowed programs " << cost.windowed_s << " s in " << cost.attached_s
                     << " s attached, the window's hooks " << cost.per_window_s
                     << " s), next window " << open_s << " s";
    }
  }
}

}  // namespace tunescope::probes
