#include "advisor/catalogue_table.h"

#include "advisor/rules.h"
#include "advisor/sources.h"

namespace tunescope::advisor {

// Beyond the ladder: Dropbox 2017, the API tuning guide, the 1M RPS Go journal.
std::vector<Tuning> MoreTunings() {
  using namespace sources;  // the rows read as a table: .source = kTalawah
  return {
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
}

}  // namespace tunescope::advisor
