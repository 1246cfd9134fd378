#include "host/cpu_accounting.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <set>

#include "host/processes.h"
#include "host/text.h"

namespace tunescope::host {
namespace {

std::vector<int> NumericEntries(const std::string& dir) {
  std::vector<int> out;
  auto names = list_directory(dir);
  if (!names) return out;
  for (const auto& name : *names) {
    if (auto n = parse_u64(name); n && *n <= 0x7fffffff) out.push_back(static_cast<int>(*n));
  }
  return out;
}

}  // namespace

long clock_ticks_per_second() {
  const long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? hz : 100;
}

Result<CpuTicksTable> parse_proc_stat_cpus(std::string_view text) {
  CpuTicksTable out;
  for (std::string_view line : split_lines(text)) {
    auto fields = split_whitespace(line);
    if (fields.size() < 9 || !starts_with(fields[0], "cpu") || fields[0] == "cpu") continue;
    auto cpu = parse_u64(fields[0].substr(3));
    if (!cpu || *cpu > 1u << 20) continue;
    std::uint64_t v[8];
    for (std::size_t i = 0; i < 8; ++i) {
      auto n = parse_u64(fields[i + 1]);
      if (!n) return fail<CpuTicksTable>("/proc/stat: bad field in \"" + std::string(line) + "\"");
      v[i] = *n;
    }
    out[static_cast<int>(*cpu)] = CpuTicks{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  }
  if (out.empty()) return fail<CpuTicksTable>("/proc/stat: no cpuN lines");
  return out;
}

Result<CpuTicksTable> read_cpu_ticks(const HostPaths& paths) {
  auto text = read_text_file(paths.proc + "/stat");
  if (!text) return fail<CpuTicksTable>(text.error());
  return parse_proc_stat_cpus(*text);
}

Result<CpuBusy> parse_proc_stat_busy(std::string_view text, long ticks_per_second) {
  auto cpus = parse_proc_stat_cpus(text);
  if (!cpus) return fail<CpuBusy>(cpus.error());
  CpuBusy out;
  for (const auto& [cpu, t] : *cpus) {
    out[cpu] = static_cast<double>(t.busy()) / static_cast<double>(ticks_per_second);
  }
  return out;
}

Result<CpuBusy> read_cpu_busy(const HostPaths& paths) {
  auto text = read_text_file(paths.proc + "/stat");
  if (!text) return fail<CpuBusy>(text.error());
  return parse_proc_stat_busy(*text, clock_ticks_per_second());
}

std::optional<TaskStat> parse_task_stat(std::string_view line) {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After ')': field 3 (state) comes first; utime is field 14, stime 15, processor 39.
  auto fields = split_whitespace(line.substr(close + 1));
  auto field = [&](std::size_t n) -> std::optional<std::uint64_t> {
    return n - 3 < fields.size() ? parse_u64(fields[n - 3]) : std::nullopt;
  };
  auto utime = field(14), stime = field(15);
  if (!utime || !stime) return std::nullopt;
  TaskStat out{*utime + *stime, -1};
  if (auto cpu = field(39); cpu && *cpu < 1u << 20) out.cpu = static_cast<int>(*cpu);
  return out;
}

std::optional<SchedStat> parse_schedstat(std::string_view line) {
  auto fields = split_whitespace(trim(line));
  if (fields.size() < 3) return std::nullopt;
  auto run = parse_u64(fields[0]), wait = parse_u64(fields[1]), slices = parse_u64(fields[2]);
  if (!run || !wait || !slices) return std::nullopt;
  return SchedStat{*run, *wait, *slices};
}

std::vector<ThreadAccounting> read_threads(const HostPaths& paths, const std::vector<int>& pids,
                                           const std::vector<std::string>& comms) {
  std::vector<ThreadAccounting> out;
  std::set<int> seen;
  const double tick = 1.0 / static_cast<double>(clock_ticks_per_second());
  auto add = [&](int pid, int tid) {
    if (!seen.insert(tid).second) return;
    const std::string dir = paths.proc + "/" + std::to_string(pid) + "/task/" + std::to_string(tid);
    auto stat = read_text_file(dir + "/stat");
    if (!stat) return;  // exited meanwhile
    auto parsed = parse_task_stat(*stat);
    if (!parsed) return;
    ThreadAccounting t{pid, tid, static_cast<double>(parsed->ticks) * tick, std::nullopt,
                       parsed->cpu};
    if (auto sched = read_text_file(dir + "/schedstat")) t.schedstat = parse_schedstat(*sched);
    out.push_back(t);
  };
  for (int pid : pids) {
    for (int tid : NumericEntries(paths.proc + "/" + std::to_string(pid) + "/task")) add(pid, tid);
  }
  if (!comms.empty()) {
    // The reading process is never the target, and the daemon's HTTP pool alone is thousands
    // of threads whose comm would be read at every scrape.
    const int self = paths.proc == "/proc" ? static_cast<int>(::getpid()) : -1;
    for (int pid : NumericEntries(paths.proc)) {
      if (pid == self) continue;
      const std::string tasks = paths.proc + "/" + std::to_string(pid) + "/task";
      for (int tid : NumericEntries(tasks)) {
        auto comm = read_text_file(tasks + "/" + std::to_string(tid) + "/comm");
        if (!comm) continue;
        const std::string name = parse_comm(*comm);
        for (const auto& c : comms) {
          if (c == name) add(pid, tid);
        }
      }
    }
  }
  return out;
}

std::vector<ThreadRun> read_all_thread_runs(const HostPaths& paths) {
  std::vector<ThreadRun> out;
  for (int pid : NumericEntries(paths.proc)) {
    const std::string tasks = paths.proc + "/" + std::to_string(pid) + "/task/";
    for (int tid : NumericEntries(tasks)) {
      const std::string dir = tasks + std::to_string(tid);
      auto sched = read_text_file(dir + "/schedstat");
      auto stat = read_text_file(dir + "/stat");
      if (!sched || !stat) continue;  // exited meanwhile
      auto s = parse_schedstat(*sched);
      auto t = parse_task_stat(*stat);
      if (s && t) out.push_back({tid, s->run_ns, t->cpu});
    }
  }
  return out;
}

Result<CpuSchedStats> parse_proc_schedstat(std::string_view text, std::string_view source) {
  const std::string src(source);
  CpuSchedStats out;
  bool versioned = false;
  for (std::string_view line : split_lines(text)) {
    auto fields = split_whitespace(line);
    if (fields.size() == 2 && fields[0] == "version") {
      auto v = parse_u64(fields[1]);
      // Version 15 (kernel 2.6.x on) and later keep the cpu line's last three fields.
      if (!v || *v < 15) {
        return fail<CpuSchedStats>(src + ": unsupported version " + std::string(fields[1]));
      }
      versioned = true;
      continue;
    }
    if (fields.empty() || !starts_with(fields[0], "cpu")) continue;
    auto cpu = parse_u64(fields[0].substr(3));
    if (!cpu || *cpu > 1u << 20) continue;
    // cpuN yld legacy schedule goidle ttwu ttwu_local run_ns wait_ns timeslices
    if (fields.size() < 10) {
      return fail<CpuSchedStats>(src + ": short line \"" + std::string(line) + "\"");
    }
    auto run = parse_u64(fields[7]), wait = parse_u64(fields[8]), slices = parse_u64(fields[9]);
    if (!run || !wait || !slices) {
      return fail<CpuSchedStats>(src + ": bad field in \"" + std::string(line) + "\"");
    }
    out[static_cast<int>(*cpu)] = SchedStat{*run, *wait, *slices};
  }
  if (!versioned) return fail<CpuSchedStats>(src + ": no version line");
  if (out.empty()) return fail<CpuSchedStats>(src + ": no cpuN lines");
  return out;
}

Result<CpuSchedStats> read_proc_schedstat(const HostPaths& paths) {
  const std::string path = paths.proc + "/schedstat";
  if (auto text = read_text_file(path))
    return parse_proc_schedstat(*text, path);
  else  // NOLINT(readability-else-after-return): `text` lives in the if's scope only
    return fail<CpuSchedStats>(text.error() + " (the kernel keeps it with CONFIG_SCHEDSTATS)");
}

bool process_exists(const HostPaths& paths, int pid) {
  return pid > 0 && ::access((paths.proc + "/" + std::to_string(pid)).c_str(), F_OK) == 0;
}

Result<std::vector<int>> keep_own_threads_off(const std::vector<int>& cpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    return fail<std::vector<int>>(std::string("sched_getaffinity: ") + std::strerror(errno));
  }
  for (int c : cpus) {
    if (c >= 0 && c < CPU_SETSIZE) CPU_CLR(c, &allowed);
  }
  std::vector<int> left;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) left.push_back(c);
  }
  if (left.empty()) return fail<std::vector<int>>("no CPU left besides the server's");
  // Affinity is per thread: set it on each, as they exist now.
  for (int tid : NumericEntries("/proc/self/task")) {
    if (::sched_setaffinity(tid, sizeof(allowed), &allowed) != 0 && errno != ESRCH) {
      return fail<std::vector<int>>("sched_setaffinity of thread " + std::to_string(tid) + ": " +
                                    std::strerror(errno));
    }
  }
  return left;
}

}  // namespace tunescope::host
