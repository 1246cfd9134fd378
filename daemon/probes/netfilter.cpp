#include "probes/netfilter.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "core/log.h"
#include "host/netns.h"
#include "metrics/family.h"
#include "metrics/log2_histogram.h"
#include "netfilter.skel.h"
#include "probes/bpf_stats.h"
#include "probes/namespace_warnings.h"
#include "probes/netfilter_metrics.h"
#include "probes/skeleton_probe.h"

extern "C" {
#include "netfilter.bpf.h"
}

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"fentry", "_fentry", "fentry/fexit on nf_hook_slow (BPF trampolines; ftrace not locked down)"},
    {"kprobe", "_kprobe", "kprobe/kretprobe on nf_hook_slow (CONFIG_KPROBES)"},
    {"bracket", "_bracket",
     "BPF netfilter links at the first and last priority of each IPv4/IPv6 hook (kernel >= 6.4)",
     // Two programs on every packet and hook: too much to add to every packet for good
     // unasked; serve runs it by default only inside its attach windows.
     /*opt_in=*/true},
};

// 64 ns .. 16 ms per hook traversal.
constexpr metrics::Log2Buckets kCostBuckets{6, 24};
constexpr std::string_view kMapNames[] = {"stack"};
// Open hook traversals: half-finished events.
constexpr std::string_view kTransientMaps[] = {"stacks"};

// Calibration: UDP datagrams over loopback in a private network namespace, each one crossing
// four IPv4 hooks (output, postrouting, prerouting, input) with nothing but the bracket on them.
constexpr int kCalibrationPackets = 2000;
constexpr uint64_t kCalibrationMinSamples = 1000;

Status SetLoopbackUp() {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::Error(ErrnoMessage("socket", errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0)
    return Status::Error(ErrnoMessage("SIOCGIFFLAGS lo", errno));
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(fd.get(), SIOCSIFFLAGS, &ifr) != 0)
    return Status::Error(ErrnoMessage("SIOCSIFFLAGS lo", errno));
  return {};
}

Status SendLoopbackDatagrams(int count) {
  UniqueFd rx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  UniqueFd tx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!rx.valid() || !tx.valid()) return Status::Error(ErrnoMessage("socket", errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(rx.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status::Error(ErrnoMessage("bind", errno));
  }
  char buf[64] = {};
  for (int i = 0; i < count; ++i) {
    if (sendto(tx.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) <
        0) {
      return Status::Error(ErrnoMessage("sendto", errno));
    }
    while (recv(rx.get(), buf, sizeof(buf), 0) > 0) {
    }
  }
  return {};
}

Status AttachBracket(netfilter_bpf& s, const NetfilterAttachPoint& p, std::vector<LinkPtr>& links) {
  bpf_program* prog = p.first ? s.progs.ts_nf_first_bracket : s.progs.ts_nf_last_bracket;
  int err = 0;
  for (int step = 0; step < kBracketPrioritySteps; ++step) {
    LIBBPF_OPTS(bpf_netfilter_opts, opts, .pf = static_cast<__u32>(p.pf),
                .hooknum = static_cast<__u32>(p.hook),
                .priority = p.first ? p.priority + step : p.priority - step);
    bpf_link* link = bpf_program__attach_netfilter(prog, &opts);
    if (link != nullptr) {
      links.emplace_back(link);
      return {};
    }
    err = errno;
    if (err != EBUSY) break;
  }
  return Status::Error(ErrnoMessage("attach " + std::string(bpf_program__name(prog)) + " pf " +
                                        std::to_string(p.pf) + " hook " + std::to_string(p.hook),
                                    err));
}

// Every hook of the thread's network namespace, IPv4's first. A kernel booted without IPv6
// has no IPv6 hooks; IPv4 alone is still worth measuring. A hook with a first program and no
// last would open traversals that never close, so IPv6 is measured whole or not at all; why it
// is not goes to ipv6_error.
Status AttachBracketSet(netfilter_bpf& s, std::vector<LinkPtr>& links, std::string& ipv6_error) {
  std::optional<size_t> ipv4_end;
  for (const NetfilterAttachPoint& p : BracketAttachPoints()) {
    if (p.pf == NFPROTO_IPV6 && !ipv4_end) ipv4_end = links.size();
    Status st = AttachBracket(s, p, links);
    if (st.ok()) continue;
    if (p.pf == NFPROTO_IPV6) {
      ipv6_error = st.error();
      links.resize(*ipv4_end);
      return {};
    }
    return st;
  }
  return {};
}

// The target server's network namespaces other than ours (containers, one per replica): the
// rules there run on hooks of their own, which a bracket in the daemon's namespace does not
// reach. Each costs a set of links, so there is a bound.
constexpr size_t kMaxTargetNamespaces = 16;

std::vector<host::TargetNetns> TargetNamespaces(const ProbeConfig& config) {
  return host::OtherTargetNetns(host::HostPaths{}, config.target_pids, config.target_comms);
}

// Runs on its own thread: unshare() moves only this thread into a fresh network namespace,
// whose hooks carry nothing but the bracket. The links are destroyed before the thread (and
// with it the namespace) goes away.
Status CalibrateInPrivateNetns(netfilter_bpf& s, uint64_t& self_ns) {
  if (unshare(CLONE_NEWNET) != 0)
    return Status::Error(ErrnoMessage("unshare(CLONE_NEWNET)", errno));
  if (Status st = SetLoopbackUp(); !st.ok()) return st;
  std::vector<LinkPtr> links;
  for (const NetfilterAttachPoint& p : BracketAttachPoints()) {
    if (p.pf != NFPROTO_IPV4) continue;
    if (Status st = AttachBracket(s, p, links); !st.ok()) return st;
  }
  s.bss->calibrating = 1;
  Status sent = SendLoopbackDatagrams(kCalibrationPackets);
  links.clear();
  s.bss->calibrating = 0;
  if (!sent.ok()) return sent;

  const uint32_t zero = 0;
  auto per_cpu = ReadPerCpu<nf_calib>(s.maps.calib, zero);
  if (!per_cpu) return Status::Error("read calibration samples");
  std::vector<uint64_t> counts, sums;
  for (const nf_calib& c : *per_cpu) {
    counts.push_back(c.count);
    sums.push_back(c.sum_ns);
  }
  self_ns = BracketSelfNs(counts, sums, kCalibrationMinSamples);
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (self_ns == 0) {
    return Status::Error("calibration saw " + std::to_string(total) + " samples, want " +
                         std::to_string(kCalibrationMinSamples));
  }
  TS_LOG(kInfo) << "probe netfilter: bracket calibrated at " << self_ns
                << " ns per hook (BPF statistics " << (BpfStats::Active() ? "on" : "off")
                << ") from " << total << " samples";
  return {};
}

class NetfilterProbe final : public SkeletonProbe<netfilter_bpf> {
 public:
  NetfilterProbe()
      : SkeletonProbe(
            {netfilter_bpf__open_opts, netfilter_bpf__load, netfilter_bpf__destroy},
            {"netfilter",
             "time packets spend in netfilter hooks (rules, conntrack), per family and hook",
             kModes, kMapNames, kTransientMaps}) {}

  void Stop() override {
    calibrated_ = false;
    target_netns_.clear();
    SkeletonProbe::Stop();
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    // Per CPU: a server's gain from removing hook time depends on the CPUs it runs on.
    auto seconds = metrics::CounterFamily(
        netfilter_metrics::kSeconds,
        "Time packets spent in netfilter hook functions, per family, hook and CPU (the bracket "
        "mode's own cost and nested traversals excluded).");
    auto packets = metrics::CounterFamily(
        netfilter_metrics::kPackets,
        "Packets that ran the netfilter hook functions of a family and hook, per CPU.");
    // Summed over CPUs: a histogram per CPU would be ~20 series per CPU and hook.
    auto costs = metrics::HistogramFamily(
        netfilter_metrics::kPacketCost,
        "Time one packet spent in the netfilter hook functions of one hook (all CPUs).");
    auto self_total = metrics::CounterFamily(
        netfilter_metrics::kBracketSeconds,
        std::string("Bracket mode: the bracket's own time inside the measured windows, "
                    "subtracted from ") +
            netfilter_metrics::kSeconds + ".");
    auto self_cost = metrics::GaugeFamily(
        netfilter_metrics::kBracketSelfCost,
        "Bracket mode: calibrated cost of the bracket itself per hook traversal (measured with "
        "no other hooks, in a private network namespace).");
    auto unpaired = metrics::CounterFamily(
        netfilter_metrics::kUnpaired,
        "Hook traversals the probe could not measure: end=\"exit\" an exit with no open "
        "traversal to pair with (a lost sample), end=\"entry\" a traversal never closed "
        "(the packet was dropped or stolen by a hook; its time is not counted).");
    auto nested = metrics::CounterFamily(
        netfilter_metrics::kNested,
        "Measured hook traversals interrupted by a traversal of the same hook on the same CPU "
        "(a softirq's); a single stamp per CPU and hook loses these samples.");
    auto nested_seconds = metrics::CounterFamily(
        netfilter_metrics::kNestedSeconds,
        std::string("Time of the traversals counted in ") + netfilter_metrics::kNested + ".");
    const netfilter_bpf& s = *skel();
    for (uint32_t slot = 0; slot < TS_NF_SLOTS; ++slot) {
      auto per_cpu = ReadPerCpu<nf_stat>(s.maps.stats, slot);
      if (!per_cpu) continue;
      NetfilterHookLabels l = NetfilterSlotLabels(slot);
      bool any = false;
      for (size_t cpu = 0; cpu < per_cpu->size(); ++cpu) {
        const nf_stat& st = (*per_cpu)[cpu];
        metrics::Labels labels{
            {"family", l.family}, {"hook", l.hook}, {"cpu", std::to_string(cpu)}};
        if (st.unpaired != 0) {
          auto with_end = labels;
          with_end.push_back({"end", "exit"});
          unpaired.Counter(std::move(with_end), static_cast<double>(st.unpaired));
        }
        if (st.orphaned != 0) {
          auto with_end = labels;
          with_end.push_back({"end", "entry"});
          unpaired.Counter(std::move(with_end), static_cast<double>(st.orphaned));
        }
        if (st.packets == 0) continue;
        any = true;
        seconds.Counter(labels, static_cast<double>(st.time_ns) * 1e-9);
        packets.Counter(labels, static_cast<double>(st.packets));
        if (bracket_) self_total.Counter(labels, static_cast<double>(st.self_ns) * 1e-9);
        if (st.nested != 0) {
          nested.Counter(labels, static_cast<double>(st.nested));
          nested_seconds.Counter(labels, static_cast<double>(st.nested_ns) * 1e-9);
        }
      }
      if (!any) continue;
      if (auto hists = ReadPerCpu<ts_hist>(s.maps.costs, slot)) {
        costs.Histogram({{"family", l.family}, {"hook", l.hook}},
                        metrics::ToPrometheus(metrics::SumPerCpu(*hists), kCostBuckets));
      }
    }
    if (bracket_) self_cost.Gauge({}, static_cast<double>(s.bss->bracket_self_ns) * 1e-9);
    auto target = metrics::GaugeFamily(
        netfilter_metrics::kTargetNetnsMeasured,
        "Bracket mode, a target server in another network namespace (a container; netns is "
        "its inode, as the qdisc probe's): 1 when the bracket was attached to that namespace's "
        "hooks at the last attach, 0 when it could not be (the log says why) and the hooks "
        "there go unmeasured.");
    for (const TargetState& t : target_netns_) {
      target.Gauge({{"netns", host::NetnsInode(t.id)}}, t.measured ? 1 : 0);
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(seconds));
    metrics::Append(out, std::move(packets));
    metrics::Append(out, std::move(costs));
    metrics::Append(out, std::move(self_total));
    metrics::Append(out, std::move(self_cost));
    metrics::Append(out, std::move(unpaired));
    metrics::Append(out, std::move(nested));
    metrics::Append(out, std::move(nested_seconds));
    metrics::Append(out, std::move(target));
    return out;
  }

 protected:
  Status Attach(netfilter_bpf& s, const ProbeMode& mode, const ProbeConfig& config) override {
    bracket_ = mode.name == "bracket";
    target_netns_.clear();
    if (!bracket_) return AttachLoadedPrograms(s.obj, links());
    // BPF statistics add two clock reads to each run of the bracket's programs, ~45 ns a
    // packet that would pass for the hooks': the bracket is calibrated once per Start for each
    // state it will measure in (serve's windows turn them on), and takes the value for the
    // current one at each attach and when statistics change. Nothing is calibrated in a
    // window's re-attach.
    const bool stats = BpfStats::Active();
    if (!calibrated_) {
      self_ns_ = {};
      if (Status st = Calibrate(s, self_ns_[stats]); !st.ok()) return st;
      if (!stats && config.stats_in_windows) {
        BpfStats on;
        Status st = on.Enable();
        if (st.ok()) st = Calibrate(s, self_ns_[1]);
        if (!st.ok()) {
          TS_LOG(kInfo) << "probe netfilter: bracket not calibrated with BPF statistics on ("
                        << st.error() << "): windows that turn them on use the other value";
        }
      }
      calibrated_ = true;
    }
    s.bss->bracket_self_ns = SelfNs();
    std::string ipv6_error;
    if (Status st = AttachBracketSet(s, links(), ipv6_error); !st.ok()) return st;
    WarnIpv6Once("", ipv6_error);
    // Resolved at every attach: a container that restarts comes back in a new namespace. A
    // link belongs to the namespace of the thread that makes it.
    const std::vector<host::TargetNetns> targets = TargetNamespaces(config);
    std::vector<std::string> ids;
    for (const host::TargetNetns& t : targets) ids.push_back(t.id);
    warned_netns_.KeepOnly(ids);
    warned_ipv6_.KeepOnly(ids);
    if (targets.size() > kMaxTargetNamespaces && !warned_too_many_) {
      TS_LOG(kWarn) << "probe netfilter: the target runs in " << targets.size()
                    << " network namespaces; the first " << kMaxTargetNamespaces << " are measured";
      warned_too_many_ = true;
    }
    for (size_t i = 0; i < targets.size(); ++i) {
      if (i < kMaxTargetNamespaces) {
        AttachInTarget(s, targets[i]);
      } else {
        target_netns_.push_back({targets[i].id, false});  // exported as not measured
      }
    }
    return {};
  }

 private:
  // A failure there is the target's namespace unmeasured (exported, and warned about once), not
  // the probe down: the daemon's own namespace is measured.
  void AttachInTarget(netfilter_bpf& s, const host::TargetNetns& target) {
    Status theirs;
    std::string ipv6_error;
    const size_t ours = links().size();
    Status entered = host::RunInNetns(host::HostPaths{}, target,
                                      [&] { theirs = AttachBracketSet(s, links(), ipv6_error); });
    if (entered.ok()) entered = theirs;
    target_netns_.push_back({target.id, entered.ok()});
    if (entered.ok()) {
      WarnIpv6Once(target.id, ipv6_error);
      return;
    }
    // Half a bracket would open traversals that never close: all of it or none.
    links().resize(ours);
    if (warned_netns_.First(target.id)) {
      TS_LOG(kWarn) << "probe netfilter: the target's network namespace " << target.id
                    << " is not measured: " << entered.error();
    }
  }

  // The bracket's own cost per hook, measured in a private namespace on a thread of its own.
  static Status Calibrate(netfilter_bpf& s, uint64_t& self_ns) {
    Status calibrated =
        host::RunOnOwnThread("unshare", [&] { return CalibrateInPrivateNetns(s, self_ns); });
    // The calibration's own samples must not count; nothing else is attached yet.
    const uint32_t zero = 0;
    std::vector<nf_calib> cleared(static_cast<size_t>(PossibleCpus()));
    bpf_map_update_elem(bpf_map__fd(s.maps.calib), &zero, cleared.data(), BPF_ANY);
    if (!calibrated.ok()) return Status::Error("calibrate bracket: " + calibrated.error());
    return {};
  }

  void StatsChanged() override {
    if (bracket_ && skel() != nullptr) skel()->bss->bracket_self_ns = SelfNs();
  }

  // The bracket's own cost per hook for the current state of BPF statistics (the other state's
  // when this one's calibration failed).
  uint64_t SelfNs() const {
    const bool stats = BpfStats::Active();
    return self_ns_[stats] != 0 ? self_ns_[stats] : self_ns_[!stats];
  }

  // Every window re-attaches: each warning once per namespace ("" for the daemon's own).
  void WarnIpv6Once(const std::string& netns, const std::string& error) {
    if (error.empty() || !warned_ipv6_.First(netns)) return;
    TS_LOG(kWarn) << "probe netfilter: " << error << " (IPv6 not measured"
                  << (netns.empty() ? "" : " in the target's network namespace " + netns) << ")";
  }

  struct TargetState {
    std::string id;  // "net:[4026532400]"
    bool measured = false;
  };

  bool bracket_ = false;
  bool calibrated_ = false;
  std::array<uint64_t, 2> self_ns_{};      // the bracket's own ns per hook: statistics off, on
  std::vector<TargetState> target_netns_;  // as of the last attach
  NamespaceWarnings warned_netns_;
  bool warned_too_many_ = false;
  NamespaceWarnings warned_ipv6_;
};

}  // namespace

std::unique_ptr<Probe> MakeNetfilterProbe() {
  return std::make_unique<NetfilterProbe>();
}

std::span<const ProbeMode> NetfilterModes() {
  return kModes;
}

NetfilterHookLabels NetfilterSlotLabels(uint32_t slot) {
  static constexpr const char* kFamilies[TS_NF_FAMILIES] = {"ipv4",   "ipv6",   "arp",
                                                            "bridge", "netdev", "other"};
  static constexpr const char* kInet[] = {"prerouting", "input",       "forward",
                                          "output",     "postrouting", "brouting"};
  static constexpr const char* kArp[] = {"input", "output", "forward"};
  static constexpr const char* kNetdev[] = {"ingress", "egress"};
  const uint32_t family = (slot / TS_NF_HOOKS) % TS_NF_FAMILIES;
  const uint32_t hook = slot % TS_NF_HOOKS;
  NetfilterHookLabels out{kFamilies[family], "hook" + std::to_string(hook)};
  switch (family) {
    case 0:
    case 1:
      if (hook < 5) out.hook = kInet[hook];
      break;
    case 2:
      if (hook < 3) out.hook = kArp[hook];
      break;
    case 3:
      if (hook < 6) out.hook = kInet[hook];
      break;
    case 4:
      if (hook < 2) out.hook = kNetdev[hook];
      break;
    default:
      break;
  }
  if (hook == TS_NF_HOOKS - 1) out.hook = "other";
  return out;
}

std::vector<NetfilterAttachPoint> BracketAttachPoints() {
  std::vector<NetfilterAttachPoint> out;
  for (int pf : {NFPROTO_IPV4, NFPROTO_IPV6}) {
    for (int hook = NF_INET_PRE_ROUTING; hook <= NF_INET_POST_ROUTING; ++hook) {
      out.push_back({pf, hook, INT_MIN + 1, true});
      out.push_back({pf, hook, INT_MAX - 1, false});
    }
  }
  return out;
}

uint64_t BracketSelfNs(std::span<const uint64_t> counts, std::span<const uint64_t> sums_ns,
                       uint64_t min_samples) {
  uint64_t count = 0, sum = 0;
  for (size_t i = 0; i < counts.size() && i < sums_ns.size(); ++i) {
    count += counts[i];
    sum += sums_ns[i];
  }
  if (count < min_samples || count == 0) return 0;
  return (sum + count / 2) / count;
}

}  // namespace tunescope::probes
