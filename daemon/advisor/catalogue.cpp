#include "advisor/catalogue.h"

#include "advisor/rules.h"

namespace tunescope::advisor {
namespace {

// The published texts (docs/sources.md says what each measured, and on what).
const Source kTalawah{
    .author = "Marc Richards",
    .title = "Extreme HTTP Performance Tuning: 1.2M API req/s on a 4 vCPU EC2 Instance",
    .publisher = "talawah.io",
    .year = 2021,
    .url = "https://talawah.io/blog/extreme-http-performance-tuning-one-point-two-million/",
    .caveat = "",
    .short_name = "talawah.io 2021",
};
const Source kDropbox{
    .author = "Alexey Ivanov (Dropbox Traffic Team)",
    .title = "Optimizing web servers for high throughput and low latency",
    .publisher = "Dropbox Tech Blog",
    .year = 2017,
    .url =
        "https://blogs.dropbox.com/tech/2017/09/"
        "optimizing-web-servers-for-high-throughput-and-low-latency/",
    .caveat = "",
    .short_name = "Dropbox 2017",
};
const Source kApiGuide{
    .author = "",
    .title = "API latency/throughput tuning guide",
    .publisher = "",
    .year = 0,
    .url = "",
    .caveat = "author unknown; its figures are unsourced",
    .short_name = "API tuning guide, unsourced",
};
const Source kMillionRps{
    .author = "",
    .title = "[untitled \"1 million RPS\" journal of a Go benchmark: net/http, fasthttp, Fiber]",
    .publisher = "",
    .year = 0,
    .url = "",
    .caveat = "author unknown; Mac mini M2 and a 128-vCPU host",
    .short_name = "1M RPS Go journal",
};

const std::vector<Tuning>& Table() {
  static const std::vector<Tuning> table = {
      // ---- talawah.io 2021: the ladder, in its order ----
      {
          .id = "app_code",
          .title = "Optimise the server code",
          .source = kTalawah,
          .documented_gain = "+55% (code, -O3 -march=native, recv/send)",
          .documented_ratio = 0.55,
          .evidence = "none: application code is invisible to kernel probes",
          .applied_when = "cannot be told",
          .apply =
              "rebuild the server with -O3 -march=native; use recv/send; drop CPU-count limits",
          .revert = "redeploy the previous build",
          .risk = "none for the host; test the new build",
          .weakens_security = false,
          .rule = RuleAppCode,
      },
      {
          .id = "mitigations_off",
          .title = "Turn off speculative-execution mitigations",
          .source = kTalawah,
          .documented_gain = "+28% (nospectre_v1 nospectre_v2 pti=off mds=off tsx_async_abort=off)",
          .documented_ratio = 0.28,
          .evidence = "/sys/devices/system/cpu/vulnerabilities/*, /proc/cmdline",
          .applied_when = "mitigations=off (or each named parameter) on the kernel command line",
          .apply =
              "add 'mitigations=off' to the kernel command line (GRUB_CMDLINE_LINUX) and reboot",
          .revert = "remove it and reboot",
          .risk = "WEAKENS SECURITY: exposes the host to Spectre/Meltdown/MDS attacks from any "
                  "code running on it; only for single-tenant hosts that run trusted code. Never "
                  "applied by tunescope.",
          .weakens_security = true,
          .rule = RuleMitigations,
      },
      {
          .id = "audit_seccomp_off",
          .title = "Turn off syscall auditing and seccomp filtering",
          .source = kTalawah,
          .documented_gain = "+11% (auditctl -a never,task; seccomp=unconfined)",
          .documented_ratio = 0.11,
          .evidence = "audit state (netlink AUDIT_GET, kauditd, auditd), target's Seccomp line",
          .applied_when = "audit disabled and the target has no seccomp filter",
          .apply =
              "auditctl -a never,task; run the container with --security-opt seccomp=unconfined",
          .revert = "auditctl -d never,task; restore the container's seccomp profile",
          .risk = "WEAKENS SECURITY: loses the syscall audit trail and the sandbox that limits "
                  "what a compromised server can do. Never applied by tunescope.",
          .weakens_security = true,
          .rule = RuleAuditSeccomp,
      },
      {
          .id = "netfilter_unload",
          .title = "Unload iptables/netfilter",
          .source = kTalawah,
          .documented_gain = "+22% (nf_hook_slow was 18% of CPU)",
          .documented_ratio = 0.22,
          .evidence =
              "netfilter probe: time in nf hooks vs the server's CPU time; loaded rule count",
          .applied_when = "no rules loaded and no hook time measured",
          .apply = "iptables-save > /root/rules.v4; iptables -F; iptables -t nat -F; modprobe -r "
                   "iptable_filter iptable_nat ip_tables (or nft flush ruleset)",
          .revert = "iptables-restore < /root/rules.v4",
          .risk = "WEAKENS SECURITY when the rules filter anything: removes the host firewall; "
                  "only when filtering happens elsewhere (security groups, a front firewall). "
                  "Never applied by tunescope.",
          .weakens_security = true,
          .rule = RuleNetfilter,
      },
      {
          .id = "irq_affinity",
          .title = "Pin NIC queue IRQs to CPUs, irqbalance off",
          .source = kTalawah,
          .documented_gain = "part of +38% (perfect locality)",
          .evidence = "queue IRQs and their smp_affinity_list, irqbalance process",
          .applied_when = "irqbalance not running, each queue IRQ pinned to one CPU",
          .apply = "systemctl stop irqbalance; echo CPU > /proc/irq/IRQ/smp_affinity_list for each "
                   "queue IRQ",
          .revert = "systemctl start irqbalance",
          .risk = "an unbalanced pinning overloads one CPU",
          .weakens_security = false,
          .rule = RuleIrqAffinity,
      },
      {
          .id = "reuseport_cbpf",
          .title = "Keep each connection on the CPU that receives it (SO_ATTACH_REUSEPORT_CBPF)",
          .source = kTalawah,
          .documented_gain = "+38% with IRQ pinning and XPS (perfect locality)",
          .documented_ratio = 0.38,
          .evidence = "xcpu probe: reads on the same CPU as the softirq vs on another CPU",
          .applied_when = "under 5% of reads happen on another CPU",
          .apply = "in the server: one SO_REUSEPORT socket per worker pinned to CPU n, plus "
                   "setsockopt(SO_ATTACH_REUSEPORT_CBPF) returning the current CPU",
          .revert = "redeploy without the BPF steering",
          .risk = "needs one worker per CPU and matching IRQ pinning",
          .weakens_security = false,
          .rule = RuleReuseportCbpf,
      },
      {
          .id = "xps",
          .title = "Bind each CPU to its own tx queue (XPS)",
          .source = kTalawah,
          .documented_gain = "part of +38% (perfect locality)",
          .evidence = "xps_cpus of each tx queue of multi-queue NICs",
          .applied_when = "every tx queue has an XPS mask",
          .apply = "echo MASK > /sys/class/net/DEV/queues/tx-N/xps_cpus (CPU N for queue N)",
          .revert = "echo 0 > /sys/class/net/DEV/queues/tx-N/xps_cpus",
          .risk = "low",
          .weakens_security = false,
          .rule = RuleXps,
      },
      {
          .id = "busy_poll",
          .title = "Busy-poll sockets (net.core.busy_read/busy_poll)",
          .source = kTalawah,
          .documented_gain = "+28% with adaptive-rx; p50 361 -> 292 us",
          .documented_ratio = 0.28,
          .latency = true,
          .evidence = "softirq probe: NET_RX raise-to-run delay; runqlat: target wakeup latency",
          .applied_when = "net.core.busy_read or busy_poll > 0",
          .apply = "sysctl -w net.core.busy_read=50 net.core.busy_poll=50",
          .revert = "sysctl -w net.core.busy_read=0 net.core.busy_poll=0",
          .risk = "spends CPU spinning in recv/poll: more CPU per request at low load",
          .weakens_security = false,
          .experiment = ExperimentKind::kSysctl,
          .sysctls = {{"net.core.busy_read", "50"}, {"net.core.busy_poll", "50"}},
          .rule = RuleBusyPoll,
      },
      {
          .id = "adaptive_rx",
          .title = "Adaptive interrupt coalescing (adaptive-rx)",
          .source = kTalawah,
          .documented_gain = "part of +28% with busy polling",
          .latency = true,
          .evidence = "ethtool coalescing settings; hardirq probe time",
          .applied_when = "adaptive-rx on for every NIC",
          .apply = "ethtool -C DEV adaptive-rx on",
          .revert = "ethtool -C DEV adaptive-rx off rx-usecs PREVIOUS",
          .risk = "driver-dependent latency at low load",
          .weakens_security = false,
          .rule = RuleAdaptiveRx,
      },
      {
          .id = "no_packet_sockets",
          .title = "Close raw packet sockets (dhclient)",
          .source = kTalawah,
          .documented_gain = "+6% (dhclient's raw socket removed)",
          .documented_ratio = 0.06,
          .evidence = "/proc/net/packet and socket owners",
          .applied_when = "no packet socket open",
          .apply = "configure the address statically and stop dhclient (or use systemd-networkd)",
          .revert = "start dhclient again",
          .risk = "a static address does not follow DHCP changes; lease renewals stop",
          .weakens_security = false,
          .rule = RulePacketSockets,
      },
      {
          .id = "noqueue_qdisc",
          .title = "noqueue qdisc (no qdisc spin lock)",
          .source = kTalawah,
          .documented_gain = "+2%",
          .documented_ratio = 0.02,
          .evidence = "qdisc probe: lock wait time vs the server's CPU time; default_qdisc",
          .applied_when = "net.core.default_qdisc=noqueue",
          .apply = "sysctl -w net.core.default_qdisc=noqueue; tc qdisc replace dev DEV root mq",
          .revert =
              "sysctl -w net.core.default_qdisc=PREVIOUS; tc qdisc replace dev DEV root PREVIOUS",
          .risk = "no queueing discipline: no fairness or shaping on the device",
          .weakens_security = false,
          .rule = RuleNoqueue,
      },
      {
          .id = "gro_off",
          .title = "Generic receive offload off",
          .source = kTalawah,
          .documented_gain = "+4% together with reno",
          .documented_ratio = 0.04,
          .evidence = "GRO state of each device",
          .applied_when = "GRO off on every device that carries traffic",
          .apply = "ethtool -K DEV gro off",
          .revert = "ethtool -K DEV gro on",
          .risk = "more packets through the stack: worse for bulk transfers",
          .weakens_security = false,
          .rule = RuleGroOff,
      },
      {
          .id = "tcp_cc_reno",
          .title = "Reno congestion control",
          .source = kTalawah,
          .documented_gain = "+4% together with GRO off",
          .documented_ratio = 0.04,
          .evidence = "net.ipv4.tcp_congestion_control",
          .applied_when = "tcp_congestion_control=reno",
          .apply = "sysctl -w net.ipv4.tcp_congestion_control=reno",
          .revert = "sysctl -w net.ipv4.tcp_congestion_control=PREVIOUS",
          .risk = "worse throughput on lossy or long paths (only for short LAN requests)",
          .weakens_security = false,
          .experiment = ExperimentKind::kSysctl,
          .sysctls = {{"net.ipv4.tcp_congestion_control", "reno"}},
          .rule = RuleCongestionReno,
      },
      // ---- Dropbox 2017: edge tuning ----
      {
          .id = "server_cpu_isolation",
          .title = "Give the server's threads CPUs of their own",
          .source = kDropbox,
          .documented_gain = "CPU affinity cuts migrations and cache misses, unless run-queue "
                             "waits grow (runqlat)",
          .evidence =
              "runqlat probe: the target's run-queue waits vs its CPU time (/proc/PID/stat)",
          .applied_when = "the target's threads rarely wait behind other tasks",
          .apply =
              "move other busy work off the server's CPUs (taskset/cpuset, systemd CPUAffinity=), "
              "or pin workers to CPUs nothing else uses (nginx worker_cpu_affinity)",
          .revert = "restore the previous affinity/cpuset",
          .risk = "pinning onto busy CPUs makes run-queue latency worse; verify with runqlat",
          .weakens_security = false,
          .rule = RuleCpuIsolation,
      },
      {
          .id = "cpu_governor",
          .title = "Performance CPU frequency governor",
          .source = kDropbox,
          .documented_gain = "lower latency (no number given)",
          .latency = true,
          .evidence = "cpufreq scaling_governor",
          .applied_when = "every CPU uses the performance governor",
          .apply = "cpupower frequency-set -g performance",
          .revert = "cpupower frequency-set -g PREVIOUS",
          .risk = "more power use",
          .weakens_security = false,
          .rule = RuleGovernor,
      },
      {
          .id = "numa_locality",
          .title = "One server instance per NUMA node",
          .source = kDropbox,
          .documented_gain = "better throughput and latency on multi-node hosts (no number given)",
          .evidence = "NUMA node count",
          .applied_when = "cannot be told",
          .apply = "numactl --cpunodebind=N --membind=N per instance, each on its own port",
          .revert = "run one instance without numactl",
          .risk = "needs a load balancer across the instances",
          .weakens_security = false,
          .rule = RuleNuma,
      },
      {
          .id = "nic_rings",
          .title = "Larger NIC rx rings",
          .source = kDropbox,
          .documented_gain = "fewer drops in bursts (no number given)",
          .evidence = "ethtool ring sizes; softnet drops",
          .applied_when = "rx rings at their maximum",
          .apply = "ethtool -G DEV rx MAX",
          .revert = "ethtool -G DEV rx PREVIOUS",
          .risk = "more cache pressure; on old drivers, bufferbloat",
          .weakens_security = false,
          .rule = RuleNicRings,
      },
      {
          .id = "rps_rfs",
          .title = "Receive packet steering (RPS/RFS)",
          .source = kDropbox,
          .documented_gain =
              "throughput when CPUs outnumber rx queues, at some latency (no number given; the 1M "
              "RPS Go journal also applied RPS/RFS on a 128-vCPU host)",
          .evidence = "rx queues vs CPUs, rps_cpus masks; softirq probe: NET_RX per CPU",
          .applied_when = "every device has an RPS mask",
          .apply = "echo MASK > /sys/class/net/DEV/queues/rx-N/rps_cpus; sysctl -w "
                   "net.core.rps_sock_flow_entries=32768",
          .revert = "echo 0 > /sys/class/net/DEV/queues/rx-N/rps_cpus",
          .risk = "adds an inter-processor interrupt per packet batch: latency cost",
          .weakens_security = false,
          .experiment = ExperimentKind::kRpsMask,
          .rule = RuleRpsRfs,
      },
      {
          .id = "fq_bbr",
          .title = "fq qdisc with BBR congestion control",
          .source = kDropbox,
          .documented_gain = "15-20% less packet loss with pacing; faster client downloads; the "
                             "API tuning guide recommends it too",
          .latency = true,
          .evidence = "retransmitted vs sent segments (/proc/net/snmp)",
          .applied_when = "default_qdisc=fq and tcp_congestion_control=bbr",
          .apply = "sysctl -w net.core.default_qdisc=fq net.ipv4.tcp_congestion_control=bbr",
          .revert =
              "sysctl -w net.core.default_qdisc=PREVIOUS net.ipv4.tcp_congestion_control=PREVIOUS",
          .risk = "BBR is unfair to loss-based flows on shared bottlenecks",
          .weakens_security = false,
          .experiment = ExperimentKind::kSysctl,
          .sysctls = {{"net.ipv4.tcp_congestion_control", "bbr"}},
          .rule = RuleFqBbr,
      },
      {
          .id = "tcp_notsent_lowat",
          .title = "TCP_NOTSENT_LOWAT for HTTP/2 prioritisation",
          .source = kDropbox,
          .documented_gain = "fixes HTTP/2 priority inversion; may cost throughput",
          .latency = true,
          .evidence = "none available to kernel probes",
          .applied_when = "net.ipv4.tcp_notsent_lowat set",
          .apply = "sysctl -w net.ipv4.tcp_notsent_lowat=16384 (or setsockopt per socket)",
          .revert = "sysctl -w net.ipv4.tcp_notsent_lowat=4294967295",
          .risk = "more wakeups per byte sent",
          .weakens_security = false,
          .rule = RuleNotsentLowat,
      },
      // ---- API latency/throughput tuning guide ----
      {
          .id = "somaxconn",
          .title = "Larger listen queue (net.core.somaxconn)",
          .source = kApiGuide,
          .documented_gain = "no connection refusals during spikes",
          .evidence = "ListenDrops/ListenOverflows vs PassiveOpens over the window",
          .applied_when = "somaxconn >= 4096",
          .apply =
              "sysctl -w net.core.somaxconn=4096 (and a larger listen() backlog in the server)",
          .revert = "sysctl -w net.core.somaxconn=PREVIOUS",
          .risk = "more memory for queued connections",
          .weakens_security = false,
          .experiment = ExperimentKind::kSysctl,
          .sysctls = {{"net.core.somaxconn", "4096"}},
          .rule = RuleSomaxconn,
      },
      {
          .id = "file_max",
          .title = "Raise fs.file-max",
          .source = kApiGuide,
          .documented_gain = "no 'Too many open files' under high concurrency",
          .evidence = "fs.file-max",
          .applied_when = "fs.file-max >= 2097152",
          .apply = "sysctl -w fs.file-max=2097152 (and LimitNOFILE= in the unit)",
          .revert = "sysctl -w fs.file-max=PREVIOUS",
          .risk = "none",
          .weakens_security = false,
          .rule = RuleFileMax,
      },
      {
          .id = "tcp_buffers",
          .title = "Larger TCP buffers (tcp_rmem/tcp_wmem)",
          .source = kApiGuide,
          .documented_gain = "throughput on high bandwidth-delay paths",
          .evidence = "none available to kernel probes",
          .applied_when = "cannot be told",
          .apply = "sysctl -w net.ipv4.tcp_rmem='4096 87380 16777216' net.ipv4.tcp_wmem='4096 "
                   "65536 16777216'",
          .revert = "restore the previous values",
          .risk = "more memory per connection; head-of-line blocking",
          .weakens_security = false,
          .rule = RuleTcpBuffers,
      },
      {
          .id = "tcp_tw_reuse",
          .title = "Reuse TIME_WAIT sockets for outgoing connections",
          .source = kApiGuide,
          .documented_gain = "avoids port exhaustion (EADDRINUSE)",
          .evidence = "TIME_WAIT sockets (/proc/net/sockstat), TCPTimeWaitOverflow",
          .applied_when = "tcp_tw_reuse=1",
          .apply = "sysctl -w net.ipv4.tcp_tw_reuse=1",
          .revert = "sysctl -w net.ipv4.tcp_tw_reuse=PREVIOUS",
          .risk = "use with caution behind NAT (API tuning guide)",
          .weakens_security = false,
          .experiment = ExperimentKind::kSysctl,
          .sysctls = {{"net.ipv4.tcp_tw_reuse", "1"}},
          .rule = RuleTwReuse,
      },
      // ---- 1 million RPS Go journal ----
      {
          .id = "prefork_reuseport",
          .title = "One listening socket per worker (prefork + SO_REUSEPORT)",
          .source = kMillionRps,
          .documented_gain = "+31% (1.33M vs 1.01M req/s with prefork)",
          .documented_ratio = 0.31,
          .evidence = "listeners on --target-port (/proc/net/tcp)",
          .applied_when = "several sockets share the port",
          .apply = "run one worker process per core, each with its own SO_REUSEPORT listener",
          .revert = "run a single listener",
          .risk = "more processes; per-worker state is not shared",
          .weakens_security = false,
          .rule = RulePreforkReuseport,
      },
  };
  return table;
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kMeasured:
      return "measured";
    case Verdict::kDocumented:
      return "documented";
    case Verdict::kNotMeasured:
      return "not_measured";
    case Verdict::kNotApplicable:
      return "not_applicable";
    case Verdict::kApplied:
      return "applied";
  }
  return "unknown";
}

std::string Source::Cite() const {
  std::string out;
  auto add = [&out](std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += ", ";
    out += part;
  };
  add(author);
  add(title.starts_with('[') ? std::string(title) : "\"" + std::string(title) + "\"");
  add(publisher);
  if (year != 0) add(std::to_string(year));
  add(url.empty() ? "no URL known" : url);
  if (!caveat.empty()) out += " (" + std::string(caveat) + ")";
  return out;
}

std::span<const Tuning> Catalogue() {
  return Table();
}

const Tuning* FindTuning(std::string_view id) {
  for (const Tuning& t : Table()) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

bool Experimentable(const Tuning& t) {
  return !t.weakens_security && t.experiment != ExperimentKind::kNone;
}

}  // namespace tunescope::advisor
