#include "host/host_facts.h"

#include <unistd.h>

namespace tunescope::host {

HostFacts collect_host_facts(const HostPaths& paths, const HostOptions& options,
                             CommandRunner* runner) {
  HostFacts f;
  f.cpus_configured = static_cast<int>(::sysconf(_SC_NPROCESSORS_CONF));
  f.cpus_online = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  f.softirqs = read_softirqs(paths);
  f.interrupts = read_interrupts(paths);
  f.softnet = read_softnet_stat(paths);
  f.netstat = read_netstat(paths);
  f.snmp = read_snmp(paths);
  {
    const CounterTable empty;
    f.tcp = tcp_counters(f.netstat ? *f.netstat : empty, f.snmp ? *f.snmp : empty);
  }
  f.sockstat = read_sockstat(paths);
  f.sysctls = read_advisor_sysctls(paths);
  f.vulnerabilities = read_vulnerabilities(paths);
  f.cmdline = read_cmdline(paths);

  auto procs = list_processes(paths);
  if (procs) {
    f.irqbalance_pids = find_by_comm(*procs, "irqbalance");
    f.audit =
        assess_audit(*procs, f.cmdline ? *f.cmdline : KernelCmdline{},
                     options.query_kernel ? query_kernel_audit()
                                          : fail<KernelAuditStatus>("kernel queries disabled"));
  } else {
    f.irqbalance_pids = fail<std::vector<int>>(procs.error());
    f.audit = fail<AuditState>(procs.error());
  }

  if (options.target_pid) {
    f.target_seccomp = read_seccomp(paths, *options.target_pid);
  } else {
    f.target_seccomp = fail<SeccompState>("no target pid given");
  }
  if (options.target_port) {
    f.target_listeners = read_port_listeners(paths, *options.target_port);
  } else {
    f.target_listeners = fail<PortListeners>("no target port given");
  }

  if (options.query_netfilter) {
    SystemCommandRunner system_runner;
    f.netfilter = read_netfilter(paths, runner != nullptr ? *runner : system_runner);
  } else {
    f.netfilter = fail<NetfilterState>("netfilter queries disabled");
  }
  f.cpufreq = read_cpufreq(paths);
  f.packet_sockets = read_owned_packet_sockets(paths);

  auto devs = read_net_devices(paths);
  if (!devs) {
    f.devices = fail<std::vector<DeviceFacts>>(devs.error());
    return f;
  }
  Result<std::vector<RootQdisc>> roots =
      options.query_kernel ? read_root_qdiscs()
                           : fail<std::vector<RootQdisc>>("kernel queries disabled");
  std::vector<DeviceFacts> out;
  for (auto& d : *devs) {
    DeviceFacts df;
    df.device = std::move(d);
    if (f.interrupts) {
      df.irqs = read_device_irqs(paths, df.device.name, *f.interrupts);
    } else {
      df.irqs = fail<DeviceIrqs>(f.interrupts.error());
    }
    if (options.query_kernel) {
      df.ethtool = read_ethtool(df.device.name);
    } else {
      df.ethtool = fail<EthtoolInfo>("kernel queries disabled");
    }
    if (!roots) {
      df.root_qdisc = fail<RootQdisc>(roots.error());
    } else {
      df.root_qdisc = fail<RootQdisc>("no root qdisc reported for " + df.device.name);
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
