#include "cli/serve_flags.h"

#include "http/http_server.h"
#include "probes/catalogue.h"

namespace tunescope::cli {
namespace {

std::string WindowedProbeNames() {
  std::string names;
  for (const auto& entry : probes::Catalogue()) {
    if (entry.attachment == probes::Attachment::kWindowed)
      names.append(names.empty() ? "" : ", ").append(entry.name);
  }
  return names;
}

Status ParseWindow(std::string_view v, probes::AttachWindow& window) {
  if (v == "always") {
    window = {};
    return {};
  }
  const std::string usage =
      "flag --window: \"" + std::string(v) + "\" is not OPEN/EVERY (like 2s/120s) or always";
  size_t slash = v.find('/');
  if (slash == std::string_view::npos) return Status::Error(usage);
  double open = 0;
  double every = 0;
  constexpr double kMaxEvery = 86400;
  for (auto [part, out] : {std::pair{v.substr(0, slash), &open}, {v.substr(slash + 1), &every}}) {
    // A bad form names the whole form; a well-formed part out of range says its bound.
    if (!DurationSeconds(part)) return Status::Error(usage);
    if (Status s = ParseDurationSeconds("window", part, *out, kMaxEvery); !s.ok()) return s;
  }
  if (open < 0.01 || open >= every) {  // each part is <= kMaxEvery already
    return Status::Error("flag --window: \"" + std::string(v) +
                         "\" needs 10ms <= OPEN < EVERY <= 24h");
  }
  window.open = std::chrono::milliseconds(static_cast<int64_t>(open * 1000));
  window.every = std::chrono::milliseconds(static_cast<int64_t>(every * 1000));
  return {};
}

}  // namespace

void AddServeFlags(FlagParser& parser, ServeOptions& o) {
  parser.Add("web.listen-address", "[HOST]:PORT",
             "address for the web endpoints (default " + std::string(kDefaultListenAddress) + ")",
             [&o](std::string_view v) {
               std::string civet;
               if (Status s = http::ToCivetListeningPort(v, civet); !s.ok()) {
                 return Status::Error("flag --web.listen-address: " + s.error());
               }
               o.listen_address = std::string(v);
               return Status();
             });
  parser.Add("web.telemetry-path", "PATH", "path of the metrics endpoint (default /metrics)",
             [&o](std::string_view v) {
               if (v.size() < 2 || v.front() != '/' || v == "/healthz" || v == "/advice") {
                 return Status::Error("flag --web.telemetry-path: \"" + std::string(v) +
                                      "\" must start with / and not be /, /healthz or /advice");
               }
               o.telemetry_path = std::string(v);
               return Status();
             });
  parser.Add("web.config.file", "PATH",
             "exporter-toolkit web config: basic_auth_users with bcrypt hashes of cost 4..14 "
             "(at least one user; no TLS)",
             [&o](std::string_view v) {
               if (v.empty()) return Status::Error("flag --web.config.file: empty path");
               o.web_config_file = std::string(v);
               return Status();
             });
  parser.AddSwitch("drop-capabilities",
                   "drop every capability once the probes are attached (maps are read through "
                   "descriptors already held)",
                   &o.drop_capabilities);
  parser.Add(
      "window", "OPEN/EVERY",
      "attach the per-event probes (" + WindowedProbeNames() +
          ") for OPEN out of every EVERY (default 2s/120s; their counters keep running "
          "totals, tunescope_probe_attached_seconds_total their attached time); always: "
          "attached for good, at their full per-event cost (the default set then leaves softirq "
          "out: the kernel statistics keep its time and runs)",
      [&o](std::string_view v) {
        o.window_given = true;
        return ParseWindow(v, o.window);
      });
  parser.Add("overhead-budget", "SHARE",
             "share of one CPU that the windowed probes, the continuous ones and the daemon "
             "itself may take (default 0.005, also 0.5%; off: none): windows shorten or skip "
             "to stay within it, measured with BPF statistics on inside windows only",
             [&o](std::string_view v) { return ParseOverheadBudget(v, o.overhead_budget); });
  parser.AddSwitch("no-kernel-stats",
                   "do not export the kernel's own statistics read from /proc at each scrape "
                   "(tunescope_kernel_*: softirq time and runs, run-queue waits, listen and "
                   "softnet drops; no BPF)",
                   &o.no_kernel_stats);
  AddProbeFlags(parser, o);
}

Status ResolveServeOptions(ServeOptions& o) {
  if (o.drop_capabilities && !o.window.always()) {
    if (o.window_given) {
      return Status::Error(
          "--window needs capabilities to attach again; with --drop-capabilities use "
          "--window=always");
    }
    o.window = {};
  }
  o.probe_config.stats_in_windows = !o.window.always() && o.overhead_budget > 0;
  return {};
}

namespace {
// Attached for good, softirq's time and runs come from the kernel-statistics tier instead.
bool InWindowsToo(const ServeOptions& options) {
  return !options.window.always() || options.no_kernel_stats;
}
}  // namespace

std::vector<std::string> ProbesToRun(const ServeOptions& options) {
  return ProbesToRun(options, InWindowsToo(options));
}

std::shared_ptr<probes::ProbeSet> MakeProbeSet(const ServeOptions& options) {
  return MakeProbeSet(options, options.window, InWindowsToo(options));
}

}  // namespace tunescope::cli
