// Rules about where packets are processed relative to the server's threads: IRQs, RPS, reuseport.
#include <algorithm>
#include <map>

#include "advisor/rule_support.h"
#include "advisor/rules.h"
#include "host/text.h"

namespace tunescope::advisor {

using namespace rule_support;  // NOLINT(google-build-using-namespace): the rules' vocabulary

Prediction RuleIrqAffinity(const Tuning& t, const Evidence& e) {
  const auto& h = e.host();
  auto devices = TrafficDevices(e, true);
  int queue_irqs = 0, pinned = 0;
  for (const auto* d : devices) {
    if (!d->irqs.ok()) continue;
    queue_irqs += d->irqs->queue_irqs();
    pinned += d->irqs->pinned_queue_irqs();
  }
  if (queue_irqs == 0) {
    return NotApplicable(t, "no NIC queue interrupts on this host (virtual devices only)");
  }
  bool irqbalance = h.irqbalance_pids.ok() && !h.irqbalance_pids->empty();
  if (!irqbalance && pinned == queue_irqs) {
    return Applied(t, "irqbalance is not running and all " + std::to_string(queue_irqs) +
                          " queue IRQs are pinned to one CPU each");
  }
  Prediction p =
      Documented(t, std::to_string(pinned) + " of " + std::to_string(queue_irqs) +
                        " queue IRQs pinned" + (irqbalance ? ", irqbalance running" : ""));
  p.numbers = {{"queue_irqs", static_cast<double>(queue_irqs), "count"},
               {"pinned_queue_irqs", static_cast<double>(pinned), "count"}};
  return p;
}

Prediction RuleRpsRfs(const Tuning& t, const Evidence& e) {
  // A mask that steers the server's packets away from the CPUs that read them: the fix is RFS
  // (steer to the reader) or no RPS, whatever the queue count.
  auto flows = SysctlInt(e, "net.core.rps_sock_flow_entries");
  if (auto away = e.RpsAwayFromServer(); !away.empty() && flows.value_or(0) == 0) {
    const std::string fix =
        "enable RFS (net.core.rps_sock_flow_entries and rps_flow_cnt) or "
        "clear the mask";
    const std::string what = "RPS steers the server's packets away from the CPUs it runs on (" +
                             Names(away) + "; the server runs on CPU " +
                             host::FormatCpuList(e.cpu().target_cpus) + ")";
    // No payoff: with every packet steered away, the NET_RX left on the server's CPUs is the
    // hand-off of its own sends (backlog enqueueing, IPIs), and clearing the mask removes it but
    // brings back their receive processing, whose cost on those CPUs this window cannot see.
    // Measured with nginx on lo in a 2-vCPU VM (an IPI is a VM exit): 1.5 us of softirq per
    // request with the mask, 1.25 us without it, +10% req/s; the hand-off alone predicted +93%.
    Prediction p = Make(t, Verdict::kDocumented,
                        what + ": " + fix +
                            ". Clearing it trades the hand-off for the "
                            "receive processing it moved, so no payoff "
                            "is predicted");
    p.confidence = "low";
    p.cause_found = true;
    if (auto rx = e.OnServerCpus(kSoftirqSeconds, {{"vector", "net_rx"}})) {
      p.numbers.push_back({"server_cpus_net_rx_seconds", *rx, "s"});
    }
    return p;
  }
  auto devices = TrafficDevices(e, false);
  if (devices.empty()) return NotApplicable(t, "no network device carries traffic");
  int cpus = e.host().cpus_online;
  std::vector<std::string> candidates;
  bool all_rps = true;
  for (const auto* d : devices) {
    if (d->device.rps_enabled()) continue;
    all_rps = false;
    if (d->device.rx_queues < cpus) candidates.push_back(d->device.name);
  }
  if (all_rps) return Applied(t, "RPS masks are set on every device");
  if (candidates.empty()) {
    return NotApplicable(t, "every device has at least as many rx queues as CPUs (RSS spreads)");
  }
  std::vector<Number> numbers{{"cpus_online", static_cast<double>(cpus), "count"}};
  std::string evidence = "fewer rx queues than CPUs and no RPS on " + Names(candidates);
  if (e.Has(kSoftirqSeconds)) {
    std::map<std::string, double> rx;
    double total = 0;
    // Only NET_RX time matters here.
    for (int c = 0; c < cpus; ++c) {
      double v = e.CounterDelta(kSoftirqSeconds, {{"vector", "net_rx"}, {"cpu", std::to_string(c)}})
                     .value_or(0);
      rx[std::to_string(c)] = v;
      total += v;
    }
    if (total > 0) {
      auto top = std::max_element(rx.begin(), rx.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
      numbers.push_back({"net_rx_seconds", total, "s"});
      numbers.push_back({"net_rx_busiest_cpu_share", top->second / total, "ratio"});
      evidence += "; NET_RX runs " + Pct(top->second / total) + " on CPU " + top->first;
    }
  }
  Prediction p = Documented(t, evidence);
  p.numbers = std::move(numbers);
  return p;
}

Prediction RuleReuseportCbpf(const Tuning& t, const Evidence& e) {
  if (!e.Has(kXcpuReads)) {
    return NotMeasured(t, "needs probe xcpu with --target-port (" + std::string(kXcpuReads) + ")");
  }
  double other = e.CounterDelta(kXcpuReads, {{"locality", "other_cpu"}}).value_or(0);
  double same = e.CounterDelta(kXcpuReads, {{"locality", "same_cpu"}}).value_or(0);
  if (other + same <= 0) return NotMeasured(t, "no reads on the target ports in the window");
  double remote = other / (other + same);
  std::vector<Number> numbers{{"reads_other_cpu", other, "count"},
                              {"reads_same_cpu", same, "count"},
                              {"remote_fraction", remote, "ratio"}};
  if (remote < 0.05) {
    Prediction p = NotApplicable(t, Pct(remote) +
                                        " of reads happen on another CPU than the "
                                        "packet's: locality is already good");
    p.numbers = std::move(numbers);
    return p;
  }
  const auto& listeners = e.host().target_listeners;
  if (listeners.ok() && listeners->established > 0 &&
      listeners->local_peers * 2 > listeners->established) {
    numbers.push_back(
        {"local_peer_connections", static_cast<double>(listeners->local_peers), "count"});
    Prediction p = NotApplicable(
        t, "the clients are on this host (" + std::to_string(listeners->local_peers) + " of " +
               std::to_string(listeners->established) +
               " connections): their packets are processed on the sender's CPU, so " + Pct(remote) +
               " remote reads are inherent and no steering removes them");
    p.numbers = std::move(numbers);
    return p;
  }
  if (!listeners.ok() || listeners->largest_group() < 2) {
    Prediction p =
        NotApplicable(t, Pct(remote) +
                             " of reads are remote, but SO_ATTACH_REUSEPORT_CBPF steers among the "
                             "sockets of a reuseport group and port " +
                             (listeners.ok() ? std::to_string(listeners->port) : std::string("?")) +
                             " has one listening socket (see prefork_reuseport)");
    p.numbers = std::move(numbers);
    return p;
  }
  // The remote share is measured; the gain per remote read is talawah.io's, not this host's
  // (no scenario here can reproduce remote clients on separate CPUs): a documented payoff.
  Prediction p = Documented(t, Pct(remote) +
                                   " of the server's reads run on another CPU than "
                                   "the one that received the data, in a reuseport group of " +
                                   std::to_string(listeners->largest_group()) + " sockets");
  p.payoff_ratio = ThroughputPayoff(remote * kLocalityMaxShare);
  p.reason += " (scaled by the remote share: up to +" + Pct(*p.payoff_ratio) + " req/s)";
  p.numbers = std::move(numbers);
  return p;
}

Prediction RulePreforkReuseport(const Tuning& t, const Evidence& e) {
  const auto& l = e.host().target_listeners;
  if (!l.ok()) return NotMeasured(t, l.error() + " (--target-port)");
  if (l->listeners.empty()) {
    return NotMeasured(t, "nothing listens on port " + std::to_string(l->port) + " here");
  }
  if (l->reuseport()) {
    return Applied(t, std::to_string(l->largest_group()) + " sockets share port " +
                          std::to_string(l->port) + " with SO_REUSEPORT");
  }
  if (e.host().cpus_online <= 1) return NotApplicable(t, "one CPU");
  return Documented(t, "one listening socket on port " + std::to_string(l->port));
}

}  // namespace tunescope::advisor
