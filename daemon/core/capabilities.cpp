#include "core/capabilities.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/capability.h>
#include <sys/psx_syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "host/paths.h"
#include "host/text.h"

// libpsx changes a security setting in every thread it knows, and it knows the threads started
// through its __wrap_pthread_create. Its documented linkage (-Wl,-wrap,pthread_create) renames
// the calls in our own objects only; CivetWeb's 2048 workers (libcivetweb.so) and every
// std::thread (libstdc++.so) call pthread_create from shared libraries, which would keep their
// capabilities. Defining pthread_create in the executable interposes it for those libraries too,
// and __real_pthread_create, which libpsx calls to start the thread, is glibc's. libpsx is linked
// from its static archive, so these two come along with this file and nothing else needs them.
extern "C" {
int __wrap_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                          void* arg);

int __real_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                          void* arg) {
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto glibc = reinterpret_cast<Create>(dlsym(RTLD_NEXT, "pthread_create"));
  if (glibc == nullptr) return EAGAIN;
  return glibc(thread, attr, start, arg);
}

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                   void* arg) noexcept {
  return __wrap_pthread_create(thread, attr, start, arg);
}
}  // extern "C"

namespace tunescope::caps {
namespace {

std::vector<int> Threads() {
  std::vector<int> tids;
  auto names = host::ListDirectory(host::HostPaths{}.proc + "/self/task");
  if (!names) return tids;
  for (const std::string& name : *names) {
    if (auto tid = host::ParseU64(name)) tids.push_back(static_cast<int>(*tid));
  }
  return tids;
}

}  // namespace

bool ReadThreadCaps(int tid, const char* field, uint64_t& caps) {
  auto status =
      host::ReadTextFile(host::HostPaths{}.proc + "/self/task/" + std::to_string(tid) + "/status");
  if (!status) return false;
  const std::string prefix = std::string(field) + ":";
  for (std::string_view line : host::SplitLines(*status)) {
    if (!line.starts_with(prefix)) continue;
    auto value = host::ParseU64(host::Trim(line.substr(prefix.size())), 16);
    if (!value) return false;
    caps = *value;
    return true;
  }
  return false;
}

Status DropAllCapabilities() {
  // libcap's own syscalls act on the calling thread; through psx every thread makes each one.
  cap_set_syscall(psx_syscall3, psx_syscall6);
  // The bounding set first: dropping from it needs CAP_SETPCAP, which the capset below clears.
  // EPERM without CAP_SETPCAP (e.g. under a systemd bounding set) leaves it as the service
  // manager set it, which is then all this process may ever regain anyway.
  for (cap_value_t cap = 0; cap < cap_max_bits(); ++cap) {
    if (cap_get_bound(cap) == 1 && cap_drop_bound(cap) != 0 && errno != EPERM) {
      return Status::Error(ErrnoMessage("drop capabilities: bounding set", errno));
    }
  }
  // Ambient capabilities would come back on an exec; a kernel without them reports EINVAL.
  if (cap_reset_ambient() != 0 && errno != EINVAL) {
    return Status::Error(ErrnoMessage("drop capabilities: ambient set", errno));
  }
  const std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)> empty(cap_init(), cap_free);
  if (!empty) return Status::Error(ErrnoMessage("drop capabilities: cap_init", errno));
  if (cap_set_proc(empty.get()) != 0) {
    return Status::Error(ErrnoMessage("drop capabilities: capset", errno));
  }
  // Trust, but verify: a thread that psx did not know would still hold them.
  for (int tid : Threads()) {
    uint64_t eff = 0, prm = 0;
    if (!ReadThreadCaps(tid, "CapEff", eff) || !ReadThreadCaps(tid, "CapPrm", prm)) continue;
    if (eff != 0 || prm != 0) {
      return Status::Error("drop capabilities: thread " + std::to_string(tid) +
                           " still has capabilities (not started through libpsx)");
    }
  }
  return {};
}

}  // namespace tunescope::caps
