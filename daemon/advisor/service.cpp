#include "advisor/service.h"

#include "advisor/session.h"

namespace tunescope::advisor {

AdviceService::AdviceService(MeasureSources sources,
                             std::shared_ptr<const probes::ProbeSet> probe_set,
                             std::chrono::seconds period)
    : sources_(std::move(sources)), probe_set_(std::move(probe_set)), period_(period) {}

void AdviceService::Start() { thread_ = std::thread([this] { Run(); }); }

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
    Advice advice = Advise(window->Finish());
    NoteProbes(advice, *probe_set_);
    board_->Publish(std::move(advice));
    window = std::make_unique<Window>(sources_);
    lock.lock();
  }
}

http::HttpHandler AdviceService::Handler() const {
  return [board = board_, period = period_](const http::HttpRequest&) {
    auto latest = board->Latest();
    if (!latest) {
      return http::HttpResponse{
          503, "application/json",
          "{\"error\":\"the first measuring window has not finished yet (every " +
              std::to_string(period.count()) + " s)\"}\n",
          {}};
    }
    return http::HttpResponse{200, "application/json", JsonReport(*latest), {}};
  };
}

}  // namespace tunescope::advisor
