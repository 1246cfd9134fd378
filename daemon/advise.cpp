#include "advise.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <iostream>

#include "advise_session.h"
#include "advisor/advisor.h"
#include "advisor/html_report.h"
#include "advisor/report.h"
#include "cli/advise_flags.h"
#include "core/log.h"
#include "host/cpu_accounting.h"
#include "host/snmp.h"
#include "host/text.h"
#include "html_file.h"
#include "runtime.h"

namespace tunescope {
namespace {

constexpr const char* kUsage =
    "usage: tunescope advise [--duration 30s] [--target-pid PID|--target-comm NAME] "
    "[--target-port PORT] [--json] [--html FILE] [flags]\n\n"
    "Measures this host for the duration (under its usual load), then ranks the documented\n"
    "tunings by the payoff the measurements predict, with evidence, commands, risk and source.\n"
    "Before the probes attach, a quarter of the duration (at most 2 s) counts listen-queue\n"
    "drops with nothing attached.\n"
    "Run it as root while the server is busy.\n\nflags:\n";

// Progress on stderr: a redrawn bar on a terminal, a plain line every 5 s otherwise.
class Progress {
 public:
  explicit Progress(double total) : total_(total), tty_(::isatty(STDERR_FILENO) == 1) {}
  void Update(double done) {
    if (tty_) {
      constexpr int kWidth = 30;
      int filled = static_cast<int>(kWidth * std::min(1.0, done / total_));
      std::cerr << "\rmeasuring [" << std::string(static_cast<size_t>(filled), '#')
                << std::string(static_cast<size_t>(kWidth - filled), ' ') << "] "
                << static_cast<int>(done) << "/" << static_cast<int>(total_) << " s" << std::flush;
    } else if (done >= next_line_) {
      std::cerr << "measuring: " << static_cast<int>(done) << "/" << static_cast<int>(total_)
                << " s\n";
      next_line_ += 5;
    }
  }
  void Done() {
    if (tty_) std::cerr << "\r" << std::string(60, ' ') << "\r" << std::flush;
  }

 private:
  double total_;
  bool tty_;
  double next_line_ = 0;
};

// Waits up to `seconds`; the terminating signal caught, or 0.
int WaitFor(const sigset_t& signals, double seconds) {
  timespec timeout{static_cast<time_t>(seconds),
                   static_cast<long>((seconds - std::floor(seconds)) * 1e9)};
  int sig = sigtimedwait(&signals, nullptr, &timeout);
  return sig == SIGINT || sig == SIGTERM ? sig : 0;
}

// Listen-queue drops follow the server's accept pace, which the probes slow: they are counted
// first, with nothing attached.
// `paths` are the target's namespace's; `own` the daemon's, whose counters are read too
// whenever a target names its own (/proc/PID/net, the same namespace or not): a containerised
// server's local clients count their side there, and the rule uses them only then.
std::optional<advisor::Evidence::UnprobedTcp> CountUnprobed(const host::HostPaths& paths,
                                                            const host::HostPaths& own,
                                                            const sigset_t& signals,
                                                            double seconds) {
  advisor::Evidence::UnprobedTcp out;
  const bool elsewhere = paths.Net() != own.Net();
  out.before = host::ReadTcpCounters(paths);
  if (elsewhere) out.own_before = host::ReadTcpCounters(own);
  auto start = std::chrono::steady_clock::now();
  if (WaitFor(signals, seconds) != 0) return std::nullopt;
  out.after = host::ReadTcpCounters(paths);
  if (elsewhere) out.own_after = host::ReadTcpCounters(own);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace

int RunAdvise(std::span<const std::string_view> args) {
  cli::AdviseOptions options;
  cli::FlagParser parser;
  cli::AddAdviseFlags(parser, options);
  if (auto exit_code = cli::ParseCommand(parser, args, "advise", kUsage)) return *exit_code;
  // Before anything attaches: a report that cannot be written is a usage error.
  HtmlFile html;
  if (!options.html_path.empty()) {
    if (Status s = html.Open(options.html_path); !s.ok()) {
      std::cerr << "tunescope advise: " << s.error() << "\n";
      return 2;
    }
  }
  log::SetLevel(options.log_level);
  sigset_t termination = BlockTerminationSignals();
  RouteLibbpfLogs();

  // In the target's network namespace: a containerised server's drops are counted there.
  const advisor::MeasureSources target = advisor::SourcesFor(options, nullptr);
  auto target_net = host::TargetNetPaths(target.paths, target.target_pids, target.target_comms);
  const host::HostPaths net_paths = target_net ? *target_net : target.paths;
  auto unprobed =
      CountUnprobed(net_paths, target.paths, termination, std::min(2.0, options.duration / 4));
  if (!unprobed) {
    std::cerr << "tunescope advise: interrupted before the probes attached\n";
    return 130;
  }
  std::string warning;
  auto probe_set = advisor::StartProbes(options, warning);
  if (!warning.empty()) std::cerr << "tunescope advise: " << warning << "\n";
  advisor::MeasureSources sources = advisor::SourcesFor(options, probe_set);
  advisor::Window window(sources);
  // tunescope's own threads (map reads, ring buffers) would otherwise queue the server on its
  // CPUs, and the run-queue waits would count against the server's placement.
  if (auto cpus = window.TargetCpusAtStart(); !cpus.empty()) {
    if (auto left = host::KeepOwnThreadsOff(cpus); left.ok()) {
      log::Write(log::Level::kDebug, "advise: own threads kept on CPU " +
                                         host::FormatCpuList(*left) + ", off the target's CPU " +
                                         host::FormatCpuList(cpus));
    }
  }

  Progress progress(options.duration);
  bool interrupted = false;
  while (window.Elapsed() < options.duration) {
    progress.Update(window.Elapsed());
    if (!window.half_marked() && window.Elapsed() >= options.duration / 2) window.MarkHalf();
    if (WaitFor(termination, std::min(options.duration - window.Elapsed(), 0.5)) != 0) {
      interrupted = true;
      break;
    }
  }
  progress.Done();
  if (interrupted) {
    // Rounded as the report's header rounds its window.
    char measured[32];
    std::snprintf(measured, sizeof(measured), "%.0f", window.Elapsed());
    std::cerr << "tunescope advise: interrupted; reporting on the " << measured << " s measured\n";
  }
  advisor::Evidence evidence = window.Finish();
  evidence.SetUnprobedTcp(*unprobed);
  advisor::Advice advice = advisor::Advise(evidence);
  advisor::NoteProbes(advice, *probe_set);
  probe_set->StopAll();
  std::cout << (options.json ? advisor::JsonReport(advice) : advisor::TextReport(advice));
  if (html.is_open()) {
    if (Status s =
            html.Write(advisor::html::HtmlReport(advice, advisor::html::FiguresOf(evidence)));
        !s.ok()) {
      std::cerr << "tunescope advise: " << s.error() << "\n";
      return 1;
    }
    std::cerr << "tunescope advise: wrote " << html.path() << "\n";
  }
  return interrupted ? 130 : 0;
}

}  // namespace tunescope
