#include "advisor/advisor.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "host/text.h"

namespace tunescope::advisor {
namespace {

// Tier: lower ranks first.
int Tier(const Prediction& p) {
  switch (p.verdict) {
    case Verdict::kMeasured:
      return p.payoff_ratio ? 0 : 1;
    case Verdict::kDocumented:
      return p.cause_found ? 2 : 3;
    case Verdict::kNotMeasured:
      return 4;
    case Verdict::kNotApplicable:
      return 5;
    case Verdict::kApplied:
      return 6;
  }
  return 7;
}

double Score(const Prediction& p) {
  if (p.payoff_ratio) return *p.payoff_ratio;
  if (p.latency_removed_seconds) return *p.latency_removed_seconds;
  return 0;
}

int Level(std::string_view confidence) {
  return confidence == "high" ? 3 : confidence == "medium" ? 2 : confidence == "low" ? 1 : 0;
}

// A measured prediction is as sure as its two halves agree: each half of the window is judged
// on its own, and the gap between their payoffs, relative to the larger, sets the confidence
// (at most what the rule itself said, e.g. low for few samples).
void JudgeByHalves(Prediction& p, const Tuning& t, const Evidence& e) {
  if (p.verdict != Verdict::kMeasured || e.half(0) == nullptr || e.half(1) == nullptr) return;
  Prediction a = t.rule(t, *e.half(0)), b = t.rule(t, *e.half(1));
  double sa = a.verdict == Verdict::kMeasured ? Score(a) : 0;
  double sb = b.verdict == Verdict::kMeasured ? Score(b) : 0;
  double gap = std::max(sa, sb) > 0 ? std::fabs(sa - sb) / std::max(sa, sb) : 1;
  p.numbers.push_back({"first_half_payoff", sa, p.payoff_ratio ? "ratio" : "s"});
  p.numbers.push_back({"second_half_payoff", sb, p.payoff_ratio ? "ratio" : "s"});
  std::string halves = gap <= 0.2 ? "high" : gap <= 0.5 ? "medium" : "low";
  if (Level(halves) < Level(p.confidence)) p.confidence = halves;
}

}  // namespace

void Rank(std::vector<Prediction>& predictions) {
  // Stable: ties keep catalogue order.
  std::stable_sort(predictions.begin(), predictions.end(),
                   [](const Prediction& a, const Prediction& b) {
                     int ta = Tier(a), tb = Tier(b);
                     if (ta != tb) return ta < tb;
                     if (ta <= 3) return Score(a) > Score(b);
                     return false;
                   });
  int rank = 1;
  for (Prediction& p : predictions) p.rank = rank++;
}

Advice Advise(const Evidence& evidence) {
  Advice advice;
  advice.window_seconds = evidence.window_seconds();
  advice.finished = std::chrono::system_clock::now();
  if (auto server = evidence.ServerCpuSeconds()) {
    advice.server_cpu_basis = server->basis;
    // Said once for the whole report: it holds for every tuning, those without a figure too.
    // Whole percents rounded down, so that "not saturated" never sits beside "90%".
    auto percent = [](double share) {
      return std::to_string(static_cast<int>(std::floor(share * 100))) + "%";
    };
    if (server->capacity > 0) {
      advice.server_cpu_basis +=
          "; busy " + percent(server->busy_share()) + " of the window" +
          (server->saturated() ? "" : ", not saturated: payoffs are CPU headroom");
    }
    // A load generator on this host that saturates its own CPUs caps the req/s a removed cost
    // can show there, whatever the server could do.
    if (auto clients = evidence.LocalClientCpus()) {
      advice.server_cpu_basis += "; its clients on this host (" + clients->names +
                                 ") last ran on CPU " + host::FormatCpuList(clients->cpus) +
                                 ", busy " + percent(clients->busy_share);
      if (clients->SetThePace(*server)) {
        advice.server_cpu_basis += clients->cpus.size() == 1
                                       ? ": that CPU, not the server's, sets the pace"
                                       : ": those CPUs, not the server's, set the pace";
      }
    }
  } else {
    advice.server_cpu_basis = "no CPU time measured";
  }
  const host::HostFacts& facts = evidence.host();
  if (const auto& ns = facts.target_netns) {
    advice.network_namespace = ns->id + " (pid " + std::to_string(ns->pid) +
                               "): TCP counters, listening sockets and net.* sysctls read there";
    advice.netns_pid = ns->pid;
    if (!facts.netns_sysctls_error.empty()) {
      advice.network_namespace +=
          "; " + facts.netns_sysctls_error + ": its net.* sysctls are unknown";
    }
  } else if (!facts.netns_unknown.empty()) {
    advice.network_namespace = "unknown (" + facts.netns_unknown +
                               "): TCP counters and listening sockets are the server's, net.* "
                               "sysctls tunescope's own namespace's";
  }
  if (!facts.other_target_netns.empty()) {
    std::string ids;
    for (const std::string& id : facts.other_target_netns) ids += (ids.empty() ? "" : ", ") + id;
    advice.network_namespace +=
        (advice.network_namespace.empty() ? "" : "; ") + std::string("the target also runs in ") +
        ids +
        ": their counters, sockets and sysctls are not read (the netfilter probe's bracket "
        "attaches there too)";
  }
  for (const Tuning& t : Catalogue()) {
    Prediction p = t.rule(t, evidence);
    p.tuning = &t;
    JudgeByHalves(p, t, evidence);
    advice.ranked.push_back(std::move(p));
  }
  Rank(advice.ranked);
  return advice;
}

std::shared_ptr<const host::HostFacts> CollectHost(const MeasureSources& sources) {
  host::HostOptions options;
  options.target_pid =
      host::FirstTargetPid(sources.paths, sources.target_pids, sources.target_comms);
  options.target_port = sources.target_port;
  options.query_kernel = sources.query_kernel;
  host::HostFacts facts = host::CollectHostFacts(sources.paths, options, nullptr);
  for (const host::TargetNetns& ns :
       host::OtherTargetNetns(sources.paths, sources.target_pids, sources.target_comms)) {
    if (!facts.target_netns || ns.id != facts.target_netns->id)
      facts.other_target_netns.push_back(ns.id);
  }
  return std::make_shared<const host::HostFacts>(std::move(facts));
}

Window::Window(const MeasureSources& sources) : Window(sources, CollectHost(sources)) {}

Window::Window(const MeasureSources& sources, std::shared_ptr<const host::HostFacts> host)
    : sources_(&sources),
      host_(std::move(host)),
      start_(std::chrono::steady_clock::now()),
      metrics_(sources.collect ? MetricSnapshot(sources.collect()) : MetricSnapshot()),
      cpu_(ReadCpuSnapshot(sources.paths, sources.target_pids, sources.target_comms)) {}

std::vector<int> Window::TargetCpusAtStart() const {
  std::set<int> cpus;
  for (const host::ThreadAccounting& t : cpu_.threads) {
    if (t.cpu >= 0) cpus.insert(t.cpu);
  }
  return {cpus.begin(), cpus.end()};
}

double Window::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Window::End Window::Stop() const {
  End end;
  end.metrics = sources_->collect ? MetricSnapshot(sources_->collect()) : MetricSnapshot();
  end.cpu = ReadCpuSnapshot(sources_->paths, sources_->target_pids, sources_->target_comms);
  end.elapsed = Elapsed();
  return end;
}

Evidence Window::Finish(End end) const {
  auto host = CollectHost(*sources_);
  auto numa = ReadNumaNodes(sources_->paths);
  auto evidence = [&](const MetricSnapshot& m0, const CpuSnapshot& c0, double t0, const End& e) {
    CpuTimes cpu = CpuDelta(c0, e.cpu);
    cpu.numa_nodes = numa;
    return Evidence(m0, e.metrics, e.elapsed - t0, host_, host, std::move(cpu));
  };
  Evidence whole = evidence(metrics_, cpu_, 0, end);
  if (half_ && half_->elapsed > 0 && half_->elapsed < end.elapsed) {
    whole.SetHalves(std::make_shared<const Evidence>(evidence(metrics_, cpu_, 0, *half_)),
                    std::make_shared<const Evidence>(
                        evidence(half_->metrics, half_->cpu, half_->elapsed, end)));
  }
  return whole;
}

}  // namespace tunescope::advisor
