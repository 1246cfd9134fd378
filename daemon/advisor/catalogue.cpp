#include "advisor/catalogue.h"

#include "advisor/rules.h"

namespace tunescope::advisor {
namespace {

constexpr std::string_view k001 = "001_e966431ac74a6720.txt";
constexpr std::string_view k002 = "002_06478bf367350d0e.txt";
constexpr std::string_view k003 = "003_a77153c9c34a936a.txt";
constexpr std::string_view k004 = "004_4c80ccdd4e501c04.txt";

const std::vector<Tuning>& Table() {
  static const std::vector<Tuning> table = {
      // ---- 001: the ladder, in its order ----
      {"app_code", "Optimise the server code", k001, "+55% (code, -O3 -march=native, recv/send)",
       0.55, false, "none: application code is invisible to kernel probes", "cannot be told",
       "rebuild the server with -O3 -march=native; use recv/send; drop CPU-count limits",
       "redeploy the previous build", "none for the host; test the new build", false,
       ExperimentKind::kNone, {}, RuleAppCode},
      {"mitigations_off", "Turn off speculative-execution mitigations", k001,
       "+28% (nospectre_v1 nospectre_v2 pti=off mds=off tsx_async_abort=off)", 0.28, false,
       "/sys/devices/system/cpu/vulnerabilities/*, /proc/cmdline",
       "mitigations=off (or each named parameter) on the kernel command line",
       "add 'mitigations=off' to the kernel command line (GRUB_CMDLINE_LINUX) and reboot",
       "remove it and reboot",
       "WEAKENS SECURITY: exposes the host to Spectre/Meltdown/MDS attacks from any code running "
       "on it; only for single-tenant hosts that run trusted code. Never applied by tunescope.",
       true, ExperimentKind::kNone, {}, RuleMitigations},
      {"audit_seccomp_off", "Turn off syscall auditing and seccomp filtering", k001,
       "+11% (auditctl -a never,task; seccomp=unconfined)", 0.11, false,
       "audit state (netlink AUDIT_GET, kauditd, auditd), target's Seccomp line",
       "audit disabled and the target has no seccomp filter",
       "auditctl -a never,task; run the container with --security-opt seccomp=unconfined",
       "auditctl -d never,task; restore the container's seccomp profile",
       "WEAKENS SECURITY: loses the syscall audit trail and the sandbox that limits what a "
       "compromised server can do. Never applied by tunescope.",
       true, ExperimentKind::kNone, {}, RuleAuditSeccomp},
      {"netfilter_unload", "Unload iptables/netfilter", k001,
       "+22% (nf_hook_slow was 18% of CPU)", 0.22, false,
       "netfilter probe: time in nf hooks vs the server's CPU time; loaded rule count",
       "no rules loaded and no hook time measured",
       "iptables-save > /root/rules.v4; iptables -F; iptables -t nat -F; "
       "modprobe -r iptable_filter iptable_nat ip_tables (or nft flush ruleset)",
       "iptables-restore < /root/rules.v4",
       "WEAKENS SECURITY when the rules filter anything: removes the host firewall; only when "
       "filtering happens elsewhere (security groups, a front firewall). Never applied by "
       "tunescope.",
       true, ExperimentKind::kNone, {}, RuleNetfilter},
      {"irq_affinity", "Pin NIC queue IRQs to CPUs, irqbalance off", k001,
       "part of +38% (perfect locality)", std::nullopt, false,
       "queue IRQs and their smp_affinity_list, irqbalance process",
       "irqbalance not running, each queue IRQ pinned to one CPU",
       "systemctl stop irqbalance; echo CPU > /proc/irq/IRQ/smp_affinity_list for each queue IRQ",
       "systemctl start irqbalance", "an unbalanced pinning overloads one CPU", false,
       ExperimentKind::kNone, {}, RuleIrqAffinity},
      {"reuseport_cbpf", "Keep each connection on the CPU that receives it (SO_ATTACH_REUSEPORT_CBPF)",
       k001, "+38% with IRQ pinning and XPS (perfect locality)", 0.38, false,
       "xcpu probe: reads on the same CPU as the softirq vs on another CPU",
       "under 5% of reads happen on another CPU",
       "in the server: one SO_REUSEPORT socket per worker pinned to CPU n, plus "
       "setsockopt(SO_ATTACH_REUSEPORT_CBPF) returning the current CPU",
       "redeploy without the BPF steering", "needs one worker per CPU and matching IRQ pinning",
       false, ExperimentKind::kNone, {}, RuleReuseportCbpf},
      {"xps", "Bind each CPU to its own tx queue (XPS)", k001, "part of +38% (perfect locality)",
       std::nullopt, false, "xps_cpus of each tx queue of multi-queue NICs",
       "every tx queue has an XPS mask",
       "echo MASK > /sys/class/net/DEV/queues/tx-N/xps_cpus (CPU N for queue N)",
       "echo 0 > /sys/class/net/DEV/queues/tx-N/xps_cpus", "low", false, ExperimentKind::kNone,
       {}, RuleXps},
      {"busy_poll", "Busy-poll sockets (net.core.busy_read/busy_poll)", k001,
       "+28% with adaptive-rx; p50 361 -> 292 us", 0.28, true,
       "softirq probe: NET_RX raise-to-run delay; runqlat: target wakeup latency",
       "net.core.busy_read or busy_poll > 0",
       "sysctl -w net.core.busy_read=50 net.core.busy_poll=50",
       "sysctl -w net.core.busy_read=0 net.core.busy_poll=0",
       "spends CPU spinning in recv/poll: more CPU per request at low load", false,
       ExperimentKind::kSysctl,
       {{"net.core.busy_read", "50"}, {"net.core.busy_poll", "50"}}, RuleBusyPoll},
      {"adaptive_rx", "Adaptive interrupt coalescing (adaptive-rx)", k001,
       "part of +28% with busy polling", std::nullopt, true,
       "ethtool coalescing settings; hardirq probe time", "adaptive-rx on for every NIC",
       "ethtool -C DEV adaptive-rx on", "ethtool -C DEV adaptive-rx off rx-usecs PREVIOUS",
       "driver-dependent latency at low load", false, ExperimentKind::kNone, {}, RuleAdaptiveRx},
      {"no_packet_sockets", "Close raw packet sockets (dhclient)", k001,
       "+6% (dhclient's raw socket removed)", 0.06, false,
       "/proc/net/packet and socket owners", "no packet socket open",
       "configure the address statically and stop dhclient (or use systemd-networkd)",
       "start dhclient again",
       "a static address does not follow DHCP changes; lease renewals stop", false,
       ExperimentKind::kNone, {}, RulePacketSockets},
      {"noqueue_qdisc", "noqueue qdisc (no qdisc spin lock)", k001, "+2%", 0.02, false,
       "qdisc probe: lock wait time vs the server's CPU time; default_qdisc",
       "net.core.default_qdisc=noqueue",
       "sysctl -w net.core.default_qdisc=noqueue; tc qdisc replace dev DEV root mq",
       "sysctl -w net.core.default_qdisc=PREVIOUS; tc qdisc replace dev DEV root PREVIOUS",
       "no queueing discipline: no fairness or shaping on the device", false,
       ExperimentKind::kNone, {}, RuleNoqueue},
      {"gro_off", "Generic receive offload off", k001, "+4% together with reno", 0.04, false,
       "GRO state of each device", "GRO off on every device that carries traffic",
       "ethtool -K DEV gro off", "ethtool -K DEV gro on",
       "more packets through the stack: worse for bulk transfers", false, ExperimentKind::kNone,
       {}, RuleGroOff},
      {"tcp_cc_reno", "Reno congestion control", k001, "+4% together with GRO off", 0.04, false,
       "net.ipv4.tcp_congestion_control", "tcp_congestion_control=reno",
       "sysctl -w net.ipv4.tcp_congestion_control=reno",
       "sysctl -w net.ipv4.tcp_congestion_control=PREVIOUS",
       "worse throughput on lossy or long paths (only for short LAN requests)", false,
       ExperimentKind::kSysctl, {{"net.ipv4.tcp_congestion_control", "reno"}},
       RuleCongestionReno},
      // ---- 002: Dropbox edge tuning ----
      {"server_cpu_isolation", "Give the server's threads CPUs of their own", k002,
       "CPU affinity cuts migrations and cache misses, unless run-queue waits grow (runqlat)",
       std::nullopt, false,
       "runqlat probe: the target's run-queue waits vs its CPU time (/proc/PID/stat)",
       "the target's threads rarely wait behind other tasks",
       "move other busy work off the server's CPUs (taskset/cpuset, systemd CPUAffinity=), or "
       "pin workers to CPUs nothing else uses (nginx worker_cpu_affinity)",
       "restore the previous affinity/cpuset",
       "pinning onto busy CPUs makes run-queue latency worse; verify with runqlat", false,
       ExperimentKind::kNone, {}, RuleCpuIsolation},
      {"cpu_governor", "Performance CPU frequency governor", k002,
       "lower latency (no number given)", std::nullopt, true, "cpufreq scaling_governor",
       "every CPU uses the performance governor", "cpupower frequency-set -g performance",
       "cpupower frequency-set -g PREVIOUS", "more power use", false, ExperimentKind::kNone, {},
       RuleGovernor},
      {"numa_locality", "One server instance per NUMA node", k002,
       "better throughput and latency on multi-node hosts (no number given)", std::nullopt,
       false, "NUMA node count", "cannot be told",
       "numactl --cpunodebind=N --membind=N per instance, each on its own port",
       "run one instance without numactl", "needs a load balancer across the instances", false,
       ExperimentKind::kNone, {}, RuleNuma},
      {"nic_rings", "Larger NIC rx rings", k002, "fewer drops in bursts (no number given)",
       std::nullopt, false, "ethtool ring sizes; softnet drops", "rx rings at their maximum",
       "ethtool -G DEV rx MAX", "ethtool -G DEV rx PREVIOUS",
       "more cache pressure; on old drivers, bufferbloat", false, ExperimentKind::kNone, {},
       RuleNicRings},
      {"rps_rfs", "Receive packet steering (RPS/RFS)", k002,
       "throughput when CPUs outnumber rx queues, at some latency (no number given; 004: "
       "RPS/RFS on a 128-vCPU host)",
       std::nullopt, false, "rx queues vs CPUs, rps_cpus masks; softirq probe: NET_RX per CPU",
       "every device has an RPS mask",
       "echo MASK > /sys/class/net/DEV/queues/rx-N/rps_cpus; sysctl -w "
       "net.core.rps_sock_flow_entries=32768",
       "echo 0 > /sys/class/net/DEV/queues/rx-N/rps_cpus",
       "adds an inter-processor interrupt per packet batch: latency cost", false,
       ExperimentKind::kRpsMask, {}, RuleRpsRfs},
      {"fq_bbr", "fq qdisc with BBR congestion control", k002,
       "15-20% less packet loss with pacing; faster client downloads (002); 003 recommends it",
       std::nullopt, true, "retransmitted vs sent segments (/proc/net/snmp)",
       "default_qdisc=fq and tcp_congestion_control=bbr",
       "sysctl -w net.core.default_qdisc=fq net.ipv4.tcp_congestion_control=bbr",
       "sysctl -w net.core.default_qdisc=PREVIOUS net.ipv4.tcp_congestion_control=PREVIOUS",
       "BBR is unfair to loss-based flows on shared bottlenecks", false, ExperimentKind::kSysctl,
       {{"net.ipv4.tcp_congestion_control", "bbr"}}, RuleFqBbr},
      {"tcp_notsent_lowat", "TCP_NOTSENT_LOWAT for HTTP/2 prioritisation", k002,
       "fixes HTTP/2 priority inversion; may cost throughput", std::nullopt, true,
       "none available to kernel probes", "net.ipv4.tcp_notsent_lowat set",
       "sysctl -w net.ipv4.tcp_notsent_lowat=16384 (or setsockopt per socket)",
       "sysctl -w net.ipv4.tcp_notsent_lowat=4294967295", "more wakeups per byte sent", false,
       ExperimentKind::kNone, {}, RuleNotsentLowat},
      // ---- 003: latency/throughput trade-off guide ----
      {"somaxconn", "Larger listen queue (net.core.somaxconn)", k003,
       "no connection refusals during spikes", std::nullopt, false,
       "ListenDrops/ListenOverflows vs PassiveOpens over the window", "somaxconn >= 4096",
       "sysctl -w net.core.somaxconn=4096 (and a larger listen() backlog in the server)",
       "sysctl -w net.core.somaxconn=PREVIOUS", "more memory for queued connections", false,
       ExperimentKind::kSysctl, {{"net.core.somaxconn", "4096"}}, RuleSomaxconn},
      {"file_max", "Raise fs.file-max", k003, "no 'Too many open files' under high concurrency",
       std::nullopt, false, "fs.file-max", "fs.file-max >= 2097152",
       "sysctl -w fs.file-max=2097152 (and LimitNOFILE= in the unit)",
       "sysctl -w fs.file-max=PREVIOUS", "none", false, ExperimentKind::kNone, {}, RuleFileMax},
      {"tcp_buffers", "Larger TCP buffers (tcp_rmem/tcp_wmem)", k003,
       "throughput on high bandwidth-delay paths", std::nullopt, false,
       "none available to kernel probes", "cannot be told",
       "sysctl -w net.ipv4.tcp_rmem='4096 87380 16777216' net.ipv4.tcp_wmem='4096 65536 "
       "16777216'",
       "restore the previous values", "more memory per connection; head-of-line blocking",
       false, ExperimentKind::kNone, {}, RuleTcpBuffers},
      {"tcp_tw_reuse", "Reuse TIME_WAIT sockets for outgoing connections", k003,
       "avoids port exhaustion (EADDRINUSE)", std::nullopt, false,
       "TIME_WAIT sockets (/proc/net/sockstat), TCPTimeWaitOverflow", "tcp_tw_reuse=1",
       "sysctl -w net.ipv4.tcp_tw_reuse=1", "sysctl -w net.ipv4.tcp_tw_reuse=PREVIOUS",
       "use with caution behind NAT (003)", false, ExperimentKind::kSysctl,
       {{"net.ipv4.tcp_tw_reuse", "1"}}, RuleTwReuse},
      // ---- 004: million-RPS journal ----
      {"prefork_reuseport", "One listening socket per worker (prefork + SO_REUSEPORT)", k004,
       "+31% (1.33M vs 1.01M req/s with prefork)", 0.31, false,
       "listeners on --target-port (/proc/net/tcp)", "several sockets share the port",
       "run one worker process per core, each with its own SO_REUSEPORT listener",
       "run a single listener", "more processes; per-worker state is not shared", false,
       ExperimentKind::kNone, {}, RulePreforkReuseport},
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

std::span<const Tuning> Catalogue() { return Table(); }

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
