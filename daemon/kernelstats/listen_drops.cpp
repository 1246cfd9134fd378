#include "kernelstats/sources.h"

#include "host/netns.h"
#include "host/snmp.h"
#include "metrics/family.h"

namespace tunescope::kernelstats {

Status ListenDrops::Read(std::vector<prometheus::MetricFamily>& out) const {
  // Resolved at every read: the server may restart, or move. While it is not running there is
  // no namespace to read (the host's counters would pass for its own).
  auto net = host::TargetNetPaths(paths(), pids_, comms_);
  if (!net) return Status::Error(net.error());
  auto netstat = host::ReadNetstat(*net);
  if (!netstat) return Status::Error(netstat.error());
  // TcpCountersOf() takes both tables; only TcpExt (netstat) is needed here.
  const host::TcpCounters c = host::TcpCountersOf(*netstat, host::CounterTable{});
  if (!c.listen_overflows && !c.listen_drops) {
    return Status::Error(net->Net() + "/netstat: no TcpExt ListenOverflows or ListenDrops");
  }
  auto counter = [&out](const char* name, const char* help, std::optional<std::int64_t> v) {
    if (v && *v >= 0) {
      metrics::Append(
          out, std::move(metrics::CounterFamily(name, help).Counter({}, static_cast<double>(*v))));
    }
  };
  counter("tunescope_kernel_listen_overflows_total",
          "Connections dropped because a listener's accept queue was full (TcpExt "
          "ListenOverflows; the target server's network namespace, or the daemon's).",
          c.listen_overflows);
  counter("tunescope_kernel_listen_drops_total",
          "Connections dropped at a listening socket for any reason, overflows included (TcpExt "
          "ListenDrops; the target server's network namespace, or the daemon's).",
          c.listen_drops);
  return {};
}

}  // namespace tunescope::kernelstats
