#include "experiment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <vector>

#include "advisor/advisor.h"
#include "advisor/report.h"
#include "advisor/session.h"
#include "cli/serve_flags.h"
#include "core/log.h"
#include "host/net_devices.h"
#include "host/sysctl.h"
#include "runtime.h"

namespace tunescope {
namespace {

constexpr const char* kUsage =
    "usage: tunescope experiment --tuning ID --load \"CMD\" [--duration 20s] [--keep] --yes "
    "[flags]\n\n"
    "Runs CMD (your load generator, e.g. wrk) and measures a baseline, applies one reversible\n"
    "tuning, runs CMD again and measures, then restores the original setting (unless --keep;\n"
    "also on any error and on SIGINT/SIGTERM/SIGHUP). Prints the predicted payoff and the\n"
    "realized one: from \"Requests/sec:\" in CMD's output (wrk), or from CMD's run time when it\n"
    "finishes within the duration. Tunings that weaken security or cannot be reverted exactly\n"
    "are refused.\n\nflags:\n";

// One file setting (sysctl or sysfs), with the exact text to write back.
struct Setting {
  std::string what;  // "net.core.busy_read", "eth0 rx-0 rps_cpus"
  std::string path;
  std::string original;
  std::string target;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::optional<std::string> ReadText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return std::nullopt;
  return Trim(out);
}

Status WriteText(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(ErrnoMessage("open " + path, errno));
  std::string line = value + "\n";
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (n < 0) return Status::Error(ErrnoMessage("write \"" + value + "\" to " + path, err));
  return {};
}

Status Plan(const advisor::Tuning& t, const host::HostPaths& paths, int cpus,
            std::vector<Setting>& out) {
  if (t.experiment == advisor::ExperimentKind::kSysctl) {
    for (const advisor::SysctlSetting& s : t.sysctls) {
      auto path = host::sysctl_path(paths, s.name);
      if (!path.ok()) return Status::Error(path.error());
      auto original = ReadText(*path);
      if (!original) return Status::Error(ErrnoMessage("read " + *path, errno));
      out.push_back({std::string(s.name), *path, *original, std::string(s.value)});
    }
    return {};
  }
  if (t.experiment == advisor::ExperimentKind::kRpsMask) {
    auto devices = host::read_net_devices(paths);
    if (!devices.ok()) return Status::Error(devices.error());
    std::string mask = AllCpusMask(cpus);
    for (const host::NetDevice& d : *devices) {
      if (d.name == "lo" || d.rps_enabled()) continue;
      for (const host::QueueCpus& q : d.rps) {
        std::string path = paths.sys + "/class/net/" + d.name + "/queues/" + q.queue + "/rps_cpus";
        auto original = ReadText(path);
        if (!original) continue;  // some virtual devices have no rps_cpus
        out.push_back({d.name + " " + q.queue + " rps_cpus", path, *original, mask});
      }
    }
    if (out.empty()) return Status::Error("no device without RPS to try it on");
    return {};
  }
  return Status::Error("tuning " + std::string(t.id) + " has no automated experiment");
}

// Writes settings and writes the originals back, in reverse order, on Restore() or destruction.
class Applier {
 public:
  Applier() = default;
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;
  ~Applier() { (void)Restore(); }

  Status Apply(const Setting& s) {
    applied_.push_back(s);  // before writing: a partial write is restored too
    return WriteText(s.path, s.target);
  }
  Status Restore() {
    Status result;
    while (!applied_.empty()) {
      const Setting& s = applied_.back();
      if (Status st = WriteText(s.path, s.original); !st.ok()) {
        std::cerr << "tunescope experiment: could not restore " << s.what << ": " << st.message()
                  << " (restore it by hand: write \"" << s.original << "\" to " << s.path << ")\n";
        result = st;
      } else {
        std::cerr << "restored " << s.what << " = " << s.original << "\n";
      }
      applied_.pop_back();
    }
    return result;
  }
  void Keep() { applied_.clear(); }

 private:
  std::vector<Setting> applied_;
};

// The user's load command in its own process group, output captured.
class LoadRun {
 public:
  explicit LoadRun(const std::string& command) : start_(std::chrono::steady_clock::now()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    if (pid_ < 0) {
      ::close(fds[0]);
      return;
    }
    ::setpgid(pid_, pid_);
    fd_ = fds[0];
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;
  ~LoadRun() { Stop(); }

  bool started() const { return pid_ > 0; }
  // Reads output; true while the command runs.
  bool Poll() {
    Drain();
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      elapsed_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      exit_status_ = status;
      pid_ = -1;
      Drain();
      return false;
    }
    return true;
  }
  void Stop() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGTERM);
      for (int i = 0; i < 20 && Poll(); ++i) ::usleep(50000);
      if (pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
      }
    }
    Drain();
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  // Run time when it finished by itself with status 0.
  std::optional<double> finished_elapsed() const {
    if (elapsed_ && WIFEXITED(exit_status_) && WEXITSTATUS(exit_status_) == 0) return elapsed_;
    return std::nullopt;
  }
  const std::string& output() const { return output_; }

 private:
  void Drain() {
    if (fd_ < 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof(buf))) > 0) {
      output_.append(buf, static_cast<size_t>(n));
      if (output_.size() > (1 << 20)) output_.erase(0, output_.size() - (1 << 19));
    }
  }
  pid_t pid_ = -1;
  int fd_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::optional<double> elapsed_;
  int exit_status_ = 0;
  std::string output_;
};

struct Phase {
  advisor::Advice advice;
  const advisor::Prediction* prediction = nullptr;
  double seconds = 0;
  std::optional<double> load_elapsed;
  double requests_per_second = -1;
  int signal = 0;  // set when interrupted
  std::string error;
};

Phase Measure(const std::string& name, const std::string& load, double duration,
              const advisor::MeasureSources& sources, const probes::ProbeSet& probe_set,
              const sigset_t& signals, const advisor::Tuning& tuning) {
  Phase phase;
  std::cerr << name << ": running the load for up to " << duration << " s\n";
  LoadRun run(load);
  if (!run.started()) {
    phase.error = ErrnoMessage("start the load command", errno);
    return phase;
  }
  advisor::Window window(sources);
  while (window.Elapsed() < duration && run.Poll()) {
    timespec timeout{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig > 0) {
      phase.signal = sig;
      return phase;  // LoadRun's destructor stops the load
    }
  }
  phase.advice = advisor::Advise(window.Finish());
  advisor::NoteProbes(phase.advice, probe_set);
  phase.seconds = phase.advice.window_seconds;
  run.Stop();
  phase.load_elapsed = run.finished_elapsed();
  phase.requests_per_second = ParseRequestsPerSecond(run.output());
  for (const advisor::Prediction& p : phase.advice.ranked) {
    if (p.tuning == &tuning) phase.prediction = &p;
  }
  return phase;
}

std::string Percent(double r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.1f%%", r * 100);
  return buf;
}

void PrintPhase(const char* label, const Phase& p) {
  std::cout << label << " (" << static_cast<int>(p.seconds) << " s): ";
  if (p.prediction != nullptr) {
    std::cout << advisor::PayoffText(*p.prediction) << " - " << p.prediction->reason << "\n";
    for (const advisor::Number& n : p.prediction->numbers) {
      std::cout << "    " << n.name << " = " << n.value << (n.unit == "count" ? "" : " " + n.unit)
                << "\n";
    }
  } else {
    std::cout << "no prediction\n";
  }
  if (p.requests_per_second >= 0)
    std::cout << "    load Requests/sec = " << p.requests_per_second << "\n";
  if (p.load_elapsed) std::cout << "    load finished in " << *p.load_elapsed << " s\n";
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

std::string AllCpusMask(int n) {
  if (n <= 0) return "0";
  std::vector<uint32_t> groups(static_cast<size_t>((n + 31) / 32), 0);
  for (int c = 0; c < n; ++c) groups[static_cast<size_t>(c / 32)] |= 1u << (c % 32);
  std::string out;
  for (size_t i = groups.size(); i-- > 0;) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), i + 1 == groups.size() ? "%x" : "%08x", groups[i]);
    out += (out.empty() ? "" : ",") + std::string(buf);
  }
  return out;
}

int RunExperiment(std::span<const std::string_view> args) {
  cli::ServeOptions options;
  std::string tuning_id, load;
  double duration = 20;
  bool keep = false, yes = false;
  cli::FlagParser parser;
  parser.Add("tuning", "ID", "the catalogue id of the tuning to try (see tunescope advise)",
             [&tuning_id](std::string_view v) {
               if (advisor::FindTuning(v) == nullptr) {
                 return Status::Error("flag --tuning: unknown tuning \"" + std::string(v) + "\"");
               }
               tuning_id = std::string(v);
               return Status();
             });
  parser.Add("load", "CMD", "shell command that loads the server (e.g. wrk ...)",
             [&load](std::string_view v) {
               if (v.empty()) return Status::Error("flag --load: empty command");
               load = std::string(v);
               return Status();
             });
  parser.Add("duration", "DURATION", "how long each phase measures (default 20s)",
             [&duration](std::string_view v) {
               return cli::ParseDurationSeconds("duration", v, duration);
             });
  parser.AddSwitch("keep", "keep the tuning applied afterwards", &keep);
  parser.AddSwitch("yes", "confirm that the experiment may change kernel settings", &yes);
  cli::AddProbeFlags(parser, options);
  if (auto exit_code = cli::ParseCommand(parser, args, "experiment", kUsage)) return *exit_code;
  if (tuning_id.empty() || load.empty()) {
    std::cerr << "tunescope experiment: --tuning and --load are required (see tunescope "
                 "experiment --help)\n";
    return 2;
  }
  const advisor::Tuning& tuning = *advisor::FindTuning(tuning_id);
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
  if (!yes) {
    std::cerr << "tunescope experiment: refusing without --yes: this changes kernel settings ("
              << tuning.apply << ") for the duration of the experiment\n";
    return 2;
  }
  log::SetLevel(options.log_level);
  // Every thread started from here on inherits the blocked set; the main thread takes the
  // signals with sigtimedwait and restores before exiting.
  sigset_t signals = BlockTerminationSignals();
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  RouteLibbpfLogs();

  host::HostPaths paths;
  std::vector<Setting> settings;
  if (Status s = Plan(tuning, paths, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)), settings);
      !s.ok()) {
    std::cerr << "tunescope experiment: " << s.message() << "\n";
    return 1;
  }
  bool all_set = true;
  for (const Setting& s : settings) all_set &= s.original == s.target;
  if (all_set) {
    std::cout << tuning.id << " is already applied here; nothing to try\n";
    return 0;
  }

  std::string warning;
  auto probe_set = advisor::StartProbes(options, warning);
  if (!warning.empty()) std::cerr << "tunescope experiment: " << warning << "\n";
  advisor::MeasureSources sources = advisor::SourcesFor(options, probe_set);

  std::cout << "experiment " << tuning.id << ": " << tuning.title << " (" << tuning.source << ")\n";
  Phase before = Measure("baseline", load, duration, sources, *probe_set, signals, tuning);
  if (before.signal != 0 || !before.error.empty()) {
    std::cerr << "tunescope experiment: "
              << (before.signal != 0 ? "interrupted during the baseline; nothing was changed"
                                     : before.error)
              << "\n";
    probe_set->StopAll();
    return before.signal != 0 ? 130 : 1;
  }

  int exit_code = 0;
  {
    Applier applier;
    for (const Setting& s : settings) {
      std::cerr << "applying " << s.what << ": " << s.original << " -> " << s.target << "\n";
      if (Status st = applier.Apply(s); !st.ok()) {
        std::cerr << "tunescope experiment: " << st.message() << "\n";
        probe_set->StopAll();
        return 1;  // the applier restores what it wrote
      }
    }
    Phase after = Measure("tuned", load, duration, sources, *probe_set, signals, tuning);
    if (after.signal != 0 || !after.error.empty()) {
      std::cerr << "tunescope experiment: "
                << (after.signal != 0 ? std::string("interrupted by ") + strsignal(after.signal)
                                      : after.error)
                << "; restoring\n";
      (void)applier.Restore();
      probe_set->StopAll();
      return after.signal != 0 ? 130 : 1;
    }
    probe_set->StopAll();

    for (const Setting& s : settings) {
      std::cout << "  setting " << s.what << ": " << s.original << " -> " << s.target << "\n";
    }
    PrintPhase("before", before);
    PrintPhase("after ", after);
    if (before.prediction != nullptr) {
      std::cout << "predicted: " << advisor::PayoffText(*before.prediction) << "\n";
    }
    if (before.requests_per_second > 0 && after.requests_per_second >= 0) {
      std::cout << "realized:  "
                << Percent(after.requests_per_second / before.requests_per_second - 1)
                << " req/s (Requests/sec " << before.requests_per_second << " -> "
                << after.requests_per_second << ")\n";
    } else if (before.load_elapsed && after.load_elapsed && *after.load_elapsed > 0) {
      std::cout << "realized:  " << Percent(*before.load_elapsed / *after.load_elapsed - 1)
                << " throughput (the load finished in " << *before.load_elapsed << " s, then "
                << *after.load_elapsed << " s)\n";
    } else {
      std::cout << "realized:  not measurable: the load printed no \"Requests/sec:\" and did not "
                   "finish within the duration\n";
    }
    if (keep) {
      applier.Keep();
      std::cout << "kept; to revert: " << tuning.revert << "\n";
    } else if (Status s = applier.Restore(); !s.ok()) {
      exit_code = 1;
    } else {
      std::cout << "reverted to the original setting\n";
    }
  }
  return exit_code;
}

}  // namespace tunescope
