#include "runtime.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "core/log.h"
#include "host/pids_limit.h"

namespace tunescope {
namespace {

int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (!log::Enabled(log::Level::kDebug)) return 0;
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0) return n;
  // Verifier logs arrive as one message of many lines; keep all of them, one log line each.
  std::string text(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.resize(static_cast<size_t>(n));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) {
      TS_LOG(kDebug) << "libbpf(" << static_cast<int>(level)
                     << "): " << text.substr(start, end - start);
    }
    start = end + 1;
  }
  return n;
}

}  // namespace

void RouteLibbpfLogs() {
  libbpf_set_print(LibbpfPrint);
}

Status CheckKernelBtf(const cli::ProbeOptions& options) {
  std::string path =
      options.btf_path_given ? options.probe_config.btf_path : std::string(cli::kDefaultBtfPath);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::Error(ErrnoMessage("kernel BTF " + path, errno) +
                         " (CO-RE needs CONFIG_DEBUG_INFO_BTF=y, or pass --kernel.btf=FILE)");
  }
  // Parse it now: a file that is not BTF would otherwise fail every probe's load one by one
  // ("Unknown error 4001") and leave a daemon with nothing up.
  // libbpf's own complaint ("failed to get EHDR") would be a second line: ours says it all.
  libbpf_print_fn_t previous = libbpf_set_print(nullptr);
  btf* parsed = btf__parse(path.c_str(), nullptr);
  libbpf_set_print(previous);
  if (parsed == nullptr) {
    return Status::Error("kernel BTF " + path +
                         ": not BTF data (raw or in ELF .BTF); pass a vmlinux BTF with "
                         "--kernel.btf=FILE");
  }
  btf__free(parsed);
  return {};
}

Result<http::HttpLimits> HttpLimitsForPidsLimit() {
  const http::HttpLimits& wanted = http::kHttpLimits;
  auto pids = host::ReadPidsHeadroom({});
  // The probes' threads, the window scheduler, libbpf and psx: a few tasks beside CivetWeb's.
  constexpr std::uint64_t kOwnTasks = 32;
  if (!pids || pids->tasks >= wanted.worker_threads + kOwnTasks) return wanted;
  std::uint64_t left = pids->tasks > kOwnTasks ? pids->tasks - kOwnTasks : 0;
  if (left < http::kMinWorkerThreads) {
    return Result<http::HttpLimits>::Error(
        "the pids limit of " + pids->cgroup + " (pids.max " + std::to_string(pids->max) +
        ") leaves " + std::to_string(pids->tasks) + " tasks; serving needs at least " +
        std::to_string(http::kMinWorkerThreads + kOwnTasks) +
        " (raise the container's pids limit)");
  }
  http::HttpLimits fit = http::FitThreads(wanted, static_cast<unsigned>(left));
  TS_LOG(kWarn) << "the pids limit of " << pids->cgroup << " (pids.max " << pids->max << ") leaves "
                << pids->tasks << " tasks: serving HTTP with " << fit.worker_threads
                << " threads, 503 beyond " << fit.max_connections << " connections (raise the "
                << "limit to " << wanted.worker_threads + kOwnTasks << " for the full "
                << wanted.worker_threads << ")";
  return fit;
}

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    TS_LOG(kWarn) << ErrnoMessage("raise the open-file limit", errno);
  }
}

sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace tunescope
