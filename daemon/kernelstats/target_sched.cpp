#include "kernelstats/sources.h"

#include "metrics/family.h"

namespace tunescope::kernelstats {

host::SchedStat ThreadSums::Update(const std::vector<host::ThreadAccounting>& threads) {
  std::map<int, host::SchedStat> now;
  for (const host::ThreadAccounting& t : threads) {
    auto it = last_.find(t.tid);
    if (!t.schedstat) {
      // Unreadable this time: keep what it had, or it would count twice when readable again.
      if (it != last_.end()) now[t.tid] = it->second;
      continue;
    }
    const host::SchedStat& s = *t.schedstat;
    host::SchedStat from;  // zeros: a thread not seen before brings its whole history
    if (it != last_.end()) {
      const host::SchedStat& l = it->second;
      // A counter that went down is a new thread with a reused TID.
      if (s.run_ns >= l.run_ns && s.wait_ns >= l.wait_ns && s.timeslices >= l.timeslices) from = l;
    }
    total_.run_ns += s.run_ns - from.run_ns;
    total_.wait_ns += s.wait_ns - from.wait_ns;
    total_.timeslices += s.timeslices - from.timeslices;
    now[t.tid] = s;
  }
  last_ = std::move(now);  // exited threads are forgotten, their counts kept
  return total_;
}

Status TargetSched::Read(std::vector<prometheus::MetricFamily>& out) const {
  // Read under the lock too: a scrape applying an older reading after a newer one would see
  // counters go down and count those threads twice.
  std::lock_guard<std::mutex> lock(mu_);
  const auto threads = host::ReadThreads(paths(), pids_, comms_, &names_);
  std::size_t with_schedstat = 0;
  for (const auto& t : threads) with_schedstat += t.schedstat.has_value();
  const host::SchedStat sum = sums_.Update(threads);
  metrics::Append(
      out, std::move(metrics::GaugeFamily("tunescope_kernel_target_threads",
                                          "Threads of the target (--target-pid, --target-comm) "
                                          "found at this scrape.")
                         .Gauge({}, static_cast<double>(threads.size()))));
  if (!threads.empty() && with_schedstat == 0) {
    return Status::Error(paths().proc + "/PID/task/TID/schedstat: unreadable for all " +
                         std::to_string(threads.size()) +
                         " target threads (the kernel keeps it with CONFIG_SCHED_INFO)");
  }
  metrics::Append(
      out, std::move(metrics::CounterFamily("tunescope_kernel_target_run_seconds_total",
                                            "Time the target's threads ran on a CPU (schedstat).")
                         .Counter({}, static_cast<double>(sum.run_ns) * 1e-9)));
  metrics::Append(out, std::move(metrics::CounterFamily(
                                     "tunescope_kernel_target_wait_seconds_total",
                                     "Time the target's threads were runnable but waited for a CPU "
                                     "on a run queue (schedstat run_delay).")
                                     .Counter({}, static_cast<double>(sum.wait_ns) * 1e-9)));
  metrics::Append(out, std::move(metrics::CounterFamily(
                                     "tunescope_kernel_target_timeslices_total",
                                     "Timeslices the target's threads ran (schedstat pcount).")
                                     .Counter({}, static_cast<double>(sum.timeslices))));
  return {};
}

}  // namespace tunescope::kernelstats
