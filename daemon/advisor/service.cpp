#include "advisor/service.h"

#include "advisor/session.h"

namespace tunescope::advisor {

AdviceService::AdviceService(MeasureSources sources,
                             std::shared_ptr<const probes::ProbeSet> probe_set)
    : sources_(std::move(sources)), probe_set_(std::move(probe_set)) {}

void AdviceService::Start(std::chrono::seconds period) {
  period_ = period;
  thread_ = std::thread([this] { Run(); });
}

void AdviceService::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AdviceService::Run() {
  auto window = std::make_unique<Window>(sources_);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [this] { return stop_; })) {
    lock.unlock();
    Publish(*window);
    window = std::make_unique<Window>(sources_);
    lock.lock();
  }
}

void AdviceService::OpenWindow() {
  auto window = std::make_unique<Window>(sources_);
  std::lock_guard lock(mutex_);
  open_window_ = std::move(window);
}

void AdviceService::CloseWindow() {
  std::unique_ptr<Window> window;
  {
    std::lock_guard lock(mutex_);
    window = std::move(open_window_);
  }
  if (window) Publish(*window);
}

void AdviceService::Publish(const Window& window) {
  Advice advice = Advise(window.Finish());
  NoteProbes(advice, *probe_set_);
  board_->Publish(std::move(advice));
}

http::HttpHandler AdviceService::Handler() const {
  return [board = board_](const http::HttpRequest&) {
    auto latest = board->Latest();
    if (!latest) {
      return http::HttpResponse{503, "application/json",
                                "{\"error\":\"the first measuring window has not finished yet\"}\n",
                                {}};
    }
    return http::HttpResponse{200, "application/json", JsonReport(*latest), {}};
  };
}

}  // namespace tunescope::advisor
