#include "serve.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "advice_service.h"
#include "advise_session.h"
#include "build_info.h"
#include "cli/serve_flags.h"
#include "core/capabilities.h"
#include "core/log.h"
#include "http/endpoints.h"
#include "http/http_server.h"
#include "http/web_config.h"
#include "kernelstats/clock_read.h"
#include "kernelstats/kernel_stats.h"
#include "probes/catalogue.h"
#include "probes/overhead.h"
#include "probes/probe_set.h"
#include "runtime.h"

namespace tunescope {
namespace {

constexpr const char* kUsage =
    "usage: tunescope serve [flags]\n\n"
    "Runs the daemon: loads the probes in the best mode this kernel allows and serves\n"
    "/metrics (Prometheus), /healthz, /advice (ranked tunings) and a landing page.\n"
    "SIGTERM, SIGINT and SIGHUP detach every probe and exit 0 (SIGHUP does not reload:\n"
    "restart to change flags or the web config).\n\nflags:\n";

}  // namespace

int RunServe(std::span<const std::string_view> args) {
  cli::ServeOptions options;
  cli::FlagParser parser;
  cli::AddServeFlags(parser, options);
  if (auto exit_code = cli::ParseCommand(parser, args, "serve", kUsage)) return *exit_code;
  if (Status s = cli::ResolveServeOptions(options); !s.ok()) {
    std::cerr << "tunescope serve: " << s.error() << " (see tunescope serve --help)\n";
    return 2;
  }
  log::SetLevel(options.log_level);
  http::WebConfig web_config;
  if (!options.web_config_file.empty()) {
    if (Status s = http::LoadWebConfig(options.web_config_file, web_config); !s.ok()) {
      std::cerr << "tunescope serve: " << s.error() << "\n";
      return 2;
    }
  }
  // Missing or not BTF, given or the default: this host cannot run CO-RE probes with it, a
  // runtime error (1) like a busy port, named in one line before anything is loaded.
  if (Status s = CheckKernelBtf(options); !s.ok()) {
    std::cerr << "tunescope serve: " << s.error() << "\n";
    return 1;
  }
  sigset_t termination = BlockTerminationSignals();
  // SIGHUP's default action kills without detaching the windowed probes in order; a daemon
  // has no terminal to hang up, so it means stop, like SIGTERM.
  sigaddset(&termination, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &termination, nullptr);
  RouteLibbpfLogs();

  auto probe_set = cli::MakeProbeSet(options);
  // Until StopAll; what statistics add to each run is measured first, while they are off.
  if (options.bpf_stats) {
    if (Status s = probe_set->EnableProgramStats(); !s.ok()) TS_LOG(kWarn) << s.error();
  }
  if (options.probes.empty() && options.window.always() && !options.no_kernel_stats) {
    TS_LOG(kInfo) << "attached for good, the default set leaves out softirq's per-run programs: "
                     "tunescope_kernel_softirq_* carry softirq time and runs (name softirq in "
                     "--probes to attach it for good)";
  }
  auto limits = HttpLimitsForPidsLimit();
  if (!limits.ok()) {
    std::cerr << "tunescope serve: " << limits.error() << "\n";
    return 1;
  }
  http::HttpServer server(*limits);
  // LoadWebConfig refuses a file without users, so a given file always means a gate.
  if (!options.web_config_file.empty()) {
    server.SetGate(http::BasicAuthGate(
        std::make_shared<const http::BasicAuth>(std::move(web_config.basic_auth_users))));
  }
  advisor::AdviceService advice(advisor::SourcesFor(options, probe_set), probe_set);
  std::vector<std::shared_ptr<const prometheus::Collectable>> metric_sources{
      metrics::MakeSelfRegistry(), probe_set, advice.board()};
  // The always-on tier: what the kernel counts anyway, read at each scrape, no BPF.
  if (!options.no_kernel_stats) {
    const auto& pc = options.probe_config;
    metric_sources.push_back(kernelstats::MakeKernelStats(
        {{}, std::vector<int>(pc.target_pids.begin(), pc.target_pids.end()), pc.target_comms}));
  }
  // Attached for good, nothing is windowed and the budget has no window to shorten: the duty
  // is 1. A budget is what turns statistics on in the windows (ResolveServeOptions).
  const double budget = options.probe_config.stats_in_windows ? options.overhead_budget : 0;
  auto overhead = std::make_shared<probes::OverheadMetrics>(
      budget, options.window.always()
                  ? 1
                  : std::chrono::duration<double>(options.window.open).count() /
                        std::chrono::duration<double>(options.window.every).count());
  metric_sources.push_back(overhead);
  auto clock_read = std::make_shared<kernelstats::ClockRead>();
  metric_sources.push_back(clock_read);
  server.Handle(options.telemetry_path, http::MetricsHandler(std::move(metric_sources)));
  server.Handle("/advice", advice.Handler());
  server.Handle("/healthz", http::HealthHandler(probe_set));
  server.Handle("/", http::LandingPageHandler({{options.telemetry_path, "Prometheus metrics"},
                                               {"/healthz", "probe health"},
                                               {"/advice", "ranked tunings (JSON)"}}));
  RaiseOpenFileLimit();
  // Before listening: a scrape waits while the probes attach, but one that came in during this
  // measurement would see every probe down. Before the probes attach, so that their programs
  // do not run inside it; its test programs are gone when it returns.
  kernelstats::ClockReadCost clock = kernelstats::MeasureClockReadCost({});
  // Listen before loading any probe, so a busy port fails with nothing attached.
  if (Status s = server.Start(options.listen_address); !s.ok()) {
    std::cerr << "tunescope serve: " << s.error() << "\n";
    return 1;
  }
  kernelstats::LogClockReadCost(clock);
  clock_read->Set(std::move(clock));
  size_t up = probe_set->StartAll(options.probe_config);
  if (options.drop_capabilities) {
    if (Status s = caps::DropAllCapabilities(); !s.ok()) {
      std::cerr << "tunescope serve: " << s.error() << "\n";
      server.Stop();
      probe_set->StopAll();
      return 1;
    }
    TS_LOG(kInfo) << "dropped all capabilities after attaching";
  }
  probes::WindowScheduler windows(probe_set, options.window, advice.WindowHooks(),
                                  {budget, overhead});
  // The tunings are re-ranked over each attach window of the windowed probes, or every 30 s
  // over the window that just ended (docs/advisor.md, "In the daemon").
  if (probe_set->HasWindowed()) {
    advice.board()->SetInterval(std::chrono::duration<double>(options.window.every).count());
    windows.Start();
    TS_LOG(kInfo) << "windowed probes attach for "
                  << std::chrono::duration<double>(options.window.open).count() << " s of every "
                  << std::chrono::duration<double>(options.window.every).count() << " s"
                  << (options.overhead_budget > 0
                          ? ", shortened to stay within --overhead-budget=" +
                                std::to_string(options.overhead_budget) + " of one CPU"
                          : std::string());
  } else {
    overhead->NothingWindowed();
    constexpr std::chrono::seconds kAdvicePeriod{30};
    advice.board()->SetInterval(static_cast<double>(kAdvicePeriod.count()));
    advice.Start(kAdvicePeriod);
  }
  TS_LOG(kInfo) << "serving on " << options.listen_address << " with " << up << " probe(s) up";

  int signal = 0;
  sigwait(&termination, &signal);
  TS_LOG(kInfo) << "received "
                << (signal == SIGTERM  ? "SIGTERM"
                    : signal == SIGHUP ? "SIGHUP"
                                       : "SIGINT")
                << ", detaching";
  server.Stop();
  windows.Stop();
  advice.Stop();
  probe_set->StopAll();
  return 0;
}

}  // namespace tunescope
