#include "core/capabilities.h"

#include <dirent.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace tunescope::caps {
namespace {

std::atomic<int> g_done{0};
std::atomic<int> g_failed{0};

int LastCap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = 40;
  in >> last;
  return last;
}

int g_last_cap = 40;

// Async-signal-safe: raw syscalls only. Returns 0 or an errno.
int DropOwn() {
  for (int cap = 0; cap <= g_last_cap; ++cap) {
    // EPERM without CAP_SETPCAP (e.g. under a systemd bounding set): the bounding set is then
    // already what the service manager allowed.
    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &header, data) != 0) return errno;
  return 0;
}

void OnDropSignal(int /*signo*/) {
  const int saved = errno;
  if (DropOwn() != 0) g_failed.fetch_add(1);
  g_done.fetch_add(1);
  errno = saved;
}

std::vector<int> OtherThreads() {
  std::vector<int> tids;
  const int self = static_cast<int>(syscall(SYS_gettid));
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return tids;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int tid = std::stoi(entry->d_name);
    if (tid != self) tids.push_back(tid);
  }
  closedir(dir);
  return tids;
}

}  // namespace

bool ReadThreadCaps(int tid, const char* field, uint64_t& caps) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      caps = std::stoull(line.substr(prefix.size()), nullptr, 16);
      return true;
    }
  }
  return false;
}

Status DropAllCapabilities() {
  g_last_cap = LastCap();
  const int signo = SIGRTMIN + 4;
  struct sigaction action {};
  action.sa_handler = &OnDropSignal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  if (sigaction(signo, &action, &previous) != 0) {
    return Status::Error(ErrnoMessage("drop capabilities: sigaction", errno));
  }
  g_done = 0;
  g_failed = 0;
  // Threads started meanwhile inherit from a thread that has dropped or is about to be asked;
  // repeat until a pass finds every thread without capabilities.
  Status result;
  for (int pass = 0; pass < 3; ++pass) {
    if (int err = DropOwn(); err != 0) {
      result = Status::Error(ErrnoMessage("drop capabilities: capset", err));
      break;
    }
    std::vector<int> pending;
    for (int tid : OtherThreads()) {
      uint64_t eff = 0, prm = 0;
      if (ReadThreadCaps(tid, "CapEff", eff) && ReadThreadCaps(tid, "CapPrm", prm) && eff == 0 &&
          prm == 0) {
        continue;
      }
      pending.push_back(tid);
    }
    if (pending.empty()) break;
    g_done = 0;
    int sent = 0;
    for (int tid : pending) {
      if (syscall(SYS_tgkill, getpid(), tid, signo) == 0) ++sent;  // ESRCH: it has exited
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (g_done.load() < sent && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (g_done.load() < sent) {
      result = Status::Error("drop capabilities: " + std::to_string(sent - g_done.load()) +
                             " thread(s) did not answer (signal blocked?)");
      break;
    }
    if (g_failed.load() != 0) {
      result = Status::Error("drop capabilities: capset failed in another thread");
      break;
    }
  }
  sigaction(signo, &previous, nullptr);
  if (!result.ok()) return result;
  for (int tid : OtherThreads()) {
    uint64_t eff = 0, prm = 0;
    if (!ReadThreadCaps(tid, "CapEff", eff) || !ReadThreadCaps(tid, "CapPrm", prm)) continue;
    if (eff != 0 || prm != 0) {
      return Status::Error("drop capabilities: thread " + std::to_string(tid) +
                           " still has capabilities");
    }
  }
  return {};
}

}  // namespace tunescope::caps
