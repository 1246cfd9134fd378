#include "host/host_facts.h"

#include <unistd.h>

namespace tunescope::host {

HostFacts CollectHostFacts(const HostPaths& host_paths, const HostOptions& options,
                           CommandRunner* runner) {
  HostFacts f;
  // A server in a container: what its network namespace holds is read there.
  std::optional<TargetNetns> netns;
  HostPaths paths = host_paths;
  if (options.target_pid) {
    paths = NetPathsOf(host_paths, *options.target_pid);
    if (auto ns = ReadTargetNetns(host_paths, *options.target_pid); !ns) {
      f.netns_unknown = ns.error();
    } else if (ns->other) {
      netns = *ns;
    }
  }
  f.target_netns = netns;
  if (netns) f.own_tcp = ReadTcpCounters(host_paths);
  f.cpus_configured = static_cast<int>(::sysconf(_SC_NPROCESSORS_CONF));
  f.cpus_online = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  f.softirqs = ReadSoftirqs(paths);
  f.interrupts = ReadInterrupts(paths);
  f.softnet = ReadSoftnetStat(paths);
  f.netstat = ReadNetstat(paths);
  f.snmp = ReadSnmp(paths);
  {
    const CounterTable empty;
    f.tcp = TcpCountersOf(f.netstat ? *f.netstat : empty, f.snmp ? *f.snmp : empty);
  }
  f.sockstat = ReadSockstat(paths);
  f.sysctls = ReadAdvisorSysctls(paths);
  SystemCommandRunner system_runner;
  CommandRunner& run = runner != nullptr ? *runner : system_runner;
  if (netns && options.query_kernel) {
    // One thread in the namespace reads what only reads right from there: its sysctls, its
    // links and (tools forked from that thread) its netfilter rules. Its own sysctls
    // (somaxconn, net.ipv4.*) replace the host's; host-wide ones (busy_read,
    // rps_sock_flow_entries, ...) do not exist there and stay.
    SysctlTable theirs;
    Status s = RunInNetns(paths, *netns, [&] {
      theirs = ReadAdvisorSysctls(paths);
      f.target_link_peers = ReadLinkPeers();
      if (options.query_netfilter) f.target_netfilter = ReadNetfilter(paths, run);
    });
    if (!s.ok()) {
      f.target_link_peers = Result<std::vector<LinkPeer>>::Error(s.error());
      f.target_netfilter = Result<NetfilterState>::Error(s.error());
    }
    for (SysctlValue& v : f.sysctls.values) {
      const SysctlValue* t = theirs.find(v.name);
      if (t != nullptr && t->value.ok()) {
        v.value = t->value;
      } else if (!s.ok() && PerNetnsSysctl(v.name)) {
        v.value = Result<std::string>::Error("not readable in the server's network namespace (" +
                                             s.error() + ")");
      }
    }
    if (!s.ok()) f.netns_sysctls_error = s.error();
  }
  f.vulnerabilities = ReadVulnerabilities(paths);
  f.cmdline = ReadCmdline(paths);

  auto procs = ListProcesses(paths);
  if (procs) {
    f.irqbalance_pids = FindByComm(*procs, "irqbalance");
    f.audit = AssessAudit(*procs, f.cmdline ? *f.cmdline : KernelCmdline{},
                          options.query_kernel
                              ? QueryKernelAudit()
                              : Result<KernelAuditStatus>::Error("kernel queries disabled"));
  } else {
    f.irqbalance_pids = Result<std::vector<int>>::Error(procs.error());
    f.audit = Result<AuditState>::Error(procs.error());
  }

  if (options.target_pid) {
    f.target_seccomp = ReadSeccomp(paths, *options.target_pid);
  } else {
    f.target_seccomp = Result<SeccompState>::Error("no target pid given");
  }
  if (options.target_port) {
    // A server in a container (or maybe one: its link unreadable): its clients on this host
    // are in the daemon's namespace.
    const bool elsewhere = netns || !f.netns_unknown.empty();
    f.target_listeners =
        ReadPortListeners(paths, *options.target_port, elsewhere ? &host_paths : nullptr);
  } else {
    f.target_listeners = Result<PortListeners>::Error("no target port given");
  }
  // Socket inodes are the host's, whatever the namespace: one scan of this /proc finds the
  // owners of the clients' sockets and of the packet sockets below.
  SocketOwnerIndex owners(host_paths);
  f.target_clients = f.target_listeners
                         ? ReadLocalClients(host_paths, owners, f.target_listeners->client_inodes,
                                            options.target_pid)
                         : Result<LocalClients>::Error(f.target_listeners.error());

  if (options.query_netfilter) {
    f.netfilter = ReadNetfilter(host_paths, run);
  } else {
    f.netfilter = Result<NetfilterState>::Error("netfilter queries disabled");
  }
  f.cpufreq = ReadCpufreq(paths);
  f.packet_sockets = ReadOwnedPacketSockets(host_paths, owners);
  if (netns && f.packet_sockets) {
    // A tap in the container sees its traffic as one on the host does.
    if (auto theirs = ReadOwnedPacketSockets(paths, owners)) {
      f.packet_sockets->insert(f.packet_sockets->end(), theirs->begin(), theirs->end());
    }
  }

  auto devs = ReadNetDevices(paths);
  if (!devs) {
    f.devices = Result<std::vector<DeviceFacts>>::Error(devs.error());
    return f;
  }
  Result<std::vector<RootQdisc>> roots =
      options.query_kernel ? ReadRootQdiscs()
                           : Result<std::vector<RootQdisc>>::Error("kernel queries disabled");
  std::vector<DeviceFacts> out;
  for (auto& d : *devs) {
    DeviceFacts df;
    df.device = std::move(d);
    if (f.interrupts) {
      df.irqs = ReadDeviceIrqs(paths, df.device.name, *f.interrupts);
    } else {
      df.irqs = Result<DeviceIrqs>::Error(f.interrupts.error());
    }
    if (options.query_kernel) {
      df.ethtool = ReadEthtool(df.device.name);
    } else {
      df.ethtool = Result<EthtoolInfo>::Error("kernel queries disabled");
    }
    if (!roots) {
      df.root_qdisc = Result<RootQdisc>::Error(roots.error());
    } else {
      df.root_qdisc = Result<RootQdisc>::Error("no root qdisc reported for " + df.device.name);
      for (const auto& r : *roots) {
        if (r.device == df.device.name ||
            (df.device.ifindex && r.ifindex == *df.device.ifindex && r.device.empty())) {
          df.root_qdisc = r;
        }
      }
    }
    out.push_back(std::move(df));
  }
  f.devices = std::move(out);
  return f;
}

}  // namespace tunescope::host
