#include "runtime.h"

#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "core/log.h"

namespace tunescope {
namespace {

int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (!log::Enabled(log::Level::kDebug)) return 0;
  char buffer[1024];
  int n = std::vsnprintf(buffer, sizeof(buffer), format, args);
  if (n <= 0) return n;
  std::string line(buffer);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  TS_LOG(kDebug) << "libbpf(" << static_cast<int>(level) << "): " << line;
  return n;
}

}  // namespace

void RouteLibbpfLogs() {
  libbpf_set_print(LibbpfPrint);
}

Status CheckKernelBtf(const cli::ServeOptions& options) {
  std::string path =
      options.btf_path_given ? options.probe_config.btf_path : std::string(cli::kDefaultBtfPath);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::Error(ErrnoMessage("kernel BTF " + path, errno) +
                         " (CO-RE needs CONFIG_DEBUG_INFO_BTF=y, or pass --kernel.btf=FILE)");
  }
  return {};
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
