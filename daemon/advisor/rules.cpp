#include "advisor/rules.h"

#include "host/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace tunescope::advisor {
namespace {

// Shares below this are noise on a busy host: nothing worth a change.
constexpr double kMinShare = 0.005;
// talawah.io's "perfect locality" step gained 38%: read as removing s = 0.38/1.38 of the CPU when
// every packet was handled on another CPU than the reader's.
constexpr double kLocalityMaxShare = 0.38 / 1.38;
// Run-queue waits at or above this are contention (another task held the CPU for a slice);
// shorter ones are the cost of a wakeup that no placement removes.
constexpr double kContentionWait = 64e-6;
// Fewer events than this in a window make a prediction of low confidence.
constexpr double kMinSamples = 1000;
// Latency rules: less than this per request is below what a person would act on (talawah.io's
// busy-polling step removed 69 us at p50).
constexpr double kMinLatency = 5e-6;

std::string Pct(double ratio) {
  char buf[32];
  double p = ratio * 100;
  std::snprintf(buf, sizeof(buf), p >= 10 || p == 0 ? "%.0f%%" : "%.1f%%", p);
  return buf;
}

std::string Seconds(double s) {
  char buf[32];
  if (s >= 1) {
    std::snprintf(buf, sizeof(buf), "%.2f s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buf, sizeof(buf), "%.1f ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f us", s * 1e6);
  }
  return buf;
}

std::string Count(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

Prediction Make(const Tuning& t, Verdict v, std::string reason) {
  Prediction p;
  p.tuning = &t;
  p.verdict = v;
  p.reason = std::move(reason);
  return p;
}

Prediction Applied(const Tuning& t, std::string reason) {
  return Make(t, Verdict::kApplied, "already applied: " + reason);
}
Prediction NotApplicable(const Tuning& t, std::string reason) {
  return Make(t, Verdict::kNotApplicable, "nothing to gain here: " + reason);
}
Prediction NotMeasured(const Tuning& t, std::string reason) {
  return Make(t, Verdict::kNotMeasured, "not measured here: " + reason);
}
Prediction NeedsProbe(const Tuning& t, std::string_view probe, std::string_view metric) {
  return NotMeasured(t, "needs probe " + std::string(probe) + " (" + std::string(metric) + ")");
}
// Applicable, but only the source's number is known.
Prediction Documented(const Tuning& t, std::string evidence) {
  Prediction p = Make(t, Verdict::kDocumented, std::move(evidence));
  p.payoff_ratio = t.documented_ratio;
  p.confidence = "low";
  p.reason += "; documented " + std::string(t.documented_gain) + " (" + std::string(t.source) +
              "), not measured here";
  return p;
}

// Numbers every share-based prediction shows: what the share was taken of.
void AddBasis(std::vector<Number>& numbers, const Evidence::ServerCpu& server) {
  numbers.push_back({"server_cpu_seconds", server.seconds, "s"});
  numbers.push_back({"server_cpu_busy_share", server.busy_share(), "ratio"});
  if (server.probe_seconds > 0) {
    numbers.push_back({"tunescope_programs_seconds", server.probe_seconds, "s"});
  }
}

// A measured share s of the server's CPU time that the tuning removes: the payoff model. On a
// saturated server that is s / (1 - s) more req/s; on one with idle time it is CPU saved per
// request (headroom), which the reason says.
Prediction FromShare(const Tuning& t, double share, const std::string& what,
                     const Evidence::ServerCpu& server, std::vector<Number> numbers) {
  AddBasis(numbers, server);
  numbers.push_back({"removed_cpu_share", share, "ratio"});
  if (share < kMinShare) {
    Prediction p = NotApplicable(t, what + " take " + Pct(share) + " of the server's CPU time");
    p.numbers = std::move(numbers);
    return p;
  }
  Prediction p = Make(t, Verdict::kMeasured, "");
  p.payoff_ratio = ThroughputPayoff(share);
  p.removed_share = share;
  p.confidence = "high";
  p.reason = what + " take " + Pct(share) + " of the server's CPU time (" + server.basis;
  if (server.probe_seconds > 0) {
    p.reason += ", less " + Seconds(server.probe_seconds) + " of tunescope's own programs";
  }
  if (server.saturated()) {
    p.reason += "), predicted +" + Pct(*p.payoff_ratio) + " req/s";
  } else {
    p.headroom = true;
    p.reason += "); those CPUs were " + Pct(server.busy_share()) +
                " busy, not saturated: removing it frees " + Pct(share) +
                " of their CPU per request (headroom), up to +" + Pct(*p.payoff_ratio) +
                " req/s once the server is CPU-bound";
  }
  p.numbers = std::move(numbers);
  return p;
}

std::optional<long long> SysctlInt(const Evidence& e, std::string_view name) {
  return e.host().sysctls.get_int(name);
}
std::optional<std::string> SysctlText(const Evidence& e, std::string_view name) {
  const host::SysctlValue* v = e.host().sysctls.find(name);
  if (v == nullptr || !v->value.ok()) return std::nullopt;
  return *v->value;
}

// Devices that carry the server's traffic: up, not loopback.
std::vector<const host::DeviceFacts*> TrafficDevices(const Evidence& e, bool physical_only) {
  std::vector<const host::DeviceFacts*> out;
  if (!e.host().devices.ok()) return out;
  for (const host::DeviceFacts& d : *e.host().devices) {
    if (d.device.name == "lo") continue;
    if (physical_only && !d.device.has_device) continue;
    if (d.device.operstate && *d.device.operstate != "up" && *d.device.operstate != "unknown") {
      continue;
    }
    out.push_back(&d);
  }
  return out;
}

// Root qdisc kind per device (lo included), from the host's netlink dump.
std::map<std::string, std::string> QdiscKinds(const Evidence& e) {
  std::map<std::string, std::string> out;
  if (!e.host().devices.ok()) return out;
  for (const host::DeviceFacts& d : *e.host().devices) {
    if (d.root_qdisc.ok()) out[d.device.name] = d.root_qdisc->kind;
  }
  return out;
}

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

double ThroughputPayoff(double removed_share) {
  double s = std::clamp(removed_share, 0.0, 0.95);
  return s / (1 - s);
}

Prediction RuleAppCode(const Tuning& t, const Evidence&) {
  return NotMeasured(t,
                     "application code (compiler flags, recv/send instead of read/write, thread "
                     "overhead) is outside the kernel paths tunescope traces; profile the server");
}

Prediction RuleMitigations(const Tuning& t, const Evidence& e) {
  const auto& h = e.host();
  if (h.cmdline.ok() && h.cmdline->mitigations_off()) {
    return Applied(t, "the kernel was booted with mitigations=off");
  }
  if (!h.vulnerabilities.ok()) return NotMeasured(t, h.vulnerabilities.error());
  std::vector<std::string> mitigated;
  for (const auto& v : h.vulnerabilities->items) {
    if (v.state == host::VulnState::kMitigated) mitigated.push_back(v.name);
  }
  if (mitigated.empty()) {
    return NotApplicable(t, "no speculative-execution mitigation is active on this CPU");
  }
  Prediction p =
      Documented(t, std::to_string(mitigated.size()) + " mitigations active (" + Names(mitigated) +
                        "); their cost is spread over every kernel entry and is not "
                        "separable by tracing");
  p.numbers.push_back({"mitigations_active", static_cast<double>(mitigated.size()), "count"});
  return p;
}

Prediction RuleAuditSeccomp(const Tuning& t, const Evidence& e) {
  const auto& h = e.host();
  std::optional<bool> audit;
  if (h.audit.ok()) audit = h.audit->likely_active();
  // Without CAP_AUDIT_CONTROL the kernel cannot be asked; say so rather than guess.
  const std::string audit_unknown =
      !h.audit.ok()          ? h.audit.error()
      : h.audit->kernel.ok() ? std::string("no answer")
                             : "the kernel could not be asked: " + h.audit->kernel.error();
  std::optional<bool> seccomp;
  if (h.target_seccomp.ok()) seccomp = h.target_seccomp->mode == host::SeccompMode::kFilter;
  if (!audit && !seccomp) {
    return NotMeasured(t, "audit state (" + audit_unknown + ") and seccomp (" +
                              h.target_seccomp.error() + ") unknown");
  }
  if (!audit.value_or(false) && !seccomp.value_or(false)) {
    std::string why = (audit ? std::string("syscall auditing is off")
                             : "audit state unknown (" + audit_unknown + ")") +
                      ", " +
                      (seccomp ? "the target runs without seccomp filters"
                               : "seccomp unknown (" + h.target_seccomp.error() + ")");
    return audit && seccomp ? Applied(t, why) : NotMeasured(t, why);
  }
  std::string what;
  if (audit.value_or(false)) what = "syscall auditing is active";
  if (seccomp.value_or(false)) {
    what += std::string(what.empty() ? "" : " and ") + "the target runs under seccomp filters";
  }
  Prediction p = Documented(t, what);
  if (h.audit.ok() && h.audit->kernel.ok() && h.audit->kernel->rule_count) {
    p.numbers.push_back(
        {"audit_rules", static_cast<double>(*h.audit->kernel->rule_count), "count"});
  }
  return p;
}

Prediction RuleNetfilter(const Tuning& t, const Evidence& e) {
  std::optional<int> rules;
  if (e.host().netfilter.ok()) rules = e.host().netfilter->total_rules();
  if (!e.Has(kNetfilterSeconds)) {
    if (rules && *rules == 0) return NotApplicable(t, "no netfilter rules are loaded");
    Prediction p = NeedsProbe(t, "netfilter", kNetfilterSeconds);
    if (rules) {
      p.reason += "; " + std::to_string(*rules) + " rules loaded";
      p.numbers.push_back({"netfilter_rules", static_cast<double>(*rules), "count"});
    }
    return p;
  }
  // Hooks cost the CPU they run on: only the server's CPUs limit it.
  double nf = e.OnServerCpus(kNetfilterSeconds).value_or(0);
  double packets = e.OnServerCpus(kNetfilterPackets).value_or(0);
  std::vector<Number> numbers{{"netfilter_seconds", nf, "s"},
                              {"netfilter_packets", packets, "count"}};
  if (rules) numbers.push_back({"netfilter_rules", static_cast<double>(*rules), "count"});
  if (packets > 0) numbers.push_back({"netfilter_seconds_per_packet", nf / packets, "s"});
  auto server = e.ServerCpuSeconds();
  if (!server) return NotMeasured(t, "no CPU time of the server was measured");
  if (nf == 0 && packets == 0 && rules && *rules == 0) {
    return Applied(t, "no netfilter hook ran and no rules are loaded");
  }
  Prediction p = FromShare(t, nf / server->seconds, "netfilter hooks on the server's CPUs", *server,
                           std::move(numbers));
  if (p.verdict == Verdict::kMeasured && packets < kMinSamples) p.confidence = "low";
  return p;
}

Prediction RuleCpuIsolation(const Tuning& t, const Evidence& e) {
  const CpuTimes& c = e.cpu();
  if (!c.target_cpu_seconds) return NotMeasured(t, c.target_reason);
  if (!c.target_run_seconds || !c.target_wait_seconds) {
    return NotMeasured(t,
                       "no scheduler accounting of the target's threads (schedstat needs "
                       "CONFIG_SCHED_INFO)");
  }
  // The kernel's own accounting: every nanosecond the threads were runnable but not running.
  double run = *c.target_run_seconds, wait = *c.target_wait_seconds;
  std::vector<Number> numbers{{"target_run_seconds", run, "s"},
                              {"target_runqueue_wait_seconds", wait, "s"},
                              {"target_timeslices", c.target_timeslices, "count"}};
  if (auto h = e.Histogram(kTargetRunqueue); h && h->count > 0) {
    if (auto p99 = h->QuantileUpperBound(0.99)) {
      numbers.push_back({"target_runqueue_p99_seconds", *p99, "s"});
    }
  }
  if (run + wait <= 0) return NotMeasured(t, "the target's threads did not run in the window");
  double share = wait / (run + wait);
  auto server = e.ServerCpuSeconds();
  std::string waited = "the server's threads waited " + Seconds(wait) +
                       " for their CPUs while running " + Seconds(run);
  if (share < kMinShare) {
    Prediction p = NotApplicable(t, waited + " (" + Pct(share) + " of their runnable time)");
    p.numbers = std::move(numbers);
    return p;
  }
  Prediction p = Make(t, Verdict::kMeasured, "");
  p.numbers = std::move(numbers);
  p.confidence = c.target_timeslices >= kMinSamples ? "high" : "low";
  if (server && server->saturated()) {
    // A CPU-bound server that waits w for every r it runs does r / (r + w) of the work it
    // could: its CPUs to itself, it gains w / r.
    p.removed_share = share;
    p.payoff_ratio = ThroughputPayoff(share);
    p.reason = waited + " (" + Pct(share) + " of their runnable time, schedstat) on CPUs busy " +
               Pct(server->busy_share()) + " of the window, predicted +" + Pct(*p.payoff_ratio) +
               " req/s once those CPUs are the server's own";
    return p;
  }
  // With idle time on its CPUs the waits are latency: each wakeup waits for its turn.
  double per_slice = c.target_timeslices > 0 ? wait / c.target_timeslices : 0;
  p.latency_removed_seconds = per_slice;
  p.reason = waited + "; its CPUs were not saturated, so each of its " +
             Count(c.target_timeslices) + " timeslices waited " + Seconds(per_slice) +
             " on average: latency the tuning removes";
  return p;
}

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

Prediction RuleXps(const Tuning& t, const Evidence& e) {
  int multi = 0, with_xps = 0;
  std::vector<std::string> without;
  for (const auto* d : TrafficDevices(e, true)) {
    if (d->device.tx_queues <= 1) continue;
    ++multi;
    if (d->device.xps_enabled()) {
      ++with_xps;
    } else {
      without.push_back(d->device.name);
    }
  }
  if (multi == 0) return NotApplicable(t, "no multi-queue NIC (XPS needs several tx queues)");
  if (with_xps == multi) return Applied(t, "every multi-queue NIC has XPS masks");
  return Documented(t, "no XPS masks on " + Names(without));
}

Prediction RuleBusyPoll(const Tuning& t, const Evidence& e) {
  auto busy_read = SysctlInt(e, "net.core.busy_read");
  auto busy_poll = SysctlInt(e, "net.core.busy_poll");
  if (busy_read.value_or(0) > 0 || busy_poll.value_or(0) > 0) {
    return Applied(t, "net.core.busy_read=" + std::to_string(busy_read.value_or(0)) +
                          ", busy_poll=" + std::to_string(busy_poll.value_or(0)));
  }
  if (!e.Has(kNetRxRaiseDelay)) {
    return NeedsProbe(t, "softirq with --softirq.raise-delay", kNetRxRaiseDelay);
  }
  auto raise = e.Histogram(kNetRxRaiseDelay);
  if (!raise || raise->count <= 0) {
    return NotApplicable(t, "no NET_RX softirq was raised in the window (no receive traffic)");
  }
  double removed = raise->Mean().value_or(0);
  std::vector<Number> numbers{{"net_rx_raise_delay_mean_seconds", removed, "s"},
                              {"net_rx_raises", raise->count, "count"}};
  std::string what = "received packets wait " + Seconds(removed) + " from interrupt to NET_RX";
  if (auto rq = e.Histogram(kTargetRunqueue); rq && rq->count > 0) {
    double wake = rq->Mean().value_or(0);
    removed += wake;
    numbers.push_back({"target_wakeup_mean_seconds", wake, "s"});
    what += " and the server's threads " + Seconds(wake) + " to be woken";
  }
  if (removed < kMinLatency) {
    Prediction p = NotApplicable(t, what + ": under " + Seconds(kMinLatency) + " to remove");
    p.numbers = std::move(numbers);
    return p;
  }
  // An upper bound from measured waits, not checked against a run with busy polling (it needs
  // a NIC with NAPI; loopback and veth have none to poll): documented, with the bound.
  Prediction p =
      Documented(t, what + "; busy polling removes at most " + Seconds(removed) + " per request");
  p.numbers = std::move(numbers);
  return p;
}

Prediction RuleAdaptiveRx(const Tuning& t, const Evidence& e) {
  int with_coalesce = 0, adaptive = 0;
  std::vector<std::string> fixed;
  for (const auto* d : TrafficDevices(e, true)) {
    if (!d->ethtool.ok() || !d->ethtool->coalesce.ok()) continue;
    ++with_coalesce;
    if (d->ethtool->coalesce->adaptive_rx) {
      ++adaptive;
    } else {
      fixed.push_back(d->device.name);
    }
  }
  if (with_coalesce == 0) {
    return NotApplicable(t, "no device here supports interrupt coalescing settings");
  }
  if (adaptive == with_coalesce) return Applied(t, "adaptive-rx is on for every NIC");
  Prediction p = Documented(t, "fixed interrupt coalescing on " + Names(fixed));
  if (auto hardirq = e.CounterDelta(kHardirqSeconds)) {
    p.numbers.push_back({"hardirq_seconds", *hardirq, "s"});
  }
  return p;
}

Prediction RulePacketSockets(const Tuning& t, const Evidence& e) {
  const auto& sockets = e.host().packet_sockets;
  if (!sockets.ok()) return NotMeasured(t, sockets.error());
  std::set<std::string> owners;
  int count = 0;
  for (const auto& s : *sockets) {
    ++count;
    for (const auto& o : s.owners) owners.insert(o.comm + "[" + std::to_string(o.pid) + "]");
  }
  if (count == 0) return Applied(t, "no packet socket is open on this host");
  Prediction p = Documented(
      t,
      std::to_string(count) + " packet socket(s) open" +
          (owners.empty() ? std::string() : " (by " + Names({owners.begin(), owners.end()}) + ")") +
          ": each sees every packet");
  p.numbers.push_back({"packet_sockets", static_cast<double>(count), "count"});
  return p;
}

// Receive processing per packet on the server's CPUs: their NET_RX time over the packets they
// processed (softnet_stat).
std::optional<double> RxSecondsPerPacket(const Evidence& e) {
  auto rx = e.OnServerCpus(kSoftirqSeconds, {{"vector", "net_rx"}});
  const host::HostFacts* before = e.host_before();
  if (!rx || before == nullptr || !before->softnet.ok() || !e.host().softnet.ok()) {
    return std::nullopt;
  }
  const auto& server = e.cpu().target_cpus;
  double packets = 0;
  for (const host::SoftnetCpu& c : e.host().softnet->cpus) {
    if (!server.empty() && std::find(server.begin(), server.end(), c.cpu) == server.end()) continue;
    for (const host::SoftnetCpu& b : before->softnet->cpus) {
      if (b.cpu == c.cpu && c.processed >= b.processed) packets += static_cast<double>(c.processed - b.processed);
    }
  }
  if (packets <= 0) return std::nullopt;
  return *rx / packets;
}

Prediction RuleNoqueue(const Tuning& t, const Evidence& e) {
  if (SysctlText(e, "net.core.default_qdisc") == "noqueue") {
    return Applied(t, "net.core.default_qdisc=noqueue");
  }
  if (!e.Has(kQdiscSeconds)) return NeedsProbe(t, "qdisc", kQdiscSeconds);
  auto server = e.ServerCpuSeconds();
  if (!server) return NotMeasured(t, "no CPU time of the server was measured");
  // Removed: the whole qdisc path (enqueue, locks, dequeue, up to the driver) on the server's
  // CPUs, less what the same packets cost through noqueue (the per-packet time of noqueue
  // devices). Brought back: a shared qdisc lets whichever CPU runs it send the others' packets,
  // and on a virtual device (lo, veth) the receive processing follows the sending CPU. Packets
  // the server's CPUs queued that another CPU sent (unpaired), less those they sent for others
  // (dequeued), return to them with noqueue, each with its send and its receive processing.
  double path = 0, packets = 0, bare_seconds = 0, bare_packets = 0, moved = 0;
  const auto kinds = QdiscKinds(e);
  std::map<std::string, bool> is_virtual;
  if (e.host().devices.ok()) {
    for (const host::DeviceFacts& d : *e.host().devices) {
      is_virtual[d.device.name] = !d.device.has_device;
    }
  }
  for (const auto& [device, seconds] : e.CounterDeltaBy(kQdiscSeconds, "device")) {
    const LabelFilter on{{"device", device}};
    double on_server = e.OnServerCpus(kQdiscSeconds, on).value_or(0);
    double sent = e.OnServerCpus(kQdiscPackets, on).value_or(0);
    if (auto k = kinds.find(device); k != kinds.end() && k->second == "noqueue") {
      bare_seconds += on_server;
      bare_packets += sent;
      continue;
    }
    path += on_server;
    packets += sent;
    if (is_virtual[device]) {
      moved += e.OnServerCpus(kQdiscUnpaired, on).value_or(0) -
               e.OnServerCpus(kQdiscDequeued, on).value_or(0);
    }
  }
  double bare = bare_packets > 0 ? bare_seconds / bare_packets : 0;
  double rx = RxSecondsPerPacket(e).value_or(0);
  double returned = std::max(0.0, moved) * (bare + rx);
  double removed = path - packets * bare - returned;
  double contentions = e.CounterDelta(kQdiscContentions).value_or(0);
  std::vector<Number> numbers{{"qdisc_path_seconds", path, "s"},
                              {"qdisc_packets", packets, "count"},
                              {"noqueue_seconds_per_packet", bare, "s"},
                              {"packets_sent_by_other_cpus", moved, "count"},
                              {"rx_seconds_per_packet", rx, "s"},
                              {"returned_seconds", returned, "s"},
                              {"qdisc_lock_contentions", contentions, "count"}};
  Prediction p = FromShare(t, removed / server->seconds,
                           "qdisc paths on the server's CPUs, less the sends and receive "
                           "processing noqueue gives back to them,",
                           *server, std::move(numbers));
  if (p.verdict == Verdict::kMeasured && packets < kMinSamples) p.confidence = "low";
  return p;
}

Prediction RuleGroOff(const Tuning& t, const Evidence& e) {
  std::vector<std::string> on;
  int known = 0;
  for (const auto* d : TrafficDevices(e, false)) {
    if (!d->ethtool.ok() || !d->ethtool->offloads.ok() || !d->ethtool->offloads->gro) continue;
    ++known;
    if (*d->ethtool->offloads->gro) on.push_back(d->device.name);
  }
  if (known == 0) return NotMeasured(t, "no device reports its GRO state");
  if (on.empty()) return Applied(t, "GRO is off on every device that carries traffic");
  return Documented(t, "GRO on for " + Names(on));
}

Prediction RuleCongestionReno(const Tuning& t, const Evidence& e) {
  auto cc = SysctlText(e, "net.ipv4.tcp_congestion_control");
  if (!cc) return NotMeasured(t, "net.ipv4.tcp_congestion_control unreadable");
  if (*cc == "reno") return Applied(t, "net.ipv4.tcp_congestion_control=reno");
  return Documented(t, "congestion control is " + *cc);
}

Prediction RuleGovernor(const Tuning& t, const Evidence& e) {
  const auto& f = e.host().cpufreq;
  if (!f.ok()) return NotApplicable(t, f.error());
  if (f->all("performance")) return Applied(t, "every CPU runs the performance governor");
  return Documented(t, "governors: " + Names(f->governors()));
}

Prediction RuleNicRings(const Tuning& t, const Evidence& e) {
  std::vector<std::string> small;
  int known = 0;
  for (const auto* d : TrafficDevices(e, true)) {
    if (!d->ethtool.ok() || !d->ethtool->rings.ok()) continue;
    const auto& r = *d->ethtool->rings;
    if (r.rx_max == 0) continue;
    ++known;
    if (r.rx < r.rx_max) {
      small.push_back(d->device.name + " rx " + std::to_string(r.rx) + "/" +
                      std::to_string(r.rx_max));
    }
  }
  if (known == 0) return NotApplicable(t, "no device here has adjustable rings");
  if (small.empty()) return Applied(t, "rx rings are at their maximum");
  Prediction p = Documented(t, "rings below maximum: " + Names(small));
  if (e.host_before() != nullptr && e.host_before()->softnet.ok() && e.host().softnet.ok()) {
    double drops = static_cast<double>(e.host().softnet->total_dropped() -
                                       e.host_before()->softnet->total_dropped());
    p.numbers.push_back({"softnet_drops", drops, "count"});
  }
  return p;
}

Prediction RuleRpsRfs(const Tuning& t, const Evidence& e) {
  // A mask that steers the server's packets away from the CPUs that read them: the fix is RFS
  // (steer to the reader) or no RPS, whatever the queue count.
  auto flows = SysctlInt(e, "net.core.rps_sock_flow_entries");
  if (auto away = e.RpsAwayFromServer(); !away.empty() && flows.value_or(0) == 0) {
    const std::string fix = "enable RFS (net.core.rps_sock_flow_entries and rps_flow_cnt) or "
                            "clear the mask";
    const std::string what = "RPS steers the server's packets away from the CPUs it runs on (" +
                             Names(away) + "; the server runs on CPU " +
                             host::format_cpu_list(e.cpu().target_cpus) + ")";
    auto server = e.ServerCpuSeconds();
    auto rx = e.OnServerCpus(kSoftirqSeconds, {{"vector", "net_rx"}});
    if (!server || !rx) {
      Prediction p = Make(t, Verdict::kDocumented, what + ": " + fix);
      p.confidence = "low";
      return p;
    }
    // With every packet steered away, the NET_RX left on the server's CPUs is the hand-off: the
    // enqueueing to other CPUs' backlogs and the IPIs for the server's own sends. The model takes
    // that as the removed cost; the receive processing that comes back without the mask and the
    // locality it restores are taken to cancel (checked by the rps_away scenarios).
    Prediction p = FromShare(t, *rx / server->seconds, what + "; its hand-offs (NET_RX there)",
                             *server, {{"server_cpus_net_rx_seconds", *rx, "s"}});
    p.reason += "; " + fix;
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

Prediction RuleFqBbr(const Tuning& t, const Evidence& e) {
  auto qdisc = SysctlText(e, "net.core.default_qdisc");
  auto cc = SysctlText(e, "net.ipv4.tcp_congestion_control");
  if (qdisc == "fq" && cc == "bbr")
    return Applied(t, "default_qdisc=fq, tcp_congestion_control=bbr");
  auto retrans = e.TcpDelta(&host::TcpCounters::retrans_segs);
  auto out = e.TcpDelta(&host::TcpCounters::out_segs);
  if (!retrans || !out || *out <= 0) {
    return NotMeasured(t, "no TCP segments sent in the window to judge loss");
  }
  double loss = *retrans / *out;
  std::vector<Number> numbers{{"retransmitted_segments", *retrans, "count"},
                              {"sent_segments", *out, "count"},
                              {"retransmit_ratio", loss, "ratio"}};
  if (loss < 0.01) {
    Prediction p = NotApplicable(
        t, "retransmits are " + Pct(loss) + " of sent segments: little loss for pacing to remove");
    p.numbers = std::move(numbers);
    return p;
  }
  Prediction p = Documented(t, "retransmits are " + Pct(loss) + " of sent segments");
  p.numbers = std::move(numbers);
  return p;
}

Prediction RuleNotsentLowat(const Tuning& t, const Evidence&) {
  return NotMeasured(t,
                     "head-of-line blocking inside HTTP/2 streams is not visible to the kernel "
                     "probes; test it with the server's own latency metrics");
}

Prediction RuleNuma(const Tuning& t, const Evidence& e) {
  if (!e.cpu().numa_nodes) return NotMeasured(t, "NUMA topology unreadable");
  if (*e.cpu().numa_nodes <= 1) return NotApplicable(t, "one NUMA node");
  Prediction p = Documented(t, std::to_string(*e.cpu().numa_nodes) + " NUMA nodes");
  p.numbers.push_back({"numa_nodes", static_cast<double>(*e.cpu().numa_nodes), "count"});
  return p;
}

Prediction RuleSomaxconn(const Tuning& t, const Evidence& e) {
  auto somaxconn = SysctlInt(e, "net.core.somaxconn");
  // Drops depend on how fast the server accepts, which the probes slow (3-4x the drops in the
  // nginx scenario): the phase with no probe attached counts when there was one.
  const auto& unprobed = e.unprobed_tcp();
  auto delta = [&](std::optional<std::int64_t> host::TcpCounters::*field) {
    return unprobed ? unprobed->Delta(field) : e.TcpDelta(field);
  };
  auto overflows = delta(&host::TcpCounters::listen_overflows);
  auto drops = delta(&host::TcpCounters::listen_drops);
  if (!drops) drops = overflows;
  if (!drops) return NotMeasured(t, "listen drop counters unreadable over the window");
  double cookies = delta(&host::TcpCounters::syncookies_sent).value_or(0);
  double accepted = delta(&host::TcpCounters::passive_opens).value_or(0);
  std::vector<Number> numbers{{"listen_drops", *drops, "count"},
                              {"listen_overflows", overflows.value_or(0), "count"},
                              {"syncookies_sent", cookies, "count"},
                              {"passive_opens", accepted, "count"}};
  if (somaxconn) numbers.push_back({"somaxconn", static_cast<double>(*somaxconn), "count"});
  std::string backlog;
  const auto& l = e.host().target_listeners;
  if (l.ok() && !l->listeners.empty()) {
    numbers.push_back({"target_accept_queue", static_cast<double>(l->accept_queue()), "count"});
    backlog = "port " + std::to_string(l->port) + "'s backlog is at most somaxconn" +
              (somaxconn ? "=" + std::to_string(*somaxconn) : std::string());
  }
  if (*drops <= 0 && cookies <= 0) {
    Prediction p =
        somaxconn && *somaxconn >= 4096
            ? Applied(t, "net.core.somaxconn=" + std::to_string(*somaxconn) +
                             " and no connection attempt was dropped")
            : NotApplicable(t, "no connection attempt was dropped at a full listen queue" +
                                   (backlog.empty() ? "" : " (" + backlog + ")"));
    p.numbers = std::move(numbers);
    return p;
  }
  // A dropped SYN or handshake costs the client at least the 1 s initial retransmit timeout.
  constexpr double kSynRetransmit = 1.0;
  double attempts = accepted + *drops;
  Prediction p = Make(t, Verdict::kMeasured, "");
  p.latency_removed_seconds = attempts > 0 ? *drops * kSynRetransmit / attempts : kSynRetransmit;
  // A window with probes attached sees more drops than the server alone would.
  p.confidence = unprobed ? (*drops >= 100 ? "high" : "medium") : "low";
  p.reason = Count(*drops) + " connection attempts dropped at a full listen queue while " +
             Count(accepted) + " were accepted" +
             (unprobed ? " in the " + Seconds(unprobed->seconds) + " before the probes attached"
                       : std::string()) +
             (backlog.empty() ? "" : " (" + backlog + ")") +
             ": each costs its client at least a 1 s SYN retransmit, " +
             Seconds(*p.latency_removed_seconds) + " per connection on average";
  p.reason += "; raise net.core.somaxconn and the server's listen() backlog";
  p.numbers = std::move(numbers);
  return p;
}

Prediction RuleFileMax(const Tuning& t, const Evidence& e) {
  auto max = SysctlInt(e, "fs.file-max");
  if (max && *max >= 2097152) return Applied(t, "fs.file-max=" + std::to_string(*max));
  return NotMeasured(t,
                     "running out of file descriptors shows as EMFILE/ENFILE in the server, "
                     "which no probe sees; fs.file-max=" +
                         (max ? std::to_string(*max) : std::string("unknown")));
}

Prediction RuleTcpBuffers(const Tuning& t, const Evidence&) {
  return NotMeasured(t,
                     "buffer limits matter for high bandwidth-delay paths to clients; the "
                     "probes do not see window-limited flows");
}

Prediction RuleTwReuse(const Tuning& t, const Evidence& e) {
  auto reuse = SysctlInt(e, "net.ipv4.tcp_tw_reuse");
  if (reuse == 1) return Applied(t, "net.ipv4.tcp_tw_reuse=1");
  const auto& ss = e.host().sockstat;
  if (!ss.ok() || !ss->tcp_tw) return NotMeasured(t, "TIME_WAIT count unreadable");
  double tw = static_cast<double>(*ss->tcp_tw);
  auto overflow = e.TcpDelta(&host::TcpCounters::timewait_overflow).value_or(0);
  std::vector<Number> numbers{{"time_wait_sockets", tw, "count"},
                              {"time_wait_overflows", overflow, "count"}};
  if (tw < 10000 && overflow <= 0) {
    Prediction p = NotApplicable(t, Count(tw) + " sockets in TIME_WAIT: far from port exhaustion");
    p.numbers = std::move(numbers);
    return p;
  }
  Prediction p = Documented(t, Count(tw) + " sockets in TIME_WAIT");
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
