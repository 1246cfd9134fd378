// Network devices from /sys/class/net: queue counts, RPS and XPS CPU masks per queue, driver,
// and the per-device knobs that matter for busy polling (gro_flush_timeout,
// napi_defer_hard_irqs). talawah.io 2021 set XPS per tx queue; Dropbox 2017 and the 1M RPS Go
// journal discuss RPS.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct QueueCpus {
  std::string queue;              // "rx-0", "tx-3"
  Result<std::vector<int>> cpus;  // CPUs in the mask; empty = feature off for this queue
};

struct NetDevice {
  std::string name;
  std::optional<int> ifindex;
  std::optional<std::string> driver;  // basename of device/driver; absent for virtual devices
  bool has_device = false;            // backed by a bus device (not lo, veth, bridge, ...)
  std::optional<std::string> operstate;
  int rx_queues = 0;
  int tx_queues = 0;
  std::vector<QueueCpus> rps;  // one per rx queue (rps_cpus)
  std::vector<QueueCpus> xps;  // one per tx queue (xps_cpus)
  std::optional<long long> gro_flush_timeout;
  std::optional<long long> napi_defer_hard_irqs;
  bool rps_enabled() const;  // any rx queue has a non-empty rps mask
  bool xps_enabled() const;  // any tx queue has a non-empty xps mask
};

Result<NetDevice> ReadNetDevice(const HostPaths& paths, std::string_view name);
Result<std::vector<NetDevice>> ReadNetDevices(const HostPaths& paths);

}  // namespace tunescope::host
