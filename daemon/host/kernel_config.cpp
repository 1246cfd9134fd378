#include "host/kernel_config.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "host/text.h"

namespace tunescope::host {
namespace {

Result<std::string> ReadGzip(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(::gzopen(path.c_str(), "rb"), &::gzclose);
  if (!file) return Result<std::string>::Error(path + ": " + std::strerror(errno));
  std::string out;
  char buf[16384];
  for (;;) {
    const int n = ::gzread(file.get(), buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      return Result<std::string>::Error(path + ": " + ::gzerror(file.get(), &code));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (16u << 20)) return Result<std::string>::Error(path + ": larger than 16 MiB");
  }
  return out;
}

}  // namespace

std::optional<std::string> ParseConfigOption(std::string_view config, std::string_view option) {
  const std::string unset = "# " + std::string(option) + " is not set";
  const std::string set = std::string(option) + "=";
  for (std::string_view line : SplitLines(config)) {
    line = Trim(line);
    if (line == unset) return "n";
    if (StartsWith(line, set)) return std::string(line.substr(set.size()));
  }
  return std::nullopt;
}

Result<KernelConfig> ReadKernelConfig(const HostPaths& paths) {
  const std::string proc = paths.proc + "/config.gz";
  auto gz = ReadGzip(proc);
  if (gz) return KernelConfig{proc, std::move(*gz)};
  auto release = ReadTextFile(paths.proc + "/sys/kernel/osrelease");
  if (!release) return Result<KernelConfig>::Error(gz.error() + "; " + release.error());
  const std::string boot = paths.boot + "/config-" + std::string(Trim(*release));
  auto text = ReadTextFile(boot);
  if (!text) return Result<KernelConfig>::Error(gz.error() + "; " + text.error());
  return KernelConfig{boot, std::move(*text)};
}

IrqTimeAccounting IrqTimeAccountingOf(const std::string* config, std::string_view cmdline) {
  if (config == nullptr) return IrqTimeAccounting::kUnknown;
  auto v = ParseConfigOption(*config, "CONFIG_IRQ_TIME_ACCOUNTING");
  if (!v || *v != "y") return IrqTimeAccounting::kSampled;
  // x86 turns it off at boot with tsc=noirqtime (arch/x86/kernel/tsc.c).
  for (auto arg : SplitWhitespace(cmdline)) {
    if (arg == "--") break;
    if (StartsWith(arg, "tsc=") && arg.find("noirqtime") != std::string_view::npos) {
      return IrqTimeAccounting::kSampled;
    }
  }
  return IrqTimeAccounting::kExact;
}

IrqTimeAccounting ReadIrqTimeAccounting(const HostPaths& paths) {
  auto config = ReadKernelConfig(paths);
  auto cmdline = ReadTextFile(paths.proc + "/cmdline");
  return IrqTimeAccountingOf(config ? &config->text : nullptr, cmdline ? *cmdline : "");
}

std::string_view to_string(IrqTimeAccounting a) {
  // In the enum's order; also the label values of tunescope_kernel_softirq_accounting_info.
  static constexpr std::string_view kNames[] = {"exact", "tick_sampled", "unknown"};
  return kNames[static_cast<int>(a)];
}

}  // namespace tunescope::host
