#include "advice_service.h"

#include <nlohmann/json.hpp>

#include "advise_session.h"

namespace tunescope::advisor {

AdviceService::AdviceService(MeasureSources sources,
                             std::shared_ptr<const probes::ProbeSet> probe_set)
    : sources_(std::move(sources)), probe_set_(std::move(probe_set)) {}

void AdviceService::Start(std::chrono::seconds period) {
  period_ = period;
  thread_ = std::thread([this] { Run(); });
}

void AdviceService::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

void AdviceService::Run() {
  auto window = std::make_unique<Window>(sources_);
  while (stop_.SleepFor(period_)) {
    Publish(*window);
    window = std::make_unique<Window>(sources_);
  }
}

probes::WindowScheduler::Hooks AdviceService::WindowHooks() {
  return {
      [this] { host_before_ = CollectHost(sources_); },
      [this] { open_window_ = std::make_unique<Window>(sources_, host_before_); },
      [this] {
        if (open_window_) window_end_ = open_window_->Stop();
      },
      [this] {
        if (open_window_ && window_end_) Publish(open_window_->Finish(std::move(*window_end_)));
        open_window_.reset();
        window_end_.reset();
      },
  };
}

void AdviceService::Publish(const Window& window) {
  Publish(window.Finish());
}

void AdviceService::Publish(const Evidence& evidence) {
  Advice advice = Advise(evidence);
  NoteProbes(advice, *probe_set_);
  board_->Publish(std::move(advice));
}

http::HttpHandler AdviceService::Handler() const {
  return [board = board_](const http::HttpRequest&) {
    auto latest = board->Latest();
    if (!latest) {
      return http::HttpResponse{
          503,
          "application/json",
          JsonText({{"error", "the first measuring window has not finished yet"}}),
          {}};
    }
    return http::HttpResponse{200, "application/json", JsonReport(*latest), {}};
  };
}

}  // namespace tunescope::advisor
