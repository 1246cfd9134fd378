#include "advisor/advisor.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tunescope::advisor {
namespace {

// Tier: lower ranks first.
int Tier(const Prediction& p) {
  switch (p.verdict) {
    case Verdict::kMeasured:
      return p.payoff_ratio ? 0 : 1;
    case Verdict::kDocumented:
      return 2;
    case Verdict::kNotMeasured:
      return 3;
    case Verdict::kNotApplicable:
      return 4;
    case Verdict::kApplied:
      return 5;
  }
  return 6;
}

double Score(const Prediction& p) {
  if (p.payoff_ratio) return *p.payoff_ratio;
  if (p.latency_removed_seconds) return *p.latency_removed_seconds;
  return 0;
}

}  // namespace

void Rank(std::vector<Prediction>& predictions) {
  // Stable: ties keep catalogue order.
  std::stable_sort(predictions.begin(), predictions.end(),
                   [](const Prediction& a, const Prediction& b) {
                     int ta = Tier(a), tb = Tier(b);
                     if (ta != tb) return ta < tb;
                     if (ta <= 2) return Score(a) > Score(b);
                     return false;
                   });
  int rank = 1;
  for (Prediction& p : predictions) p.rank = rank++;
}

Advice Advise(const Evidence& evidence) {
  Advice advice;
  advice.window_seconds = evidence.window_seconds();
  if (auto server = evidence.ServerCpuSeconds()) {
    advice.server_cpu_basis = server->basis;
  } else {
    advice.server_cpu_basis = "no CPU time measured";
  }
  for (const Tuning& t : Catalogue()) {
    Prediction p = t.rule(t, evidence);
    p.tuning = &t;
    advice.ranked.push_back(std::move(p));
  }
  Rank(advice.ranked);
  return advice;
}

std::shared_ptr<const host::HostFacts> CollectHost(const MeasureSources& sources) {
  host::HostOptions options;
  if (!sources.target_pids.empty()) options.target_pid = sources.target_pids.front();
  options.target_port = sources.target_port;
  options.query_kernel = sources.query_kernel;
  return std::make_shared<const host::HostFacts>(
      host::collect_host_facts(sources.paths, options, nullptr));
}

Window::Window(const MeasureSources& sources) : Window(sources, CollectHost(sources)) {}

Window::Window(const MeasureSources& sources, std::shared_ptr<const host::HostFacts> host)
    : sources_(&sources),
      host_(std::move(host)),
      start_(std::chrono::steady_clock::now()),
      metrics_(sources.collect ? MetricSnapshot(sources.collect()) : MetricSnapshot()),
      host_busy_(ReadHostBusySeconds(sources.paths)),
      target_(ReadTargetCpu(sources.paths, sources.target_pids, sources.target_comms)) {}

double Window::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Window::End Window::Stop() const {
  End end;
  end.metrics = sources_->collect ? MetricSnapshot(sources_->collect()) : MetricSnapshot();
  auto busy = ReadHostBusySeconds(sources_->paths);
  if (busy && host_busy_) end.cpu.host_busy_seconds = *busy - *host_busy_;
  TargetCpuSample target =
      ReadTargetCpu(sources_->paths, sources_->target_pids, sources_->target_comms);
  if (target.seconds && target_.seconds) {
    end.cpu.target_cpu_seconds = std::max(0.0, *target.seconds - *target_.seconds);
    end.cpu.target_cpus = target.cpus;
  } else {
    end.cpu.target_reason = target.reason.empty() ? target_.reason : target.reason;
  }
  end.elapsed = Elapsed();
  return end;
}

Evidence Window::Finish(End end) const {
  end.cpu.numa_nodes = ReadNumaNodes(sources_->paths);
  return Evidence(metrics_, std::move(end.metrics), end.elapsed, host_, CollectHost(*sources_),
                  std::move(end.cpu));
}

}  // namespace tunescope::advisor
