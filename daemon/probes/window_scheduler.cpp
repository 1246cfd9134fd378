#include "probes/window_scheduler.h"

#include <utility>

namespace tunescope::probes {

WindowScheduler::WindowScheduler(std::shared_ptr<ProbeSet> probe_set, AttachWindow window,
                                 Hooks hooks)
    : probe_set_(std::move(probe_set)), window_(window), hooks_(std::move(hooks)) {}

void WindowScheduler::Start() {
  stop_.Reset();
  thread_ = std::thread([this] { Run(); });
}

void WindowScheduler::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
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
    if (!stop_.SleepUntil(attached + window_.open)) return;
    Call(hooks_.before_detach);
    probe_set_->DetachWindowed();
    Call(hooks_.after_detach);
    cycle += window_.every;
    if (!stop_.SleepUntil(cycle)) return;
    Call(hooks_.before_attach);
    probe_set_->ReattachWindowed();
  }
}

}  // namespace tunescope::probes
