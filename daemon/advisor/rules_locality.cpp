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

namespace {

// A cause found ranks before documented figures, unless the rule found nothing to gain from it.
Prediction WithCause(Prediction p) {
  p.cause_found = p.verdict != Verdict::kNotApplicable;
  return p;
}

// Clearing a mask that steers the server's packets away moves their receive processing back to
// the CPUs that sent them and ends the hand-off there: the server CPUs' NET_RX, which does
// nothing else then but send the IPIs that wake the other CPUs' backlogs. The processing is
// measured where RPS put it (xcpu's backlog time), the hand-off on the server's CPUs (softirq).
// Which side gains depends on which CPUs set the pace. Where the server does, the processing
// comes back packet by packet, dearer than in RPS's batches, which neither term measures; the
// netfilter bracket's programs inside the steered processing about make up for it, so the size
// is given only with the bracket attached (docs/advisor.md).
Prediction RpsClearPayoff(const Tuning& t, const Evidence& e, const std::string& what) {
  auto server = e.ServerCpuSeconds();
  // Packets a NIC's NAPI poll steers do not pass netif_rx, so xcpu does not time them.
  const double timed = e.CounterDelta(kXcpuBacklogPackets, {{"enqueued", "other_cpu"}}).value_or(0);
  if (!server || timed <= 0) {
    std::string why =
        "no steered packet of the target ports was timed (xcpu follows packets "
        "that pass netif_rx: loopback, veth)";
    if (!e.Has(kXcpuBacklogPackets)) {
      why = "it needs probe xcpu with --target-port";
    } else if (!server) {
      why = "the server's CPUs are not known";
    }
    Prediction p = Make(t, Verdict::kDocumented, what + ". No payoff is predicted: " + why);
    p.confidence = "low";
    return WithCause(std::move(p));
  }
  const double away = e.OnServerCpus(kXcpuSentAwaySeconds).value_or(0);
  const double handoff = e.OnServerCpus(kSoftirqSeconds, {{"vector", "net_rx"}}).value_or(0);
  std::vector<Number> numbers{{"receive_processing_sent_away_seconds", away, "s"},
                              {"server_cpus_net_rx_seconds", handoff, "s"},
                              {"steered_packets", timed, "count"}};
  auto clients = e.LocalClientCpus();
  if (clients && clients->SetThePace(*server)) {
    // The clients' CPUs set the pace: they get back the time they spent on the server's packets
    // and on the interrupts that brought them. What an interrupt costs the CPU it lands on (the
    // entry, and in a guest the exits of its delivery) shows on no clock there; it is taken to
    // be what sending it cost the server's CPUs (measured with refserver in a 2-vCPU VM: the
    // processing alone predicted +13% req/s, +39% realized). The server's CPUs, which take the
    // processing over, must have room for it.
    const double on_clients =
        e.OnCpus(kXcpuBacklogSeconds, {{"enqueued", "other_cpu"}}, clients->cpus).value_or(0);
    const double clients_busy = clients->busy_seconds;
    const double share = clients_busy > 0 ? (on_clients + handoff) / clients_busy : 0;
    const double server_after = server->busy() + away - handoff;
    const double room = server_after > 0 ? server->capacity / server_after - 1 : 0;
    numbers.push_back({"client_cpus_steered_seconds", on_clients, "s"});
    numbers.push_back({"client_cpus_busy_seconds", clients_busy, "s"});
    numbers.push_back({"removed_client_cpu_share", share, "ratio"});
    numbers.push_back({"server_cpus_room_ratio", room, "ratio"});
    if (share < kMinShare) {
      Prediction p = NotApplicable(t, what + ". Its clients' CPUs spent " + Pct(share) +
                                          " of their time on the server's packets");
      p.numbers = std::move(numbers);
      return WithCause(std::move(p));
    }
    const double payoff = std::min(ThroughputPayoff(share), room);
    std::string capped;
    if (payoff < ThroughputPayoff(share)) {
      capped = " (the server's CPUs, which take the work over, have room for no more)";
    }
    Prediction p = Make(t, Verdict::kMeasured,
                        what + ". Its clients on this host set the pace (CPU " +
                            host::FormatCpuList(clients->cpus) + ", busy " +
                            Pct(clients->busy_share) + ") and spent " + Pct(share) +
                            " of it on the server's packets (" + Seconds(on_clients) +
                            ") and the IPIs that brought them (taken as the " + Seconds(handoff) +
                            " they cost the sender): clearing the mask gives that back, "
                            "predicted +" +
                            Pct(payoff) + " req/s" + capped);
    p.payoff_ratio = payoff;
    p.removed_share = payoff / (1 + payoff);
    p.confidence = "high";
    p.numbers = std::move(numbers);
    return WithCause(std::move(p));
  }
  // The server's CPUs set the pace (or nothing does): they lose the hand-off and take back the
  // processing.
  if (!RanInMode(e, "netfilter", "bracket")) {
    Prediction p = Make(t, Verdict::kDocumented,
                        what +
                            ". No payoff is predicted: the server sets the pace, and the "
                            "processing would come back to it packet by packet, dearer than "
                            "in RPS's batches; the hand-off less the steered processing has "
                            "matched the realized gain only with the netfilter probe in "
                            "bracket mode (docs/advisor.md)");
    p.confidence = "low";
    p.numbers = std::move(numbers);
    return WithCause(std::move(p));
  }
  const std::string moved = Seconds(away) + " of receive processing that other CPUs did for it";
  const double share = (handoff - away) / server->seconds;
  if (share < kMinShare) {
    numbers.push_back({"removed_cpu_share", share, "ratio"});
    Prediction p =
        NotApplicable(t, what + ". Clearing the mask would end " + Seconds(handoff) +
                             " of hand-off on the server's CPUs but bring back " + moved + ": " +
                             (share < 0 ? "a cost of " + Pct(-share) : Pct(share)) +
                             " of the server's CPU time, no gain");
    p.numbers = std::move(numbers);
    return WithCause(std::move(p));
  }
  return WithCause(FromShare(t, share,
                             what + ". The hand-off (" + Seconds(handoff) + ") less " + moved,
                             *server, std::move(numbers)));
}

}  // namespace

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
    return RpsClearPayoff(t, e, what + ": " + fix);
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
