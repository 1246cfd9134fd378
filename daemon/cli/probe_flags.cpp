#include "cli/probe_flags.h"

#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>

#include "probes/catalogue.h"

extern "C" {
#include "reqlat.bpf.h"
#include "xcpu.bpf.h"
}

namespace tunescope::cli {
namespace {

// Both port-filtered probes index their maps by port slot.
constexpr size_t kMaxTargetPorts = std::min(TS_XCPU_MAX_PORTS, TS_REQLAT_MAX_PORTS);

bool ProcessExists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// Whether any thread of any process has this comm (/proc/PID/task/TID/comm).
bool ThreadNamed(const std::string& comm) {
  using Dir = std::unique_ptr<DIR, int (*)(DIR*)>;
  Dir proc(::opendir("/proc"), &::closedir);
  if (!proc) return true;  // cannot tell: do not warn
  while (const dirent* p = ::readdir(proc.get())) {
    if (p->d_name[0] < '1' || p->d_name[0] > '9') continue;
    const std::string task_dir = std::string("/proc/") + p->d_name + "/task";
    Dir tasks(::opendir(task_dir.c_str()), &::closedir);
    if (!tasks) continue;
    while (const dirent* t = ::readdir(tasks.get())) {
      if (t->d_name[0] == '.') continue;
      std::ifstream in(task_dir + "/" + t->d_name + "/comm");
      std::string name;
      if (std::getline(in, name) && name == comm) return true;
    }
  }
  return false;
}

// Map bounds: a full map is counted in tunescope_map_full_total instead of growing.
struct MapBoundFlag {
  std::string_view name;
  std::string_view help;
  uint64_t min;
  uint64_t max;
  uint32_t probes::ProbeConfig::*field;
};

constexpr MapBoundFlag kMapBoundFlags[] = {
    {"runqlat.max-tasks", "bound of runqlat's runnable-task map", 64, 1 << 22,
     &probes::ProbeConfig::max_tasks},
    {"hardirq.max-irqs", "bound of hardirq's per-IRQ maps", 16, 65536,
     &probes::ProbeConfig::max_irqs},
    {"qdisc.max-devices", "bound of the devices the qdisc probe reports", 4, 65536,
     &probes::ProbeConfig::max_qdisc_devices},
    {"xcpu.max-sockets", "bound of the target-port sockets the xcpu probe remembers", 64, 1 << 22,
     &probes::ProbeConfig::max_sockets},
    {"reqlat.max-sockets", "bound of the server sockets the reqlat probe follows", 64, 1 << 22,
     &probes::ProbeConfig::max_request_sockets},
    {"reqlat.max-inflight", "bound of the parsed, not yet answered requests of usdt mode", 64,
     1 << 22, &probes::ProbeConfig::max_requests_inflight},
};

std::string ProbeNames() {
  std::string names;
  for (const auto& entry : probes::Catalogue())
    names.append(names.empty() ? "" : ",").append(entry.name);
  return names;
}

std::string ModeNames(const probes::Probe& probe) {
  std::string names;
  for (const auto& mode : probe.modes()) names.append(names.empty() ? "" : "|").append(mode.name);
  return names;
}

}  // namespace

void AddProbeFlags(FlagParser& parser, ProbeOptions& o) {
  parser.Add("probes", "LIST", "probes to run, comma-separated: all or " + ProbeNames(),
             [&o](std::string_view v) {
               std::vector<std::string> names;
               if (Status s = SplitList("probes", v, names); !s.ok()) return s;
               o.probes.clear();
               // A name given twice (or with all) runs once: two copies would export every
               // series twice.
               auto add = [&o](std::string_view name) {
                 if (std::find(o.probes.begin(), o.probes.end(), name) == o.probes.end())
                   o.probes.emplace_back(name);
               };
               for (const std::string& n : names) {
                 if (n == "all") {
                   for (const auto& e : probes::Catalogue()) add(e.name);
                 } else if (probes::FindProbe(n) == nullptr) {
                   return Status::Error("flag --probes: unknown probe \"" + n +
                                        "\" (known: " + ProbeNames() + ")");
                 } else {
                   add(n);
                 }
               }
               return Status();
             });
  for (const auto& entry : probes::Catalogue()) {
    auto probe = entry.make();
    std::string flag = std::string(entry.name) + "-mode";
    std::string modes = ModeNames(*probe);
    parser.Add(flag, "MODE", "force the " + std::string(entry.name) + " probe's mode: " + modes,
               [&o, flag, modes, name = std::string(entry.name),
                probe = std::shared_ptr<probes::Probe>(std::move(probe))](std::string_view v) {
                 for (const auto& mode : probe->modes()) {
                   if (mode.name == v) {
                     o.probe_modes[name] = std::string(v);
                     return Status();
                   }
                 }
                 return Status::Error("flag --" + flag + ": unknown mode \"" + std::string(v) +
                                      "\" (known: " + modes + ")");
               });
  }
  parser.Add("target-pid", "PID", "process (thread group) of the server being tuned; repeatable",
             [&o](std::string_view v) {
               uint64_t pid = 0;
               if (Status s = ParseUint("target-pid", v, 1, 4194304, pid); !s.ok()) return s;
               if (!ProcessExists(static_cast<pid_t>(pid))) {
                 return Status::Error("flag --target-pid: no process " + std::to_string(pid) +
                                      " is running");
               }
               o.probe_config.target_pids.push_back(static_cast<pid_t>(pid));
               return Status();
             });
  parser.Add("target-comm", "NAME", "thread name (comm) of the server being tuned; repeatable",
             [&o](std::string_view v) {
               if (v.empty() || v.size() > 15) {
                 return Status::Error("flag --target-comm: \"" + std::string(v) +
                                      "\" must be 1 to 15 characters (the kernel's comm)");
               }
               o.probe_config.target_comms.emplace_back(v);
               return Status();
             });
  parser.Add("target-port", "PORT", "local TCP/UDP port of the server being tuned; repeatable",
             [&o](std::string_view v) {
               uint64_t port = 0;
               if (Status s = ParseUint("target-port", v, 1, 65535, port); !s.ok()) return s;
               auto& ports = o.probe_config.target_ports;
               if (std::find(ports.begin(), ports.end(), port) != ports.end()) return Status();
               if (ports.size() >= kMaxTargetPorts) {
                 return Status::Error("flag --target-port: at most " +
                                      std::to_string(kMaxTargetPorts) +
                                      " distinct ports (the size of the probes' port maps)");
               }
               ports.push_back(static_cast<uint16_t>(port));
               return Status();
             });
  // A name nobody has yet is legal (the server may start later) but worth saying: a typo
  // would otherwise show up only as empty target series.
  parser.AddCheck([&o] {
    for (const std::string& comm : o.probe_config.target_comms) {
      if (!ThreadNamed(comm)) {
        TS_LOG(kWarn) << "--target-comm=" << comm
                      << " matches no running thread now: nothing is measured for it until a "
                         "thread of that name runs";
      }
    }
    return Status();
  });
  parser.Add("kernel.btf", "PATH",
             "kernel BTF for CO-RE (default " + std::string(kDefaultBtfPath) + ")",
             [&o](std::string_view v) {
               o.probe_config.btf_path = std::string(v);
               o.btf_path_given = true;
               return Status();
             });
  for (const MapBoundFlag& f : kMapBoundFlags) {
    uint32_t probes::ProbeConfig::*field = f.field;
    parser.Add(std::string(f.name), "N",
               std::string(f.help) + " (default " + std::to_string(o.probe_config.*field) + ")",
               [&o, f](std::string_view v) {
                 uint64_t n = 0;
                 if (Status s = ParseUint(f.name, v, f.min, f.max, n); !s.ok()) return s;
                 o.probe_config.*f.field = static_cast<uint32_t>(n);
                 return Status();
               });
  }
  parser.Add("reqlat.usdt-binary", "PATH",
             "refserver executable whose USDT notes the reqlat probe attaches to (usdt mode, "
             "chosen over socket when given; --target-pid restricts it to those processes)",
             [&o](std::string_view v) {
               if (v.empty()) return Status::Error("flag --reqlat.usdt-binary: empty path");
               o.probe_config.usdt_binary = std::string(v);
               return Status();
             });
  parser.Add("softirq.sample", "N",
             "time 1 in N softirq runs per vector and CPU, N a power of two up to 1024 (default "
             "8; 1 times every run); runs stay exact, time is N x the timed runs' sum",
             [&o](std::string_view v) {
               uint64_t n = 0;
               if (Status s = ParseUint("softirq.sample", v, 1, 1024, n); !s.ok()) return s;
               if ((n & (n - 1)) != 0) {
                 return Status::Error("flag --softirq.sample: " + std::to_string(n) +
                                      " is not a power of two");
               }
               o.probe_config.softirq_sample = static_cast<uint32_t>(n);
               return Status();
             });
  parser.AddSwitch("softirq.raise-delay",
                   "also time NET_RX from raise to run (one more BPF program, run on every "
                   "softirq raise of every vector; advise turns it on)",
                   &o.probe_config.softirq_raise_delay);
  parser.Add("xdp-iface", "IF",
             "count rx packets per queue and CPU on this interface with XDP (xcpu probe; off by "
             "default: attaching XDP can reset some NICs' queues)",
             [&o](std::string_view v) {
               if (v.empty() || v.size() >= 16 || v.find('/') != std::string_view::npos) {
                 return Status::Error("flag --xdp-iface: \"" + std::string(v) +
                                      "\" is not an interface name");
               }
               o.probe_config.xdp_iface = std::string(v);
               return Status();
             });
  parser.Add("log.level", "LEVEL", "debug, info, warn or error (default info)",
             [&o](std::string_view v) {
               auto level = log::ParseLevel(v);
               if (!level) {
                 return Status::Error("flag --log.level: \"" + std::string(v) +
                                      "\" is not one of debug, info, warn, error");
               }
               o.log_level = *level;
               return Status();
             });
  parser.AddSwitch("bpf-stats",
                   "turn on kernel BPF run-time stats while running (per-program cost metrics)",
                   &o.bpf_stats);
}

std::vector<std::string> ProbesToRun(const ProbeOptions& options) {
  if (!options.probes.empty()) return options.probes;
  std::vector<std::string> names;
  for (const auto& e : probes::Catalogue()) {
    if (e.default_on == probes::DefaultOn::kAlways ||
        (e.default_on == probes::DefaultOn::kWithTargetPort &&
         !options.probe_config.target_ports.empty())) {
      names.emplace_back(e.name);
    }
  }
  return names;
}

std::shared_ptr<probes::ProbeSet> MakeProbeSet(const ProbeOptions& options,
                                               const probes::AttachWindow& window) {
  auto set = std::make_shared<probes::ProbeSet>();
  for (const std::string& name : ProbesToRun(options)) {
    const probes::CatalogueEntry* entry = probes::FindProbe(name);
    if (entry == nullptr) continue;
    auto forced = options.probe_modes.find(name);
    bool named =
        std::find(options.probes.begin(), options.probes.end(), name) != options.probes.end();
    bool windowed = entry->attachment == probes::Attachment::kWindowed && !window.always();
    // An opt-in mode costs too much to attach for good unasked; in windows its cost is bounded
    // by OPEN/EVERY, and measuring with it beats not measuring (the netfilter bracket where
    // fentry and kprobes are refused).
    set->Add(entry->make(), forced == options.probe_modes.end() ? "" : forced->second,
             named || windowed, windowed);
  }
  return set;
}

}  // namespace tunescope::cli
