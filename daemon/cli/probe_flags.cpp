#include "cli/probe_flags.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "host/cpu_accounting.h"
#include "host/netns.h"
#include "host/sockets.h"
#include "probes/catalogue.h"

namespace tunescope::cli {
namespace {

// Whether any thread of any process has this comm.
bool ThreadNamed(const std::string& comm) {
  return !host::ReadThreads(host::HostPaths{}, {}, {comm}).empty();
}

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
               if (!host::ProcessExists(host::HostPaths{}, static_cast<int>(pid))) {
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
               if (ports.size() >= probes::MaxTargetPorts()) {
                 return Status::Error("flag --target-port: at most " +
                                      std::to_string(probes::MaxTargetPorts()) +
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
    // Likewise a port nothing serves yet, looked for where the target runs.
    const auto& c = o.probe_config;
    auto net = host::TargetNetPaths(host::HostPaths{}, c.target_pids, c.target_comms);
    if (!net) return Status();
    for (uint16_t port : c.target_ports) {
      if (auto served = host::PortServed(*net, port); served && !*served) {
        TS_LOG(kWarn) << "--target-port=" << port << ": no TCP listener or UDP socket on it now"
                      << (c.target_pids.empty() && c.target_comms.empty()
                              ? ""
                              : " in the target's network namespace")
                      << ": its sockets and requests are not measured until one is";
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
  // Each probe's own flags, from its catalogue row.
  for (const auto& entry : probes::Catalogue()) {
    if (entry.add_flags != nullptr) entry.add_flags(parser, o.probe_config);
  }
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

std::vector<std::string> ProbesToRun(const ProbeOptions& options, bool in_windows_too) {
  if (!options.probes.empty()) return options.probes;
  std::vector<std::string> names;
  for (const auto& e : probes::Catalogue()) {
    if (e.default_on == probes::DefaultOn::kAlways ||
        (e.default_on == probes::DefaultOn::kInWindows && in_windows_too) ||
        (e.default_on == probes::DefaultOn::kWithTargetPort &&
         !options.probe_config.target_ports.empty())) {
      names.emplace_back(e.name);
    }
  }
  return names;
}

std::shared_ptr<probes::ProbeSet> MakeProbeSet(const ProbeOptions& options,
                                               const probes::AttachWindow& window,
                                               bool in_windows_too) {
  auto set = std::make_shared<probes::ProbeSet>();
  const std::vector<std::string> names = ProbesToRun(options, in_windows_too);
  // A flag of a probe that does not run would be ignored without a word.
  if (!options.probe_config.xdp_iface.empty() &&
      std::find(names.begin(), names.end(), "xcpu") == names.end()) {
    TS_LOG(kWarn) << "--xdp-iface=" << options.probe_config.xdp_iface
                  << ": the xcpu probe does not run (it runs with --target-port, or named in "
                     "--probes), so the interface is not counted";
  }
  for (const std::string& name : names) {
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
