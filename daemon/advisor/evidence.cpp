#include "advisor/evidence.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace tunescope::advisor {
namespace {

bool Matches(const LabelSet& labels, const LabelFilter& filter) {
  for (const auto& [name, value] : filter) {
    auto it = labels.find(name);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

const Sample* FindSame(const std::vector<Sample>* samples, const LabelSet& labels) {
  if (samples == nullptr) return nullptr;
  for (const Sample& s : *samples) {
    if (s.labels == labels) return &s;
  }
  return nullptr;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<int> NumericEntries(const std::string& dir) {
  std::vector<int> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    int n = 0;
    std::string_view name(e->d_name);
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec == std::errc() && end == name.data() + name.size()) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

MetricSnapshot::MetricSnapshot(const std::vector<prometheus::MetricFamily>& families) {
  for (const auto& f : families) {
    auto& samples = families_[f.name];
    for (const auto& m : f.metric) {
      Sample s;
      for (const auto& l : m.label) s.labels[l.name] = l.value;
      switch (f.type) {
        case prometheus::MetricType::Counter:
          s.value = m.counter.value;
          break;
        case prometheus::MetricType::Gauge:
          s.value = m.gauge.value;
          break;
        case prometheus::MetricType::Histogram:
          s.value = static_cast<double>(m.histogram.sample_count);
          s.sum = m.histogram.sample_sum;
          for (const auto& b : m.histogram.bucket) {
            s.buckets[b.upper_bound] = static_cast<double>(b.cumulative_count);
          }
          break;
        default:
          s.value = m.untyped.value;
          break;
      }
      samples.push_back(std::move(s));
    }
  }
}

const std::vector<Sample>* MetricSnapshot::Find(std::string_view family) const {
  auto it = families_.find(family);
  return it == families_.end() ? nullptr : &it->second;
}

void MetricSnapshot::Add(std::string family, Sample sample) {
  families_[std::move(family)].push_back(std::move(sample));
}

std::optional<double> HistogramDelta::QuantileUpperBound(double q) const {
  if (buckets.empty() || count <= 0) return std::nullopt;
  for (const auto& [le, c] : buckets) {
    if (c >= q * count) return le;
  }
  return buckets.rbegin()->first;
}

std::optional<double> HistogramDelta::Mean() const {
  if (count <= 0) return std::nullopt;
  return sum / count;
}

Evidence::Evidence(MetricSnapshot before, MetricSnapshot after, double window_seconds,
                   std::shared_ptr<const host::HostFacts> host_before,
                   std::shared_ptr<const host::HostFacts> host, CpuTimes cpu)
    : before_(std::move(before)),
      after_(std::move(after)),
      window_seconds_(window_seconds),
      host_before_(std::move(host_before)),
      host_(std::move(host)),
      cpu_(std::move(cpu)) {}

std::optional<double> Evidence::TcpDelta(
    std::optional<std::int64_t> host::TcpCounters::*field) const {
  if (host_before_ == nullptr) return std::nullopt;
  const auto& then = host_before_->tcp.*field;
  const auto& now = host_->tcp.*field;
  if (!then || !now) return std::nullopt;
  return static_cast<double>(*now - *then);
}

std::optional<double> Evidence::CounterDelta(std::string_view family,
                                             const LabelFilter& filter) const {
  const std::vector<Sample>* now = after_.Find(family);
  if (now == nullptr) return std::nullopt;
  const std::vector<Sample>* then = before_.Find(family);
  double total = 0;
  for (const Sample& s : *now) {
    if (!Matches(s.labels, filter)) continue;
    const Sample* old = FindSame(then, s.labels);
    double d = s.value - (old != nullptr ? old->value : 0);
    if (d > 0) total += d;  // a reset counter (probe restarted) adds nothing
  }
  return total;
}

std::map<std::string, double> Evidence::CounterDeltaBy(std::string_view family,
                                                       std::string_view label) const {
  std::map<std::string, double> out;
  const std::vector<Sample>* now = after_.Find(family);
  if (now == nullptr) return out;
  const std::vector<Sample>* then = before_.Find(family);
  for (const Sample& s : *now) {
    auto it = s.labels.find(label);
    if (it == s.labels.end()) continue;
    const Sample* old = FindSame(then, s.labels);
    double d = s.value - (old != nullptr ? old->value : 0);
    if (d > 0) out[it->second] += d;
  }
  return out;
}

std::optional<HistogramDelta> Evidence::Histogram(std::string_view family,
                                                  const LabelFilter& filter) const {
  const std::vector<Sample>* now = after_.Find(family);
  if (now == nullptr) return std::nullopt;
  const std::vector<Sample>* then = before_.Find(family);
  HistogramDelta out;
  for (const Sample& s : *now) {
    if (!Matches(s.labels, filter)) continue;
    const Sample* old = FindSame(then, s.labels);
    out.count += s.value - (old != nullptr ? old->value : 0);
    out.sum += s.sum - (old != nullptr ? old->sum : 0);
    for (const auto& [le, c] : s.buckets) {
      double prev = 0;
      if (old != nullptr) {
        auto it = old->buckets.find(le);
        if (it != old->buckets.end()) prev = it->second;
      }
      out.buckets[le] += c - prev;
    }
  }
  return out;
}

std::optional<Evidence::ServerCpu> Evidence::ServerCpuSeconds() const {
  if (cpu_.target_cpu_seconds) {
    ServerCpu out{*cpu_.target_cpu_seconds, "CPU time of the target's threads"};
    auto rx = CounterDelta("tunescope_softirq_seconds_total", {{"vector", "net_rx"}});
    auto tx = CounterDelta("tunescope_softirq_seconds_total", {{"vector", "net_tx"}});
    if (rx || tx) {
      out.seconds += rx.value_or(0) + tx.value_or(0);
      out.basis += " + network softirq time";
    }
    if (out.seconds > 0) return out;
  }
  if (cpu_.host_busy_seconds && *cpu_.host_busy_seconds > 0) {
    return ServerCpu{*cpu_.host_busy_seconds,
                     "busy CPU time of the whole host (no target server given)"};
  }
  return std::nullopt;
}

std::optional<double> ReadHostBusySeconds(const host::HostPaths& paths) {
  auto text = ReadFile(paths.proc + "/stat");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string label;
  in >> label;
  if (label != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal (guest time is inside user)
  unsigned long long v[8] = {};
  for (auto& x : v) {
    if (!(in >> x)) return std::nullopt;
  }
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(busy) / static_cast<double>(hz > 0 ? hz : 100);
}

std::optional<int> ReadNumaNodes(const host::HostPaths& paths) {
  DIR* d = ::opendir((paths.sys + "/devices/system/node").c_str());
  if (d == nullptr) return std::nullopt;
  int nodes = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() > 4 && name.starts_with("node") &&
        std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      ++nodes;
    }
  }
  ::closedir(d);
  return nodes;
}

std::optional<StatLine> ParseStatLine(std::string_view line) {
  auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::istringstream in{std::string(line.substr(close + 1))};
  // After ')': field 3 (state) ... utime is field 14, stime 15, processor 39.
  std::vector<std::string> fields;
  std::string f;
  while (in >> f) fields.push_back(f);
  auto field = [&](int n) -> const std::string* {
    size_t i = static_cast<size_t>(n - 3);
    return i < fields.size() ? &fields[i] : nullptr;
  };
  const std::string* ut = field(14);
  const std::string* st = field(15);
  if (ut == nullptr || st == nullptr) return std::nullopt;
  StatLine out;
  unsigned long long u = 0, s = 0;
  auto r1 = std::from_chars(ut->data(), ut->data() + ut->size(), u);
  auto r2 = std::from_chars(st->data(), st->data() + st->size(), s);
  if (r1.ec != std::errc() || r2.ec != std::errc()) return std::nullopt;
  out.ticks = u + s;
  if (const std::string* p = field(39)) {
    int cpu = -1;
    if (std::from_chars(p->data(), p->data() + p->size(), cpu).ec == std::errc()) out.cpu = cpu;
  }
  return out;
}

TargetCpuSample ReadTargetCpu(const host::HostPaths& paths, const std::vector<int>& pids,
                              const std::vector<std::string>& comms) {
  TargetCpuSample out;
  if (pids.empty() && comms.empty()) {
    out.reason = "no target server given (--target-pid or --target-comm)";
    return out;
  }
  long hz = ::sysconf(_SC_CLK_TCK);
  double tick = 1.0 / static_cast<double>(hz > 0 ? hz : 100);
  unsigned long long ticks = 0;
  bool found = false;
  std::set<int> cpus;
  std::set<int> counted;  // thread ids already summed
  auto add_thread = [&](int pid, int tid) {
    if (!counted.insert(tid).second) return;
    auto line = ReadFile(paths.proc + "/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                         "/stat");
    if (!line) return;
    if (auto st = ParseStatLine(*line)) {
      ticks += st->ticks;
      if (st->cpu >= 0) cpus.insert(st->cpu);
      found = true;
    }
  };
  for (int pid : pids) {
    for (int tid : NumericEntries(paths.proc + "/" + std::to_string(pid) + "/task")) {
      add_thread(pid, tid);
    }
  }
  if (!comms.empty()) {
    for (int pid : NumericEntries(paths.proc)) {
      for (int tid : NumericEntries(paths.proc + "/" + std::to_string(pid) + "/task")) {
        auto comm = ReadFile(paths.proc + "/" + std::to_string(pid) + "/task/" +
                             std::to_string(tid) + "/comm");
        if (!comm) continue;
        std::string name = Trim(*comm);
        if (std::find(comms.begin(), comms.end(), name) != comms.end()) add_thread(pid, tid);
      }
    }
  }
  if (!found) {
    out.reason = "the target process was not found under " + paths.proc;
    return out;
  }
  out.seconds = static_cast<double>(ticks) * tick;
  out.cpus.assign(cpus.begin(), cpus.end());
  return out;
}

}  // namespace tunescope::advisor
