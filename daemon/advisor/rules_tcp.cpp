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
  // A dropped SYN or handshake costs the client at least the 1 s initial retransmit timeout.
  constexpr double kSynRetransmit = 1.0;
  double attempts = accepted + *drops;
  Prediction p = Make(t, Verdict::kMeasured, "");
  p.latency_removed_seconds = attempts > 0 ? *drops * kSynRetransmit / attempts : kSynRetransmit;
  // Low: the drop counters count packets, and one attempt can be dropped more than once (its
  // handshake's last ACK and the retransmits), so they overstate the attempts (3.5x against
  // the realized latency in the nginx scenario).
  p.confidence = "low";
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
