// serve's advisor: re-evaluates the catalogue every `period` over the window that just ended
// (back-to-back windows), publishes the result for /advice and the tunescope_tuning_* metrics.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "advisor/report.h"
#include "http/http_server.h"
#include "probes/probe_set.h"

namespace tunescope::advisor {

class AdviceService {
 public:
  AdviceService(MeasureSources sources, std::shared_ptr<const probes::ProbeSet> probe_set,
                std::chrono::seconds period);
  AdviceService(const AdviceService&) = delete;
  AdviceService& operator=(const AdviceService&) = delete;
  ~AdviceService() { Stop(); }

  void Start();
  void Stop();
  std::shared_ptr<AdviceBoard> board() const { return board_; }
  // GET /advice: the latest ranking as JSON; 503 until the first window has finished.
  http::HttpHandler Handler() const;

 private:
  void Run();
  MeasureSources sources_;
  std::shared_ptr<const probes::ProbeSet> probe_set_;
  std::chrono::seconds period_;
  std::shared_ptr<AdviceBoard> board_ = std::make_shared<AdviceBoard>();
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tunescope::advisor
