#include "host/cpu_accounting.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <set>

#include "host/processes.h"
#include "host/text.h"

namespace tunescope::host {
namespace {

std::vector<int> NumericEntries(const std::string& dir) {
  std::vector<int> out;
  auto names = ListDirectory(dir);
  if (!names) return out;
  for (const auto& name : *names) {
    if (auto n = ParseU64(name); n && *n <= 0x7fffffff) out.push_back(static_cast<int>(*n));
  }
  return out;
}

}  // namespace

long ClockTicksPerSecond() {
  const long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? hz : 100;
}

Result<CpuTicksTable> ParseProcStatCpus(std::string_view text) {
  CpuTicksTable out;
  for (std::string_view line : SplitLines(text)) {
    auto fields = SplitWhitespace(line);
    if (fields.size() < 9 || !StartsWith(fields[0], "cpu") || fields[0] == "cpu") continue;
    auto cpu = ParseU64(fields[0].substr(3));
    if (!cpu || *cpu > 1u << 20) continue;
    std::uint64_t v[8];
    for (std::size_t i = 0; i < 8; ++i) {
      auto n = ParseU64(fields[i + 1]);
      if (!n)
        return Result<CpuTicksTable>::Error("/proc/stat: bad field in \"" + std::string(line) +
                                            "\"");
      v[i] = *n;
    }
    out[static_cast<int>(*cpu)] = CpuTicks{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  }
  if (out.empty()) return Result<CpuTicksTable>::Error("/proc/stat: no cpuN lines");
  return out;
}

Result<CpuTicksTable> ReadCpuTicks(const HostPaths& paths) {
  auto text = ReadTextFile(paths.proc + "/stat");
  if (!text) return Result<CpuTicksTable>::Error(text.error());
  return ParseProcStatCpus(*text);
}

Result<CpuBusy> ParseProcStatBusy(std::string_view text, long ticks_per_second) {
  auto cpus = ParseProcStatCpus(text);
  if (!cpus) return Result<CpuBusy>::Error(cpus.error());
  CpuBusy out;
  for (const auto& [cpu, t] : *cpus) {
    out[cpu] = static_cast<double>(t.busy()) / static_cast<double>(ticks_per_second);
  }
  return out;
}

Result<CpuBusy> ReadCpuBusy(const HostPaths& paths) {
  auto text = ReadTextFile(paths.proc + "/stat");
  if (!text) return Result<CpuBusy>::Error(text.error());
  return ParseProcStatBusy(*text, ClockTicksPerSecond());
}

std::optional<TaskStat> ParseTaskStat(std::string_view line) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After ')': field 3 (state) comes first; flags is field 9, utime 14, stime 15, processor 39.
  auto fields = SplitWhitespace(line.substr(close + 1));
  auto field = [&](std::size_t n) -> std::optional<std::uint64_t> {
    return n - 3 < fields.size() ? ParseU64(fields[n - 3]) : std::nullopt;
  };
  auto utime = field(14), stime = field(15);
  if (!utime || !stime) return std::nullopt;
  constexpr std::uint64_t kPfKthread = 0x00200000;  // include/linux/sched.h
  TaskStat out{*utime + *stime, -1, false};
  if (auto cpu = field(39); cpu && *cpu < 1u << 20) out.cpu = static_cast<int>(*cpu);
  if (auto flags = field(9)) out.kernel_thread = (*flags & kPfKthread) != 0;
  return out;
}

std::optional<SchedStat> ParseSchedstat(std::string_view line) {
  auto fields = SplitWhitespace(Trim(line));
  if (fields.size() < 3) return std::nullopt;
  auto run = ParseU64(fields[0]), wait = ParseU64(fields[1]), slices = ParseU64(fields[2]);
  if (!run || !wait || !slices) return std::nullopt;
  return SchedStat{*run, *wait, *slices};
}

std::vector<std::pair<int, int>> ThreadNames::Matching(const HostPaths& paths,
                                                       const std::vector<std::string>& comms,
                                                       Clock::time_point now) {
  std::vector<std::pair<int, int>> out;
  std::unordered_map<int, Entry> seen;
  // The reading process is never the target, and the daemon's HTTP pool alone is thousands of
  // threads.
  const int self = paths.proc == "/proc" ? static_cast<int>(::getpid()) : -1;
  for (int pid : NumericEntries(paths.proc)) {
    if (pid == self) continue;
    const std::string tasks = paths.proc + "/" + std::to_string(pid) + "/task/";
    for (int tid : NumericEntries(tasks)) {
      auto it = by_tid_.find(tid);
      Entry e = it != by_tid_.end() && it->second.pid == pid ? std::move(it->second) : Entry{};
      if (e.sightings == 0) {
        e.pid = pid;
        e.first_seen = now;
      }
      if (e.sightings < 2 || now - e.first_seen < kSettle || now - e.read_at >= recheck_) {
        auto comm = ReadTextFile(tasks + std::to_string(tid) + "/comm");
        ++comm_reads_;
        if (!comm) continue;  // exited meanwhile
        e.comm = ParseComm(*comm);
        e.read_at = now;
      }
      ++e.sightings;
      if (std::find(comms.begin(), comms.end(), e.comm) != comms.end()) out.emplace_back(pid, tid);
      seen.emplace(tid, std::move(e));
    }
  }
  by_tid_ = std::move(seen);
  return out;
}

std::vector<ThreadAccounting> ReadThreads(const HostPaths& paths, const std::vector<int>& pids,
                                          const std::vector<std::string>& comms,
                                          ThreadNames* names) {
  std::vector<ThreadAccounting> out;
  std::set<int> seen;
  const double tick = 1.0 / static_cast<double>(ClockTicksPerSecond());
  auto add = [&](int pid, int tid) {
    if (!seen.insert(tid).second) return;
    const std::string dir = paths.proc + "/" + std::to_string(pid) + "/task/" + std::to_string(tid);
    auto stat = ReadTextFile(dir + "/stat");
    if (!stat) return;  // exited meanwhile
    auto parsed = ParseTaskStat(*stat);
    if (!parsed) return;
    ThreadAccounting t{pid, tid, static_cast<double>(parsed->ticks) * tick, std::nullopt,
                       parsed->cpu};
    if (auto sched = ReadTextFile(dir + "/schedstat")) t.schedstat = ParseSchedstat(*sched);
    out.push_back(t);
  };
  for (int pid : pids) {
    for (int tid : NumericEntries(paths.proc + "/" + std::to_string(pid) + "/task")) add(pid, tid);
  }
  if (!comms.empty()) {
    ThreadNames once(ThreadNames::Clock::duration::zero());
    for (auto [pid, tid] : (names != nullptr ? *names : once).Matching(paths, comms)) add(pid, tid);
  }
  return out;
}

std::vector<ThreadRun> ReadAllThreadRuns(const HostPaths& paths) {
  std::vector<ThreadRun> out;
  for (int pid : NumericEntries(paths.proc)) {
    const std::string tasks = paths.proc + "/" + std::to_string(pid) + "/task/";
    for (int tid : NumericEntries(tasks)) {
      const std::string dir = tasks + std::to_string(tid);
      auto sched = ReadTextFile(dir + "/schedstat");
      auto stat = ReadTextFile(dir + "/stat");
      if (!sched || !stat) continue;  // exited meanwhile
      auto s = ParseSchedstat(*sched);
      auto t = ParseTaskStat(*stat);
      if (s && t) out.push_back({tid, s->run_ns, t->cpu, t->kernel_thread});
    }
  }
  return out;
}

Result<CpuSchedStats> ParseProcSchedstat(std::string_view text, std::string_view source) {
  const std::string src(source);
  CpuSchedStats out;
  bool versioned = false;
  for (std::string_view line : SplitLines(text)) {
    auto fields = SplitWhitespace(line);
    if (fields.size() == 2 && fields[0] == "version") {
      auto v = ParseU64(fields[1]);
      // Version 15 (kernel 2.6.x on) and later keep the cpu line's last three fields.
      if (!v || *v < 15) {
        return Result<CpuSchedStats>::Error(src + ": unsupported version " +
                                            std::string(fields[1]));
      }
      versioned = true;
      continue;
    }
    if (fields.empty() || !StartsWith(fields[0], "cpu")) continue;
    auto cpu = ParseU64(fields[0].substr(3));
    if (!cpu || *cpu > 1u << 20) continue;
    // cpuN yld legacy schedule goidle ttwu ttwu_local run_ns wait_ns timeslices
    if (fields.size() < 10) {
      return Result<CpuSchedStats>::Error(src + ": short line \"" + std::string(line) + "\"");
    }
    auto run = ParseU64(fields[7]), wait = ParseU64(fields[8]), slices = ParseU64(fields[9]);
    if (!run || !wait || !slices) {
      return Result<CpuSchedStats>::Error(src + ": bad field in \"" + std::string(line) + "\"");
    }
    out[static_cast<int>(*cpu)] = SchedStat{*run, *wait, *slices};
  }
  if (!versioned) return Result<CpuSchedStats>::Error(src + ": no version line");
  if (out.empty()) return Result<CpuSchedStats>::Error(src + ": no cpuN lines");
  return out;
}

Result<CpuSchedStats> ReadProcSchedstat(const HostPaths& paths) {
  const std::string path = paths.proc + "/schedstat";
  if (auto text = ReadTextFile(path))
    return ParseProcSchedstat(*text, path);
  else  // NOLINT(readability-else-after-return): `text` lives in the if's scope only
    return Result<CpuSchedStats>::Error(text.error() +
                                        " (the kernel keeps it with CONFIG_SCHEDSTATS)");
}

bool ProcessExists(const HostPaths& paths, int pid) {
  return pid > 0 && ::access((paths.proc + "/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

Result<std::vector<int>> KeepOwnThreadsOff(const std::vector<int>& cpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    return Result<std::vector<int>>::Error(std::string("sched_getaffinity: ") +
                                           std::strerror(errno));
  }
  for (int c : cpus) {
    if (c >= 0 && c < CPU_SETSIZE) CPU_CLR(c, &allowed);
  }
  std::vector<int> left;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) left.push_back(c);
  }
  if (left.empty()) return Result<std::vector<int>>::Error("no CPU left besides the server's");
  // Affinity is per thread: set it on each, as they exist now.
  for (int tid : NumericEntries("/proc/self/task")) {
    if (::sched_setaffinity(tid, sizeof(allowed), &allowed) != 0 && errno != ESRCH) {
      return Result<std::vector<int>>::Error("sched_setaffinity of thread " + std::to_string(tid) +
                                             ": " + std::strerror(errno));
    }
  }
  return left;
}

}  // namespace tunescope::host
