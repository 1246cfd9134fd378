#include "experiment.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "advise_session.h"
#include "advisor/advisor.h"
#include "cli/experiment_flags.h"
#include "core/log.h"
#include "experiment_html.h"
#include "experiment_load.h"
#include "experiment_report.h"
#include "experiment_rounds.h"
#include "experiment_settings.h"
#include "host/cpu_accounting.h"
#include "host/netns.h"
#include "host/sysctl.h"
#include "html_file.h"
#include "runtime.h"

namespace tunescope {
namespace {

using experiment::Variant;

constexpr const char* kUsage =
    "usage: tunescope experiment --tuning ID --load \"CMD\" [--duration 20s] [--rounds 3]\n"
    "       [--round-duration D] [--target-pid PID|--target-comm NAME] [--keep] [--json] "
    "[--html FILE] --yes [flags]\n\n"
    "Checks the advisor's prediction for one reversible tuning under your load command CMD\n"
    "(e.g. wrk; give it a run time at least as long as a round):\n"
    "  1. predicts: runs CMD for --duration with the probes attached and the original settings;\n"
    "  2. stops the probes, so that their cost is not measured as the server's, and runs CMD in\n"
    "     --rounds pairs of rounds of --round-duration each, A (original) and B (tuned)\n"
    "     alternating as A B, B A, A B, ..., applying and restoring the setting in between;\n"
    "  3. prints each round (req/s, server CPU per request, busy share of the server's CPUs) and\n"
    "     the predicted beside the realized payoff (req/s B / A - 1) and removed CPU per\n"
    "     request (1 - CPU/req B / A), each the median over neighbouring pairs joined so that\n"
    "     the host's drift cancels, with their range over the pairs.\n"
    "req/s comes from \"Requests/sec:\" in CMD's output (wrk; a round ends with SIGINT, on which\n"
    "wrk prints it), or else from CMD's run time when it finishes within a round. The server's\n"
    "CPUs are those its threads ran on (--target-pid/--target-comm), else all CPUs. The original\n"
    "setting is restored at the end (unless --keep), on any error and on SIGINT/SIGTERM/SIGHUP.\n"
    "Tunings that weaken security or cannot be reverted exactly are refused.\n\nflags:\n";

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", s);
  return buf;
}

// The CPUs a round's busy time is summed over, and why those.
struct ServerCpus {
  std::vector<int> cpus;
  std::string basis;
};

// Per-CPU ticks, or none when /proc/stat cannot be read (the round then has no CPU figures).
host::CpuTicksTable ReadTicks(const host::HostPaths& paths) {
  auto ticks = host::ReadCpuTicks(paths);
  return ticks ? *ticks : host::CpuTicksTable{};
}

double TicksToSeconds(std::uint64_t ticks) {
  return static_cast<double>(ticks) / static_cast<double>(host::ClockTicksPerSecond());
}

ServerCpus ChooseServerCpus(const advisor::MeasureSources& sources, const std::set<int>& seen,
                            const advisor::Tuning& tuning) {
  bool has_target = !sources.target_pids.empty() || !sources.target_comms.empty();
  // An RPS mask moves receive work onto CPUs the server may not run on: counted on the
  // server's CPUs alone, work moved away would look removed.
  const bool moves_work = tuning.experiment == advisor::ExperimentKind::kRpsMask;
  if (has_target && !seen.empty() && !moves_work) {
    return {{seen.begin(), seen.end()}, "the CPUs the target's threads ran on while predicting"};
  }
  ServerCpus all;
  for (const auto& [cpu, ticks] : ReadTicks(sources.paths)) {
    all.cpus.push_back(cpu);
  }
  all.basis = moves_work   ? "the tuning moves receive work between CPUs: all CPUs"
              : has_target ? "the target was not found: all CPUs"
                           : "no --target-pid or --target-comm given: all CPUs";
  return all;
}

// The CPU counters a round is measured with, read at its start and at its end.
struct CpuReads {
  host::CpuTicksTable ticks;  // per CPU
  // utime+stime of each of the target's threads, by tid; nullopt without a target
  std::optional<std::map<int, double>> target_threads;

  static CpuReads Now(const advisor::MeasureSources& sources) {
    CpuReads r;
    if (!sources.target_pids.empty() || !sources.target_comms.empty()) {
      auto threads = host::ReadThreads(sources.paths, sources.target_pids, sources.target_comms);
      if (!threads.empty()) r.target_threads.emplace();
      for (const host::ThreadAccounting& t : threads) (*r.target_threads)[t.tid] = t.cpu_seconds;
    }
    r.ticks = ReadTicks(sources.paths);
    return r;
  }
};

// The target's CPU time between two reads, thread by thread: a thread that started meanwhile
// counts from 0; one that exited counts nothing (its lifetime would otherwise leave the sum).
std::optional<double> TargetSeconds(const CpuReads& before, const CpuReads& after) {
  if (!before.target_threads || !after.target_threads) return std::nullopt;
  double seconds = 0;
  for (const auto& [tid, end] : *after.target_threads) {
    auto start = before.target_threads->find(tid);
    seconds += std::max(0.0, end - (start == before.target_threads->end() ? 0.0 : start->second));
  }
  return seconds;
}

// Fills the CPU fields of `m` from the reads at its start and end: busy time summed over the
// server's CPUs, the target's own CPU time, and the time other tasks took on those CPUs.
void FillCpu(experiment::RoundMeasure& m, const CpuReads& before, const CpuReads& after,
             const ServerCpus& server) {
  m.target_cpu_seconds = TargetSeconds(before, after);
  if (before.ticks.empty() || after.ticks.empty()) return;  // /proc/stat unreadable: no figures
  std::uint64_t busy = 0, tasks = 0;
  for (int c : server.cpus) {
    auto b = before.ticks.find(c), a = after.ticks.find(c);
    if (b == before.ticks.end() || a == after.ticks.end()) continue;
    if (a->second.busy() >= b->second.busy()) busy += a->second.busy() - b->second.busy();
    if (a->second.tasks() >= b->second.tasks()) tasks += a->second.tasks() - b->second.tasks();
  }
  m.server_cpus = static_cast<int>(server.cpus.size());
  m.server_busy_seconds = TicksToSeconds(busy);
  if (m.target_cpu_seconds) {
    // Task time on the server's CPUs that was not the target's: builds, the load generator
    // when it shares them, other servers. Softirq time is the server's kernel work: not counted.
    m.others_seconds = std::max(0.0, TicksToSeconds(tasks) - *m.target_cpu_seconds);
  }
}

std::string LoadFailure(const experiment::LoadResult& r) {
  int status = *r.failed_status;
  std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : std::string("was killed by ") + strsignal(WTERMSIG(status));
  return "the load command " + how + (r.last_line.empty() ? "" : ": " + r.last_line);
}

// One round: the load for `seconds` under the current setting, measured on `server`.
struct RoundOutcome {
  experiment::RoundMeasure measure;
  bool by_run_time = false;  // the rate is load runs per second
  int signal = 0;
  std::string error;
};

RoundOutcome RunRound(int round, Variant variant, const std::string& load, double seconds,
                      const advisor::MeasureSources& sources, const ServerCpus& server,
                      const sigset_t& signals) {
  RoundOutcome out;
  out.measure.round = round;
  out.measure.variant = variant;
  CpuReads before, after;
  experiment::LoadHooks hooks;
  hooks.started = [&] { before = CpuReads::Now(sources); };
  hooks.ended = [&] { after = CpuReads::Now(sources); };
  experiment::LoadResult r = experiment::RunLoad(load, seconds, signals, hooks);
  if (r.signal != 0) {
    out.signal = r.signal;
    return out;
  }
  if (!r.error.empty() || (r.failed_status && !r.rate)) {
    out.error = !r.error.empty() ? r.error : LoadFailure(r);
    return out;
  }
  experiment::RoundMeasure& m = out.measure;
  m.seconds = r.seconds;
  m.rate = r.rate;
  if (!m.rate && r.finished && r.seconds > 0) {
    m.rate = 1 / r.seconds;
    out.by_run_time = true;
  }
  FillCpu(m, before, after, server);
  return out;
}

// A signal of `signals` already pending, taken; 0 when none.
int PendingSignal(const sigset_t& signals) {
  timespec now{0, 0};
  int sig = sigtimedwait(&signals, nullptr, &now);
  return sig > 0 ? sig : 0;
}

Status ApplyAll(experiment::Applier& applier, const std::vector<experiment::Setting>& settings) {
  for (const experiment::Setting& s : settings) {
    // On stderr before the write: if tunescope is SIGKILLed, this says what to write back.
    std::cerr << "applying " << s.what << ": " << s.original << " -> " << s.target << "\n";
    if (Status st = applier.Apply(s); !st.ok()) return st;
  }
  return {};
}

}  // namespace

double ParseRequestsPerSecond(std::string_view output) {
  constexpr std::string_view kKey = "Requests/sec:";
  auto at = output.rfind(kKey);
  if (at == std::string_view::npos) return -1;
  std::string rest(output.substr(at + kKey.size(), 64));
  char* end = nullptr;
  double v = std::strtod(rest.c_str(), &end);
  if (end == rest.c_str() || !std::isfinite(v) || v < 0) return -1;
  return v;
}

int RunExperiment(std::span<const std::string_view> args) {
  cli::ExperimentOptions options;
  cli::FlagParser parser;
  cli::AddExperimentFlags(parser, options);
  if (auto exit_code = cli::ParseCommand(parser, args, "experiment", kUsage)) return *exit_code;
  if (options.tuning_id.empty() || options.load.empty()) {
    std::cerr << "tunescope experiment: --tuning and --load are required (see tunescope "
                 "experiment --help)\n";
    return 2;
  }
  const advisor::Tuning& tuning = *advisor::FindTuning(options.tuning_id);
  if (tuning.weakens_security) {
    std::cerr << "tunescope experiment: refusing " << tuning.id
              << ": it weakens security and is never applied automatically (" << tuning.risk
              << ")\n";
    return 2;
  }
  if (!advisor::Experimentable(tuning)) {
    std::cerr << "tunescope experiment: refusing " << tuning.id
              << ": not a setting tunescope can apply and restore exactly; apply by hand: "
              << tuning.apply << "\n";
    return 2;
  }
  if (!options.yes) {
    std::cerr << "tunescope experiment: refusing without --yes: this changes kernel settings ("
              << tuning.apply << ") for the duration of the experiment\n";
    return 2;
  }
  // A server in a container has its own somaxconn, net.ipv4.*: the setting would change
  // tunescope's own namespace's and measure nothing. (Host-wide sysctls and RPS masks are
  // the host's either way.)
  const advisor::MeasureSources target = advisor::SourcesFor(options, nullptr);
  const bool per_netns = std::any_of(tuning.sysctls.begin(), tuning.sysctls.end(),
                                     [](const auto& s) { return host::PerNetnsSysctl(s.name); });
  if (auto pid = host::FirstTargetPid(target.paths, target.target_pids, target.target_comms);
      pid && per_netns) {
    if (auto ns = host::ReadTargetNetns(host::HostPaths{}, *pid); ns && ns->other) {
      std::cerr << "tunescope experiment: refusing: the target (pid " << *pid
                << ") runs in another network namespace (" << ns->id
                << "), whose settings are its own; run tunescope there: nsenter --net=/proc/"
                << *pid << "/ns/net tunescope experiment ...\n";
      return 2;
    }
  }
  // Before any probe attaches or any setting changes: a report that cannot be written is a
  // usage error.
  HtmlFile html;
  if (!options.html_path.empty()) {
    if (Status s = html.Open(options.html_path); !s.ok()) {
      std::cerr << "tunescope experiment: " << s.error() << "\n";
      return 2;
    }
  }
  double round_seconds = options.round_duration.value_or(options.duration);
  log::SetLevel(options.log_level);
  // Every thread started from here on inherits the blocked set; the main thread takes the
  // signals with sigtimedwait and restores before exiting.
  sigset_t signals = BlockTerminationSignals();
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Blocked, not taken: a closed stdout or stderr (`| tee` gone after Ctrl-C) must fail the
  // write, not kill tunescope before it restores. The load's child unblocks it.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  RouteLibbpfLogs();

  experiment::Report report;
  report.tuning = &tuning;
  report.round_seconds = round_seconds;
  host::HostPaths paths;
  if (Status s = experiment::Plan(tuning, paths, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)),
                                  report.settings);
      !s.ok()) {
    std::cerr << "tunescope experiment: " << s.error() << "\n";
    return 1;
  }
  bool all_set = true;
  for (const experiment::Setting& s : report.settings) all_set &= s.original == s.target;
  if (all_set) {
    std::cout << tuning.id << " is already applied here; nothing to try\n";
    return 0;
  }

  std::string warning;
  auto probe_set = advisor::StartProbes(options, warning);
  if (!warning.empty()) std::cerr << "tunescope experiment: " << warning << "\n";
  advisor::MeasureSources sources = advisor::SourcesFor(options, probe_set);

  // 1. The prediction: one advisor window under the load, original settings, probes attached.
  std::cerr << "predicting: running the load for up to " << Seconds(options.duration)
            << " with the probes attached; then " << options.pairs << " pairs of rounds of "
            << Seconds(round_seconds) << " without them\n";
  std::optional<advisor::Window> window;
  std::optional<advisor::Window::End> window_end;
  CpuReads before, after;  // the same measures as a round's, with the probes' cost in them
  experiment::LoadHooks hooks;
  hooks.started = [&] {
    window.emplace(sources);
    before = CpuReads::Now(sources);
  };
  hooks.tick = [&] {  // halves, as advise splits them, for the confidence
    if (!window->half_marked() && window->Elapsed() >= options.duration / 2) window->MarkHalf();
  };
  hooks.ended = [&] {
    window_end = window->Stop();
    after = CpuReads::Now(sources);
  };
  experiment::LoadResult predicted =
      experiment::RunLoad(options.load, options.duration, signals, hooks);
  if (predicted.signal != 0 || !predicted.error.empty() ||
      (predicted.failed_status && !predicted.rate)) {
    std::cerr << "tunescope experiment: "
              << (predicted.signal != 0     ? "interrupted while predicting; nothing was changed"
                  : predicted.error.empty() ? LoadFailure(predicted)
                                            : predicted.error)
              << "\n";
    probe_set->StopAll();
    return predicted.signal != 0 ? 130 : 1;
  }
  advisor::Evidence evidence = window->Finish(*window_end);
  // Where the target's busy threads ran while predicting (idle threads, e.g. nginx's master,
  // say nothing about where the work runs).
  const std::set<int> target_cpus(evidence.cpu().target_cpus.begin(),
                                  evidence.cpu().target_cpus.end());
  advisor::Advice advice = advisor::Advise(evidence);
  advisor::NoteProbes(advice, *probe_set);
  const advisor::html::Figures figures = advisor::html::FiguresOf(evidence);
  // 2. The prediction is made: from here on the probes' per-event cost would be counted as
  // the server's, so none stays attached.
  probe_set->StopAll();
  report.prediction_seconds = advice.window_seconds;
  report.probes_up = advice.probes_up;
  report.probes_down = advice.probes_down;
  for (const advisor::Prediction& p : advice.ranked) {
    if (p.tuning == &tuning) report.prediction = p;
  }
  ServerCpus server = ChooseServerCpus(sources, target_cpus, tuning);
  report.server_cpus = server.cpus;
  report.server_cpus_basis = server.basis;
  report.while_predicting.seconds = predicted.seconds;
  report.while_predicting.rate = predicted.rate;
  if (!predicted.rate && predicted.finished && predicted.seconds > 0) {
    report.while_predicting.rate = 1 / predicted.seconds;
  }
  FillCpu(report.while_predicting, before, after, server);

  std::vector<Variant> order = experiment::RoundOrder(static_cast<int>(options.pairs));
  bool any_wrk_rate = false, any_run_time = false;
  experiment::Applier applier;
  // A signal that came while no load ran (a load being stopped, a setting being written) is
  // taken before the next round starts and after the last.
  auto interrupted = [&](const std::string& when) {
    int sig = PendingSignal(signals);
    if (sig == 0) return false;
    std::cerr << "tunescope experiment: interrupted by " << strsignal(sig) << " " << when
              << "; restoring\n";
    (void)applier.Restore();
    return true;
  };
  for (size_t i = 0; i < order.size(); ++i) {
    Variant v = order[i];
    if (interrupted("before round " + std::to_string(i + 1))) return 130;
    if (v == Variant::kTuned && !applier.applied()) {
      if (Status st = ApplyAll(applier, report.settings); !st.ok()) {
        std::cerr << "tunescope experiment: " << st.error() << "\n";
        return 1;  // the applier restores what it wrote
      }
    } else if (v == Variant::kOriginal && applier.applied()) {
      if (Status st = applier.Restore(); !st.ok()) return 1;
    }
    std::cerr << "round " << i + 1 << "/" << order.size() << " " << experiment::Letter(v) << " ("
              << experiment::Name(v) << "): running the load for up to " << Seconds(round_seconds)
              << "\n";
    RoundOutcome round =
        RunRound(static_cast<int>(i + 1), v, options.load, round_seconds, sources, server, signals);
    if (round.signal != 0 || !round.error.empty()) {
      std::cerr << "tunescope experiment: "
                << (round.signal != 0 ? std::string("interrupted by ") + strsignal(round.signal)
                                      : round.error)
                << " in round " << i + 1 << "; restoring\n";
      (void)applier.Restore();
      return round.signal != 0 ? 130 : 1;
    }
    (round.by_run_time ? any_run_time : any_wrk_rate) |= round.measure.rate.has_value();
    report.rounds.push_back(round.measure);
  }
  if (interrupted("after the last round")) return 130;
  if (any_run_time && !any_wrk_rate) report.rate_unit = "runs/s";
  report.realized = experiment::Summarize(report.rounds);

  int exit_code = 0;
  if (options.keep) {
    if (!applier.applied()) {
      if (Status st = ApplyAll(applier, report.settings); !st.ok()) {
        std::cerr << "tunescope experiment: " << st.error() << "\n";
        return 1;
      }
    }
    applier.Keep();
    report.outcome = "kept";
  } else if (Status s = applier.Restore(); !s.ok()) {
    report.outcome = "restore failed";
    exit_code = 1;
  } else {
    report.outcome = "reverted";
  }
  if (options.json) {
    std::cout << experiment::JsonReport(report);
  } else {
    std::cout << experiment::TextReport(report);
    if (options.keep) {
      for (const experiment::Setting& s : report.settings) {
        std::cout << "kept " << s.what << " = " << s.target << "; to revert: echo " << s.original
                  << " > " << s.path << "\n";
      }
    } else if (exit_code == 0) {
      std::cout << "reverted to the original setting\n";
    }
  }
  if (html.is_open()) {
    if (Status s = html.Write(experiment::HtmlReport(report, figures)); !s.ok()) {
      std::cerr << "tunescope experiment: " << s.error() << "\n";
      return 1;
    }
    std::cerr << "tunescope experiment: wrote " << html.path() << "\n";
  }
  return exit_code;
}

}  // namespace tunescope
