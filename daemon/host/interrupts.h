// /proc/interrupts: per-IRQ per-CPU counts, the irq chip, the hardware IRQ/trigger and the
// action (handler) names. Action names are how NIC queue IRQs are recognised
// ("eth0-TxRx-3", "virtio2-input.0", "mlx5_comp3@pci:0000:81:00.0").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct IrqLine {
  std::string id;                      // "24", "NMI", "LOC"
  std::optional<int> number;           // set for numbered IRQs
  std::vector<std::uint64_t> per_cpu;  // one per CPU column; a single value for ERR/MIS
  std::string chip;                    // numbered IRQs: "IO-APIC", "PCI-MSIX-0000:00:03.0"
  std::string hwirq;                   // numbered IRQs: "5-edge", "27", may be empty
  std::vector<std::string> actions;    // numbered IRQs: handler names
  std::string description;             // named lines: "Local timer interrupts"
  std::uint64_t total() const;
};

struct InterruptTable {
  std::vector<std::string> cpus;  // header names, "CPU0", ...
  std::vector<IrqLine> lines;
  const IrqLine* find_number(int irq) const;
};

Result<InterruptTable> ParseInterrupts(std::string_view text,
                                       std::string_view source = "/proc/interrupts");
Result<InterruptTable> ReadInterrupts(const HostPaths& paths);

}  // namespace tunescope::host
