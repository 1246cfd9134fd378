#include "probes/window_scheduler.h"

#include <utility>

namespace tunescope::probes {

WindowScheduler::WindowScheduler(std::shared_ptr<ProbeSet> probe_set, AttachWindow window,
                                 Hooks hooks)
    : probe_set_(std::move(probe_set)), window_(window), hooks_(std::move(hooks)) {}

void WindowScheduler::Start() {
  {
    std::lock_guard lock(mutex_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void WindowScheduler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool WindowScheduler::SleepUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_until(lock, deadline, [this] { return stop_; });
}

void WindowScheduler::Run() {
  // Deadlines count from one start so that the windows do not drift by the attach time.
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (hooks_.opened) hooks_.opened();
    if (!SleepUntil(start + window_.open)) return;
    if (hooks_.closing) hooks_.closing();
    probe_set_->DetachWindowed();
    start += window_.every;
    if (!SleepUntil(start)) return;
    probe_set_->ReattachWindowed();
  }
}

}  // namespace tunescope::probes
