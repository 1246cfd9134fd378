// Attach windows (`serve --window=OPEN/EVERY`): probes with a program on every softirq run,
// context switch, packet or request cost more than a production host's budget when attached
// for good, so they are attached for OPEN out of every EVERY.
// Their counters stay loaded in between; tunescope_probe_attached_seconds_total says how long
// they measured.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "core/stop_signal.h"
#include "probes/overhead.h"
#include "probes/probe_set.h"

namespace tunescope::probes {

struct AttachWindow {
  std::chrono::milliseconds open{0};  // 0: attached for good, no windows
  std::chrono::milliseconds every{0};
  bool always() const { return open.count() == 0; }
};

class WindowScheduler {
 public:
  // Called on the scheduler's thread around each attach and detach. The window lasts from the
  // attach to the detach whatever the hooks do, so after_attach and before_detach should be
  // quick; slow work (the advisor's host facts) belongs in before_attach and after_detach.
  struct Hooks {
    std::function<void()> before_attach;
    std::function<void()> after_attach;
    std::function<void()> before_detach;
    std::function<void()> after_detach;
  };

  // --overhead-budget: each window's length follows from what the last ones cost (the
  // programs' run time, with BPF statistics on only while a window is open, and the daemon's
  // own CPU), so that the cost stays within `share` of one CPU (duty_cycle.h). share 0: the
  // windows keep the length --window gave them.
  struct Budget {
    double share = 0;
    std::shared_ptr<OverheadMetrics> metrics;  // the duty in force goes here
    std::function<double()> self_cpu = SelfCpuSeconds;
  };

  WindowScheduler(std::shared_ptr<ProbeSet> probe_set, AttachWindow window, Hooks hooks);
  WindowScheduler(std::shared_ptr<ProbeSet> probe_set, AttachWindow window, Hooks hooks,
                  Budget budget);
  WindowScheduler(const WindowScheduler&) = delete;
  WindowScheduler& operator=(const WindowScheduler&) = delete;
  ~WindowScheduler() { Stop(); }

  // The probes are attached when this is called (StartAll): the first window opens at once.
  void Start();
  void Stop();

 private:
  void Run();

  std::shared_ptr<ProbeSet> probe_set_;
  AttachWindow window_;
  Hooks hooks_;
  Budget budget_;
  StopSignal stop_;
  std::thread thread_;
};

}  // namespace tunescope::probes
