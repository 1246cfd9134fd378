// Rules about TCP settings: congestion control, listen queue, buffers, TIME_WAIT.

#include "advisor/rule_support.h"
#include "advisor/rules.h"

namespace tunescope::advisor {

using namespace rule_support;  // NOLINT(google-build-using-namespace): the rules' vocabulary

Prediction RuleCongestionReno(const Tuning& t, const Evidence& e) {
  auto cc = SysctlText(e, "net.ipv4.tcp_congestion_control");
  if (!cc) return NotMeasured(t, "net.ipv4.tcp_congestion_control unreadable");
  if (*cc == "reno") return Applied(t, "net.ipv4.tcp_congestion_control=reno");
  return Documented(t, "congestion control is " + *cc);
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

Prediction RuleSomaxconn(const Tuning& t, const Evidence& e) {
  auto somaxconn = SysctlInt(e, "net.core.somaxconn");
  // Drops depend on how fast the server accepts, which the probes slow (more drops in the
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
  // The counters count packets, and an attempt can lose several: a SYN dropped at a full
  // accept queue waits for its client's SYN retransmit; a handshake whose last ACK is dropped
  // loses that ACK and the request sent with it and waits for the server's SYN-ACK
  // retransmit. TCPSynRetrans counts both retransmits when the client is on this host, only
  // the SYN-ACKs otherwise; each SYN-ACK retransmit stands for two dropped packets, and the
  // overflows left over are SYNs whose retransmits another host sends. Either way:
  //   delayed attempts = retransmits + max(0, overflows - 2 * retransmits), at most overflows.
  // Each waits at least the 1 s initial retransmit timeout.
  constexpr double kSynRetransmit = 1.0;
  double overflow_packets = overflows.value_or(*drops);
  double delayed = overflow_packets;
  auto retrans = delta(&host::TcpCounters::syn_retrans);
  // A server in a container, its clients in the daemon's namespace (which opened connections):
  // their SYN retransmits are counted there. Left out, every overflow past twice the SYN-ACK
  // retransmits would read as a delayed attempt: with a local client (2026-12-03), 582
  // overflows came with 405 SYN retransmits and no SYN-ACK retransmit.
  const auto own = [&](std::optional<std::int64_t> host::TcpCounters::*field) {
    return unprobed ? unprobed->OwnDelta(field) : e.OwnTcpDelta(field);
  };
  std::string clients_note;
  if (e.host().target_netns && own(&host::TcpCounters::active_opens).value_or(0) > 0) {
    if (auto theirs = own(&host::TcpCounters::syn_retrans); theirs && *theirs > 0) {
      retrans = retrans.value_or(0) + *theirs;
      numbers.push_back({"client_namespace_syn_retransmits", *theirs, "count"});
      clients_note = ", the clients' counted in tunescope's network namespace";
    }
  }
  if (retrans && *retrans > 0) {
    delayed = std::min(overflow_packets, *retrans + std::max(0.0, overflow_packets - 2 * *retrans));
    numbers.push_back({"syn_retransmits", *retrans, "count"});
  }
  if (delayed <= 0) delayed = *drops;  // dropped for another reason than a full queue
  numbers.push_back({"delayed_attempts", delayed, "count"});
  double attempts = std::max(accepted, delayed);
  Prediction p = Make(t, Verdict::kMeasured, "");
  p.latency_removed_seconds = attempts > 0 ? delayed * kSynRetransmit / attempts : kSynRetransmit;
  p.latency_per = "connection";
  // Low: a retransmit that is dropped again waits 2 s more, which the counters cannot tell.
  p.confidence = "low";
  p.reason = Count(delayed) + " connection attempts waited for a SYN or SYN-ACK retransmit (" +
             Count(overflow_packets) + " packets dropped at a full listen queue" + clients_note +
             ") while " + Count(accepted) + " were accepted" +
             (unprobed ? " in the " + Seconds(unprobed->seconds) + " before the probes attached"
                       : std::string()) +
             (backlog.empty() ? "" : " (" + backlog + ")") +
             ": each costs its client at least a 1 s retransmit timeout, " +
             Seconds(*p.latency_removed_seconds) + " per connection on average";
  p.reason += "; raise net.core.somaxconn and the server's listen() backlog";
  p.numbers = std::move(numbers);
  return p;
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

}  // namespace tunescope::advisor
