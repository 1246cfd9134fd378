#include "advise.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <ctime>
#include <iostream>

#include "advisor/advisor.h"
#include "advisor/html_report.h"
#include "advisor/report.h"
#include "advisor/session.h"
#include "cli/serve_flags.h"
#include "core/log.h"
#include "html_file.h"
#include "runtime.h"

namespace tunescope {
namespace {

constexpr const char* kUsage =
    "usage: tunescope advise [--duration 30s] [--target-pid PID|--target-comm NAME] "
    "[--target-port PORT] [--json] [--html FILE] [flags]\n\n"
    "Measures this host for the duration (under its usual load), then ranks the documented\n"
    "tunings by the payoff the measurements predict, with evidence, commands, risk and source.\n"
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

}  // namespace

int RunAdvise(std::span<const std::string_view> args) {
  cli::ServeOptions options;
  double duration = 30;
  bool json = false;
  cli::FlagParser parser;
  parser.Add("duration", "DURATION", "how long to measure (default 30s)",
             [&duration](std::string_view v) {
               return cli::ParseDurationSeconds("duration", v, duration);
             });
  parser.AddSwitch("json", "print the report as JSON", &json);
  std::string html_path;
  parser.Add("html", "FILE",
             "also write the report as one self-contained HTML page with charts to FILE",
             [&html_path](std::string_view v) {
               if (Status s = CheckHtmlPath(v); !s.ok()) return s;
               html_path = std::string(v);
               return Status();
             });
  cli::AddProbeFlags(parser, options);
  if (auto exit_code = cli::ParseCommand(parser, args, "advise", kUsage)) return *exit_code;
  // Before anything attaches: a report that cannot be written is a usage error.
  HtmlFile html;
  if (!html_path.empty()) {
    if (Status s = html.Open(html_path); !s.ok()) {
      std::cerr << "tunescope advise: " << s.message() << "\n";
      return 2;
    }
  }
  log::SetLevel(options.log_level);
  sigset_t termination = BlockTerminationSignals();
  RouteLibbpfLogs();

  std::string warning;
  auto probe_set = advisor::StartProbes(options, warning);
  if (!warning.empty()) std::cerr << "tunescope advise: " << warning << "\n";
  advisor::MeasureSources sources = advisor::SourcesFor(options, probe_set);
  advisor::Window window(sources);

  Progress progress(duration);
  bool interrupted = false;
  while (window.Elapsed() < duration) {
    progress.Update(window.Elapsed());
    if (!window.half_marked() && window.Elapsed() >= duration / 2) window.MarkHalf();
    double left = duration - window.Elapsed();
    double step = std::min(left, 0.5);
    timespec timeout{static_cast<time_t>(step), static_cast<long>((step - std::floor(step)) * 1e9)};
    int sig = sigtimedwait(&termination, nullptr, &timeout);
    if (sig == SIGINT || sig == SIGTERM) {
      interrupted = true;
      break;
    }
  }
  progress.Done();
  if (interrupted) {
    std::cerr << "tunescope advise: interrupted; reporting on the "
              << static_cast<int>(window.Elapsed()) << " s measured\n";
  }
  advisor::Evidence evidence = window.Finish();
  advisor::Advice advice = advisor::Advise(evidence);
  advisor::NoteProbes(advice, *probe_set);
  probe_set->StopAll();
  std::cout << (json ? advisor::JsonReport(advice) : advisor::TextReport(advice));
  if (html.is_open()) {
    if (Status s =
            html.Write(advisor::html::HtmlReport(advice, advisor::html::FiguresOf(evidence)));
        !s.ok()) {
      std::cerr << "tunescope advise: " << s.message() << "\n";
      return 1;
    }
    std::cerr << "tunescope advise: wrote " << html.path() << "\n";
  }
  return interrupted ? 130 : 0;
}

}  // namespace tunescope
