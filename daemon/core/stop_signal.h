// A stop flag that background threads sleep on: Stop() wakes every sleeper at once, so a
// thread that waits minutes between rounds still exits promptly on SIGTERM.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tunescope {

class StopSignal {
 public:
  // False once stopped, at once or when Stop() comes before the deadline.
  bool SleepUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_until(lock, deadline, [this] { return stopped_; });
  }
  bool SleepFor(std::chrono::steady_clock::duration duration) {
    return SleepUntil(std::chrono::steady_clock::now() + duration);
  }
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
  }
  void Reset() {
    std::lock_guard lock(mutex_);
    stopped_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
};

}  // namespace tunescope
