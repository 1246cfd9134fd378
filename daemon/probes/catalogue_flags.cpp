#include "probes/catalogue_flags.h"

#include <net/if.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <string_view>

namespace tunescope::probes {
namespace {

// A map bound: a full map is counted in tunescope_map_full_total instead of growing.
void AddMapBound(cli::FlagParser& parser, ProbeConfig& config, std::string_view name,
                 std::string_view help, uint64_t min, uint64_t max, uint32_t ProbeConfig::*field) {
  parser.Add(std::string(name), "N",
             std::string(help) + " (default " + std::to_string(config.*field) + ")",
             [&config, name, min, max, field](std::string_view v) {
               uint64_t n = 0;
               if (Status s = cli::ParseUint(name, v, min, max, n); !s.ok()) return s;
               config.*field = static_cast<uint32_t>(n);
               return Status();
             });
}

}  // namespace

void AddSoftirqFlags(cli::FlagParser& parser, ProbeConfig& config) {
  parser.Add("softirq.sample", "N",
             "time 1 in N softirq runs per vector and CPU, N a power of two up to 1024 (default "
             "8; 1 times every run); runs stay exact, time is N x the timed runs' sum",
             [&config](std::string_view v) {
               uint64_t n = 0;
               if (Status s = cli::ParseUint("softirq.sample", v, 1, 1024, n); !s.ok()) return s;
               if ((n & (n - 1)) != 0) {
                 return Status::Error("flag --softirq.sample: " + std::to_string(n) +
                                      " is not a power of two");
               }
               config.softirq_sample = static_cast<uint32_t>(n);
               return Status();
             });
  parser.AddSwitch("softirq.raise-delay",
                   "also time NET_RX from raise to run (one more BPF program, run on every "
                   "softirq raise of every vector; advise turns it on)",
                   &config.softirq_raise_delay);
}

void AddHardirqFlags(cli::FlagParser& parser, ProbeConfig& config) {
  AddMapBound(parser, config, "hardirq.max-irqs", "bound of hardirq's per-IRQ maps", 16, 65536,
              &ProbeConfig::max_irqs);
}

void AddRunqlatFlags(cli::FlagParser& parser, ProbeConfig& config) {
  AddMapBound(parser, config, "runqlat.max-tasks", "bound of runqlat's runnable-task map", 64,
              1 << 22, &ProbeConfig::max_tasks);
}

void AddQdiscFlags(cli::FlagParser& parser, ProbeConfig& config) {
  AddMapBound(parser, config, "qdisc.max-devices", "bound of the devices the qdisc probe reports",
              4, 65536, &ProbeConfig::max_qdisc_devices);
  parser.Add("qdisc.forget-after", "DURATION",
             "drop a device's series once it has sent nothing for this long (default 10m): "
             "destroyed veths make room for new ones",
             [&config](std::string_view v) {
               double s = 0;
               // An idle timeout, not a measurement: a year is its bound.
               if (Status st = cli::ParseDurationSeconds("qdisc.forget-after", v, s, 365 * 86400.0);
                   !st.ok()) {
                 return st;
               }
               if (s < 1) return Status::Error("flag --qdisc.forget-after: under 1 s");
               config.qdisc_forget_idle_s = s;
               return Status();
             });
}

void AddXcpuFlags(cli::FlagParser& parser, ProbeConfig& config) {
  AddMapBound(parser, config, "xcpu.max-sockets",
              "bound of the target-port sockets the xcpu probe remembers", 64, 1 << 22,
              &ProbeConfig::max_sockets);
  // Named before probes had their own prefixes; kept for the command lines that use it.
  parser.Add("xdp-iface", "IF",
             "count rx packets per queue and CPU on this interface with XDP (xcpu probe; off by "
             "default: attaching XDP can reset some NICs' queues)",
             [&config](std::string_view v) {
               if (v.empty() || v.size() >= IFNAMSIZ || v.find('/') != std::string_view::npos) {
                 return Status::Error("flag --xdp-iface: \"" + std::string(v) +
                                      "\" is not an interface name");
               }
               config.xdp_iface = std::string(v);
               // A misspelt name would leave the probe down with the daemon running.
               if (if_nametoindex(config.xdp_iface.c_str()) == 0) {
                 return Status::Error("flag --xdp-iface: no interface " + config.xdp_iface +
                                      " in this network namespace");
               }
               return Status();
             });
}

void AddReqlatFlags(cli::FlagParser& parser, ProbeConfig& config) {
  AddMapBound(parser, config, "reqlat.max-sockets",
              "bound of the server sockets the reqlat probe follows", 64, 1 << 22,
              &ProbeConfig::max_request_sockets);
  AddMapBound(parser, config, "reqlat.max-inflight",
              "bound of the parsed, not yet answered requests of usdt mode", 64, 1 << 22,
              &ProbeConfig::max_requests_inflight);
  parser.Add("reqlat.usdt-binary", "PATH",
             "refserver executable whose USDT notes the reqlat probe attaches to (usdt mode, "
             "chosen over socket when given; --target-pid restricts it to those processes)",
             [&config](std::string_view v) {
               if (v.empty()) return Status::Error("flag --reqlat.usdt-binary: empty path");
               config.usdt_binary = std::string(v);
               // The probe would pass over usdt mode for socket mode, and the user would not
               // know why: a path that is not a file is a mistake in the command line.
               struct stat st {};
               if (::stat(config.usdt_binary.c_str(), &st) != 0) {
                 return Status::Error(
                     ErrnoMessage("flag --reqlat.usdt-binary: " + config.usdt_binary, errno));
               }
               if (!S_ISREG(st.st_mode)) {
                 return Status::Error("flag --reqlat.usdt-binary: " + config.usdt_binary +
                                      " is not a file");
               }
               return Status();
             });
}

}  // namespace tunescope::probes
