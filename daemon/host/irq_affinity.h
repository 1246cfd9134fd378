// NIC queue IRQs and where they may run: the IRQs of a network device (by its MSI IRQ list in
// sysfs, or by action names in /proc/interrupts that carry the device's name), each with
// /proc/irq/N/smp_affinity_list and effective_affinity_list. talawah.io 2021 pinned each queue IRQ
// to one CPU (with irqbalance off).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/interrupts.h"
#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct DeviceIrq {
  int irq = 0;
  std::vector<std::string> actions;
  bool queue = false;  // action names look like a data queue (rx/tx/input/output/comp/queue)
  std::vector<std::uint64_t> per_cpu;
  Result<std::vector<int>> affinity =
      Result<std::vector<int>>::Error("not read");  // smp_affinity_list
  std::optional<std::vector<int>> effective;  // effective_affinity_list, where the kernel has it
};

// True when an IRQ action name looks like a NIC data queue rather than config/management.
bool LooksLikeQueueIrq(std::string_view action);

// The IRQs in `table` that belong to device `dev`: IRQ numbers listed in `msi_irqs`, or any
// action named after the device ("eth0", "eth0-TxRx-0", "eth0-rx-1") or after its bus device
// `bus_name` ("virtio2-input.0" for bus device "virtio2"). Pure: no file access.
std::vector<DeviceIrq> MatchDeviceIrqs(const InterruptTable& table, std::string_view dev,
                                       const std::vector<int>& msi_irqs, std::string_view bus_name);

struct DeviceIrqs {
  std::string device;
  std::vector<DeviceIrq> irqs;
  int queue_irqs() const;
  // Queue IRQs whose affinity is exactly one CPU (pinned), and the distinct CPUs they use.
  int pinned_queue_irqs() const;
  std::vector<int> queue_cpus() const;
};

// Reads /proc/interrupts, the device's msi_irqs (device/msi_irqs, or the parent's for virtio)
// and each IRQ's affinity files.
Result<DeviceIrqs> ReadDeviceIrqs(const HostPaths& paths, std::string_view dev,
                                  const InterruptTable& table);

}  // namespace tunescope::host
