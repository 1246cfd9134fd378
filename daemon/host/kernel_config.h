// The running kernel's build configuration: /proc/config.gz (CONFIG_IKCONFIG_PROC), else
// /boot/config-<release> as distributions install it. Used to tell whether a /proc column is
// exact or sampled (CONFIG_IRQ_TIME_ACCOUNTING) where the numbers themselves cannot say.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

// The value of `option` ("CONFIG_IRQ_TIME_ACCOUNTING") in a .config text: "y", "m", a string,
// or "n" for "# CONFIG_X is not set"; nullopt when the text does not mention it.
std::optional<std::string> ParseConfigOption(std::string_view config, std::string_view option);

// The text of the running kernel's config and where it came from.
struct KernelConfig {
  std::string source;  // "/proc/config.gz" or "/boot/config-6.1.0-18-amd64"
  std::string text;
};
Result<KernelConfig> ReadKernelConfig(const HostPaths& paths);

// How /proc/stat's irq and softirq columns are accounted.
enum class IrqTimeAccounting {
  kExact,    // CONFIG_IRQ_TIME_ACCOUNTING=y and not turned off on the command line
  kSampled,  // not built in, or turned off (tsc=noirqtime): the ticks that landed there
  kUnknown,  // no config to read
};
// `config` the config text (nullptr when unreadable), `cmdline` /proc/cmdline.
IrqTimeAccounting IrqTimeAccountingOf(const std::string* config, std::string_view cmdline);
IrqTimeAccounting ReadIrqTimeAccounting(const HostPaths& paths);
std::string_view to_string(IrqTimeAccounting a);

}  // namespace tunescope::host
