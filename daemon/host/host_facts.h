// Everything daemon/host knows about this host, gathered in one call. Every field is a
// Result: either the value or, in plain words, why it is not available here ("no cpufreq on
// this host (usual on VMs)", "no target pid given"), so the advisor can say "not measurable
// here" instead of guessing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/audit.h"
#include "host/command.h"
#include "host/cpu_security.h"
#include "host/cpufreq.h"
#include "host/ethtool.h"
#include "host/interrupts.h"
#include "host/irq_affinity.h"
#include "host/link_peers.h"
#include "host/local_clients.h"
#include "host/net_devices.h"
#include "host/netfilter.h"
#include "host/netns.h"
#include "host/paths.h"
#include "host/processes.h"
#include "host/qdisc.h"
#include "host/result.h"
#include "host/seccomp.h"
#include "host/snmp.h"
#include "host/sockets.h"
#include "host/sockstat.h"
#include "host/softirqs.h"
#include "host/softnet_stat.h"
#include "host/sysctl.h"

namespace tunescope::host {

struct HostOptions {
  std::optional<int> target_pid;        // for the seccomp mode and its network namespace
  std::optional<unsigned> target_port;  // for the SO_REUSEPORT group
  bool query_netfilter = true;          // runs nft / iptables-save
  bool query_kernel = true;             // netlink and ethtool ioctls (off for fixture trees)
};

struct DeviceFacts {
  NetDevice device;
  Result<DeviceIrqs> irqs = Result<DeviceIrqs>::Error("not read");
  Result<EthtoolInfo> ethtool = Result<EthtoolInfo>::Error("not read");
  Result<RootQdisc> root_qdisc = Result<RootQdisc>::Error("not read");
};

struct HostFacts {
  Result<SoftirqTable> softirqs = Result<SoftirqTable>::Error("not read");
  Result<InterruptTable> interrupts = Result<InterruptTable>::Error("not read");
  Result<SoftnetStat> softnet = Result<SoftnetStat>::Error("not read");
  Result<CounterTable> netstat = Result<CounterTable>::Error("not read");
  Result<CounterTable> snmp = Result<CounterTable>::Error("not read");
  TcpCounters tcp;  // named counters from netstat + snmp; each absent if unavailable
  Result<SockStat> sockstat = Result<SockStat>::Error("not read");
  SysctlTable sysctls;
  Result<VulnerabilityList> vulnerabilities = Result<VulnerabilityList>::Error("not read");
  Result<KernelCmdline> cmdline = Result<KernelCmdline>::Error("not read");
  Result<AuditState> audit = Result<AuditState>::Error("not read");
  Result<SeccompState> target_seccomp = Result<SeccompState>::Error("not read");
  Result<NetfilterState> netfilter = Result<NetfilterState>::Error("not read");
  Result<std::vector<int>> irqbalance_pids = Result<std::vector<int>>::Error("not read");
  Result<CpuFreq> cpufreq = Result<CpuFreq>::Error("not read");
  Result<std::vector<OwnedPacketSocket>> packet_sockets =
      Result<std::vector<OwnedPacketSocket>>::Error("not read");
  Result<PortListeners> target_listeners = Result<PortListeners>::Error("not read");
  // The processes on this host at the other end of target_listeners' connections.
  Result<LocalClients> target_clients = Result<LocalClients>::Error("not read");
  Result<std::vector<DeviceFacts>> devices = Result<std::vector<DeviceFacts>>::Error("not read");
  // The target's network namespace when it is not the daemon's: netstat, snmp, sockstat,
  // target_listeners and the net.* sysctls above are read there; its packet sockets are added
  // to the daemon's namespace's.
  std::optional<TargetNetns> target_netns;
  // The daemon's own namespace's TCP counters, when the target's is another: clients on this
  // host count their side (SYN retransmits) there.
  std::optional<TcpCounters> own_tcp;
  // Its netfilter rules (`netfilter` above is the daemon's namespace's): read there.
  Result<NetfilterState> target_netfilter = Result<NetfilterState>::Error("not read");
  // Its devices whose peer is in another namespace (its veth eth0, whose other end is one of
  // `devices` when that namespace is the daemon's).
  Result<std::vector<LinkPeer>> target_link_peers =
      Result<std::vector<LinkPeer>>::Error("not read");
  // Further network namespaces the target's processes run in (replicas in other containers):
  // nothing above is read there; the netfilter probe's bracket attaches there too.
  std::vector<std::string> other_target_netns;
  // Why the target's namespace is unknown (its /proc/PID/ns/net link cannot be read); the
  // per-namespace files are still its (/proc/PID/net), the sysctls the daemon's.
  std::string netns_unknown;
  // Why the sysctls could not be read in the target's namespace (marked unreadable then).
  std::string netns_sysctls_error;
  int cpus_configured = 0;  // sysconf(_SC_NPROCESSORS_CONF)
  int cpus_online = 0;      // sysconf(_SC_NPROCESSORS_ONLN)
};

// `runner` is used for nft / iptables-save; nullptr uses a SystemCommandRunner.
HostFacts CollectHostFacts(const HostPaths& paths, const HostOptions& options,
                           CommandRunner* runner = nullptr);

}  // namespace tunescope::host
