// Rules about a packet's path through the kernel: netfilter, qdisc, offloads, NIC queues, polling.
#include <algorithm>
#include <map>
#include <set>

#include "advisor/rule_support.h"
#include "advisor/rules.h"

namespace tunescope::advisor {

using namespace rule_support;  // NOLINT(google-build-using-namespace): the rules' vocabulary

namespace {

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
      if (b.cpu == c.cpu && c.processed >= b.processed)
        packets += static_cast<double>(c.processed - b.processed);
    }
  }
  if (packets <= 0) return std::nullopt;
  return *rx / packets;
}

// The netfilter rules on the server's packets' path, when all of them are known. A server in a
// container: its namespace's rules count too, and unknown there, no count can say that none
// are loaded; nor with replicas in further containers, whose rules are not read.
std::optional<int> RulesOnPath(const host::HostFacts& h) {
  if (!h.netfilter.ok() || !h.other_target_netns.empty()) return std::nullopt;
  int rules = h.netfilter->total_rules();
  if (h.target_netns) {
    if (!h.target_netfilter.ok()) return std::nullopt;
    rules += h.target_netfilter->total_rules();
  }
  return rules;
}

}  // namespace

Prediction RuleNetfilter(const Tuning& t, const Evidence& e) {
  const std::optional<int> rules = RulesOnPath(e.host());
  if (!e.Has(kNetfilterSeconds)) {
    if (rules && *rules == 0) return NotApplicable(t, "no netfilter rules are loaded");
    Prediction p = NeedsProbe(t, "netfilter", kNetfilterSeconds);
    if (rules) {
      p.reason += "; " + std::to_string(*rules) + " rules loaded";
      p.numbers.push_back({"netfilter_rules", static_cast<double>(*rules), "count"});
    }
    return p;
  }
  // The bracket sees the hooks of the namespaces it is attached in; the container's, where its
  // rules run, may have refused it.
  if (const auto* target = e.AtEnd(kNetfilterTargetNetns)) {
    for (const Sample& s : *target) {
      if (s.value != 0) continue;
      auto id = s.labels.find("netns");
      return NotMeasured(t,
                         "the netfilter probe could not attach to the hooks of the server's "
                         "network namespace net:[" +
                             (id != s.labels.end() ? id->second : std::string("?")) +
                             "] (the log says why)");
    }
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

Prediction RuleNoqueue(const Tuning& t, const Evidence& e) {
  // default_qdisc applies to devices set up after it: one that still queues the server's
  // packets has not had the tuning.
  if (SysctlText(e, "net.core.default_qdisc") == "noqueue" &&
      e.OnServerCpus(kQdiscPackets).value_or(0) <= 0) {
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
  // Devices as the probe saw them: a name in a network namespace (a container's noqueue eth0
  // is not the host's eth0 with a queue), its root qdisc's kind, and whether it is virtual.
  for (const LabelSet& info : e.Series(kQdiscInfo)) {  // one series per device
    auto label = [&](const char* name) {
      auto it = info.find(name);
      return it == info.end() ? std::string() : it->second;
    };
    const LabelFilter on{{"device", label("device")}, {"netns", label("netns")}};
    double on_server = e.OnServerCpus(kQdiscSeconds, on).value_or(0);
    if (label("kind") == "noqueue") {
      bare_seconds += on_server;
      bare_packets += e.OnServerCpus(kQdiscTimed, on).value_or(0);  // none are queued there
      continue;
    }
    path += on_server;
    packets += e.OnServerCpus(kQdiscPackets, on).value_or(0);
    if (label("virtual") == "true") {
      moved += e.OnServerCpus(kQdiscUnpaired, on).value_or(0) -
               e.OnServerCpus(kQdiscDequeued, on).value_or(0);
    }
  }
  // tunescope's own programs ran inside the timed spans: their parts of each program's run
  // time per packet come out of every packet's span, and what each run cost beyond its recorded
  // time (the tracepoint's dispatch, the statistics' own clock reads: tens of ns a run).
  const double qdisc_packets = e.CounterDelta(kQdiscPackets).value_or(0);
  const double unrecorded_per_run = e.UnrecordedSecondsPerRun();
  double own_per_packet = 0, own_per_bare_packet = 0;
  for (const auto& p : probes::qdisc_metrics::kProgramsInSpan) {
    double seconds = 0, runs = 0;
    for (const char* kind : {"_btf", "_raw"}) {
      LabelFilter program{{"probe", "qdisc"}, {"program", std::string(p.program) + kind}};
      seconds += e.CounterDelta(kProgramSeconds, program).value_or(0);
      runs += e.CounterDelta(kProgramRuns, program).value_or(0);
    }
    double per_packet = p.every_packet ? runs : qdisc_packets;
    if (per_packet <= 0) continue;
    const double own_seconds = seconds + runs * unrecorded_per_run;
    own_per_packet += p.qdisc_part * own_seconds / per_packet;
    own_per_bare_packet += p.noqueue_part * own_seconds / per_packet;
  }
  const double own = packets * own_per_packet;
  const double measured_path = path;
  path = std::max(0.0, path - own);
  double bare =
      bare_packets > 0 ? std::max(0.0, bare_seconds / bare_packets - own_per_bare_packet) : 0;
  double rx = RxSecondsPerPacket(e).value_or(0);
  double returned = std::max(0.0, moved) * (bare + rx);
  double removed = path - packets * bare - returned;
  double contentions = e.CounterDelta(kQdiscContentions).value_or(0);
  std::vector<Number> numbers{{"qdisc_path_seconds", path, "s"},
                              {"qdisc_packets", packets, "count"},
                              {"noqueue_seconds_per_packet", bare, "s"},
                              {"tunescope_programs_in_path_seconds", own, "s"},
                              {"unrecorded_seconds_per_program_run", unrecorded_per_run, "s"},
                              {"packets_sent_by_other_cpus", moved, "count"},
                              {"rx_seconds_per_packet", rx, "s"},
                              {"returned_seconds", returned, "s"},
                              {"qdisc_lock_contentions", contentions, "count"}};
  Prediction p = FromShare(t, removed / server->seconds,
                           "qdisc paths on the server's CPUs, less the sends and receive "
                           "processing noqueue gives back to them,",
                           *server, std::move(numbers));
  if (p.verdict == Verdict::kMeasured && packets < kMinSamples) p.confidence = "low";
  if (own > 0 && own >= measured_path) {
    p.reason += "; the qdisc path's " + Seconds(measured_path) + " there is no more than " +
                Seconds(own) + " of tunescope's own programs inside it: too small to measure here";
  }
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

}  // namespace tunescope::advisor
