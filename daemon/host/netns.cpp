#include "host/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>

#include "host/processes.h"

namespace tunescope::host {
namespace {

Result<std::string> NetnsLink(const std::string& path) {
  std::error_code ec;
  std::string id = std::filesystem::read_symlink(path, ec).string();
  if (ec) return Result<std::string>::Error(path + ": " + ec.message());
  return id;
}

std::string NsPath(const HostPaths& paths, int pid) {
  return paths.proc + "/" + std::to_string(pid) + "/ns/net";
}

// Ways into a namespace kept per namespace: enough to outlast a few workers exiting at once.
constexpr size_t kMaxAlso = 8;

// An fd of `ns` opened through one of its processes. The pid may have exited and been reused
// since `ns` was read: only a link to that very namespace is taken.
Result<int> OpenNetns(const HostPaths& paths, const TargetNetns& ns) {
  std::string error;
  std::vector<int> pids{ns.pid};
  pids.insert(pids.end(), ns.also.begin(), ns.also.end());
  for (int pid : pids) {
    const std::string path = NsPath(paths, pid);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (error.empty()) error = ErrnoMessage("open " + path, errno);
      continue;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && "net:[" + std::to_string(st.st_ino) + "]" == ns.id) return fd;
    ::close(fd);
    if (error.empty()) error = path + ": no longer " + ns.id + " (the process exited)";
  }
  return Result<int>::Error(error);
}

}  // namespace

std::string NetnsInode(const std::string& id) {
  const size_t open = id.find('[');
  const size_t close = id.rfind(']');
  if (open == std::string::npos || close == std::string::npos || close <= open) return id;
  return id.substr(open + 1, close - open - 1);
}

Result<TargetNetns> ReadTargetNetns(const HostPaths& paths, int pid) {
  auto theirs = NetnsLink(NsPath(paths, pid));
  if (!theirs) return Result<TargetNetns>::Error(theirs.error());
  auto ours = NetnsLink(paths.proc + "/self/ns/net");
  if (!ours) return Result<TargetNetns>::Error(ours.error());
  return TargetNetns{pid, *theirs, *theirs != *ours, {}};
}

HostPaths NetPathsOf(const HostPaths& paths, int pid) {
  HostPaths out = paths;
  out.net = paths.proc + "/" + std::to_string(pid) + "/net";
  return out;
}

std::optional<int> FirstTargetPid(const HostPaths& paths, const std::vector<int>& pids,
                                  const std::vector<std::string>& comms) {
  if (!pids.empty()) return pids.front();
  if (comms.empty()) return std::nullopt;
  auto procs = ListProcesses(paths);
  if (!procs) return std::nullopt;
  for (const std::string& comm : comms) {
    std::vector<int> found = FindByComm(*procs, comm);
    if (!found.empty()) return *std::min_element(found.begin(), found.end());
  }
  return std::nullopt;
}

std::vector<TargetNetns> OtherTargetNetns(const HostPaths& paths, const std::vector<int>& pids,
                                          const std::vector<std::string>& comms) {
  std::vector<int> all = pids;
  if (all.empty() && !comms.empty()) {
    if (auto procs = ListProcesses(paths)) {
      for (const std::string& comm : comms) {
        std::vector<int> found = FindByComm(*procs, comm);
        all.insert(all.end(), found.begin(), found.end());
      }
      std::sort(all.begin(), all.end());
    }
  }
  std::vector<TargetNetns> out;
  for (int pid : all) {
    auto ns = ReadTargetNetns(paths, pid);
    if (!ns || !ns->other) continue;
    auto seen =
        std::find_if(out.begin(), out.end(), [&](const TargetNetns& o) { return o.id == ns->id; });
    if (seen == out.end()) {
      out.push_back(*ns);
    } else if (seen->also.size() < kMaxAlso) {
      seen->also.push_back(pid);
    }
  }
  return out;
}

Result<HostPaths> TargetNetPaths(const HostPaths& paths, const std::vector<int>& pids,
                                 const std::vector<std::string>& comms) {
  if (pids.empty() && comms.empty()) return paths;
  auto pid = FirstTargetPid(paths, pids, comms);
  if (!pid) return Result<HostPaths>::Error("the target is not running");
  return NetPathsOf(paths, *pid);
}

Status RunOnOwnThread(const std::string& what, const std::function<Status()>& fn) {
  Status status;
  try {
    std::thread([&] { status = fn(); }).join();
  } catch (const std::system_error& e) {
    return Status::Error("thread for " + what + ": " + e.what());
  }
  return status;
}

Status RunInNetns(const HostPaths& paths, const TargetNetns& ns, const std::function<void()>& fn) {
  auto opened = OpenNetns(paths, ns);
  if (!opened) return Status::Error(opened.error());
  const int fd = *opened;
  const std::string path = "the namespace " + ns.id;
  Status status = RunOnOwnThread("setns " + path, [&] {
    if (::setns(fd, CLONE_NEWNET) != 0) return Status::Error(ErrnoMessage("setns " + path, errno));
    fn();
    return Status();
  });
  ::close(fd);
  return status;
}

}  // namespace tunescope::host
