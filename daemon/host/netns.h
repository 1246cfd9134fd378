// The network namespace of the target server. A server in a container has its own: its TCP
// counters (listen drops), listening sockets and net.* sysctls (somaxconn) are those of its
// namespace, not the daemon's, and are read there.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host/paths.h"
#include "host/result.h"

namespace tunescope::host {

struct TargetNetns {
  int pid = 0;
  std::string id;      // as /proc/PID/ns/net reads: "net:[4026532400]"
  bool other = false;  // not the daemon's own namespace
  // The target's other processes found there (a bounded few): the way in when `pid` has exited.
  std::vector<int> also;
};

// "net:[4026532400]" -> "4026532400", as the probes label a namespace (`netns`).
std::string NetnsInode(const std::string& id);

// /proc/PID/ns/net against /proc/self/ns/net.
Result<TargetNetns> ReadTargetNetns(const HostPaths& paths, int pid);

// `paths` with the per-namespace /proc files of process `pid`'s network namespace
// (/proc/PID/net: its view whether or not it is ours, and readable without ptrace access,
// which the namespace link needs).
HostPaths NetPathsOf(const HostPaths& paths, int pid);

// The first process a target names (its first pid, or the lowest pid of a comm), if any runs.
std::optional<int> FirstTargetPid(const HostPaths& paths, const std::vector<int>& pids,
                                  const std::vector<std::string>& comms);
// The network namespaces the target's processes (its pids, or every process of its comms) run
// in other than the daemon's, each once, in the order of `pids` or else by pid: replicas of one
// server in several containers. Processes that exit meanwhile are left out; each namespace's
// later processes go to `also`.
std::vector<TargetNetns> OtherTargetNetns(const HostPaths& paths, const std::vector<int>& pids,
                                          const std::vector<std::string>& comms);
// `paths` with the per-namespace /proc files of that process's network namespace; `paths`
// itself without a target; an error when a target is named but none of it runs.
Result<HostPaths> TargetNetPaths(const HostPaths& paths, const std::vector<int>& pids,
                                 const std::vector<std::string>& comms);

// Runs `fn` on a thread of its own and waits for it: a namespace that setns or unshare enters
// is the calling thread's only, and goes with the thread. An error naming `what` when no thread
// can be had (a pids limit). `fn` must not throw.
Status RunOnOwnThread(const std::string& what, const std::function<Status()>& fn);

// Runs `fn` on a thread that has joined `ns` (setns needs CAP_SYS_ADMIN), entered through `pid`
// or, when it has exited, through `also`: net.* sysctls under /proc/sys answer for the reading
// thread's namespace. `fn` must not throw.
Status RunInNetns(const HostPaths& paths, const TargetNetns& ns, const std::function<void()>& fn);

}  // namespace tunescope::host
