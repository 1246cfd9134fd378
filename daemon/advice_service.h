// serve's advisor: re-evaluates the catalogue over measuring windows and publishes the result
// for /advice and the tunescope_tuning_* metrics. The windows are back to back, one every
// `period` (Start), or, when the probes attach in windows, those same windows (the
// WindowHooks), so that every measurement covers the whole window.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "advisor/report.h"
#include "core/stop_signal.h"
#include "http/http_server.h"
#include "probes/probe_set.h"
#include "probes/window_scheduler.h"

namespace tunescope::advisor {

class AdviceService {
 public:
  AdviceService(MeasureSources sources, std::shared_ptr<const probes::ProbeSet> probe_set);
  AdviceService(const AdviceService&) = delete;
  AdviceService& operator=(const AdviceService&) = delete;
  ~AdviceService() { Stop(); }

  void Start(std::chrono::seconds period);
  void Stop();
  // For serve's attach windows: host facts before the attach, the measured interval from the
  // attach to the detach, ranking after it.
  probes::WindowScheduler::Hooks WindowHooks();
  std::shared_ptr<AdviceBoard> board() const { return board_; }
  // GET /advice: the latest ranking as JSON; 503 until the first window has finished.
  http::HttpHandler Handler() const;

 private:
  void Run();
  void Publish(const Window& window);
  void Publish(const Evidence& evidence);
  MeasureSources sources_;
  std::shared_ptr<const probes::ProbeSet> probe_set_;
  std::chrono::seconds period_{0};
  std::shared_ptr<AdviceBoard> board_ = std::make_shared<AdviceBoard>();
  StopSignal stop_;
  std::thread thread_;
  // Attach windows; used on the scheduler's thread only.
  std::shared_ptr<const host::HostFacts> host_before_;
  std::unique_ptr<Window> open_window_;
  std::optional<Window::End> window_end_;
};

}  // namespace tunescope::advisor
