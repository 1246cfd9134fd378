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

namespace {

void Call(const std::function<void()>& hook) {
  if (hook) hook();
}

}  // namespace

void WindowScheduler::Run() {
  // The probes are attached already (StartAll): the first window starts with its hooks.
  Call(hooks_.before_attach);
  // Windows start every `every` from one origin, so that the hooks' time does not make them
  // drift; each lasts `open` from its attach.
  auto cycle = std::chrono::steady_clock::now();
  for (;;) {
    const auto attached = std::chrono::steady_clock::now();
    Call(hooks_.after_attach);
    if (!SleepUntil(attached + window_.open)) return;
    Call(hooks_.before_detach);
    probe_set_->DetachWindowed();
    Call(hooks_.after_detach);
    cycle += window_.every;
    if (!SleepUntil(cycle)) return;
    Call(hooks_.before_attach);
    probe_set_->ReattachWindowed();
  }
}

}  // namespace tunescope::probes
