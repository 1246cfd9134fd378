#include "advisor/evidence.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "host/text.h"
#include "probes/bpf_stats_metrics.h"
#include "probes/softirq_metrics.h"

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

namespace {

std::optional<double> Delta(const host::TcpCounters& before, const host::TcpCounters& after,
                            std::optional<std::int64_t> host::TcpCounters::*field) {
  const auto& then = before.*field;
  const auto& now = after.*field;
  if (!then || !now) return std::nullopt;
  return static_cast<double>(*now - *then);
}

}  // namespace

std::optional<double> Evidence::TcpDelta(
    std::optional<std::int64_t> host::TcpCounters::*field) const {
  if (host_before_ == nullptr) return std::nullopt;
  // A server that restarted into another namespace: two namespaces' counters do not subtract.
  auto id = [](const host::HostFacts& h) { return h.target_netns ? h.target_netns->id : ""; };
  if (id(*host_before_) != id(*host_)) return std::nullopt;
  return Delta(host_before_->tcp, host_->tcp, field);
}

std::optional<double> Evidence::OwnTcpDelta(
    std::optional<std::int64_t> host::TcpCounters::*field) const {
  if (host_before_ == nullptr || !host_before_->own_tcp || !host_->own_tcp) return std::nullopt;
  return Delta(*host_before_->own_tcp, *host_->own_tcp, field);
}

std::optional<double> Evidence::UnprobedTcp::Delta(
    std::optional<std::int64_t> host::TcpCounters::*field) const {
  return advisor::Delta(before, after, field);
}

std::optional<double> Evidence::UnprobedTcp::OwnDelta(
    std::optional<std::int64_t> host::TcpCounters::*field) const {
  if (!own_before || !own_after) return std::nullopt;
  return advisor::Delta(*own_before, *own_after, field);
}

std::optional<double> Evidence::SumDeltas(std::string_view family,
                                          const std::function<bool(const LabelSet&)>& keep) const {
  const std::vector<Sample>* now = after_.Find(family);
  if (now == nullptr) return std::nullopt;
  const std::vector<Sample>* then = before_.Find(family);
  double total = 0;
  for (const Sample& s : *now) {
    if (!keep(s.labels)) continue;
    const Sample* old = FindSame(then, s.labels);
    double d = s.value - (old != nullptr ? old->value : 0);
    if (d > 0) total += d;  // a reset counter (probe restarted) adds nothing
  }
  return total;
}

std::optional<double> Evidence::CounterDelta(std::string_view family,
                                             const LabelFilter& filter) const {
  return SumDeltas(family, [&](const LabelSet& l) { return Matches(l, filter); });
}

std::vector<LabelSet> Evidence::Series(std::string_view family) const {
  std::vector<LabelSet> out;
  if (const std::vector<Sample>* now = after_.Find(family)) {
    for (const Sample& s : *now) out.push_back(s.labels);
  }
  return out;
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

namespace {

constexpr const char* kProgramSeconds = probes::bpf_stats_metrics::kProgramRunSeconds;

// Whole milliseconds, as the basis names the parts taken out of it (a week's window on many
// CPUs is past an int's range).
std::string Milliseconds(double seconds) {
  return std::to_string(std::llround(seconds * 1000));
}

bool OnAny(const LabelSet& labels, const std::vector<int>& cpus) {
  auto it = labels.find("cpu");
  if (it == labels.end()) return true;
  for (int c : cpus) {
    if (it->second == std::to_string(c)) return true;
  }
  return false;
}

}  // namespace

std::optional<Evidence::ServerCpu> Evidence::ServerCpuSeconds() const {
  if (!cpu_.host_busy_seconds || *cpu_.host_busy_seconds <= 0) return std::nullopt;
  ServerCpu out;
  double host_busy = *cpu_.host_busy_seconds;
  if (!cpu_.target_cpus.empty()) {
    out.cpus = cpu_.target_cpus;
    std::string names;
    for (int c : out.cpus) {
      auto it = cpu_.cpu_busy_seconds.find(c);
      if (it != cpu_.cpu_busy_seconds.end()) out.seconds += it->second;
      names += (names.empty() ? "" : ",") + std::to_string(c);
    }
    out.capacity = window_seconds_ * static_cast<double>(out.cpus.size());
    out.basis = "busy time of CPU " + names + ", where the target's threads ran";
  } else {
    out.seconds = host_busy;
    out.capacity = window_seconds_ * static_cast<double>(cpu_.cpu_busy_seconds.size());
    out.basis =
        "busy time of the whole host (" +
        (cpu_.target_reason.empty() ? std::string("no target server given") : cpu_.target_reason) +
        ")";
  }
  // With the clients on this host, a response's receive processing (delivery into the client's
  // socket, the client's wakeup) runs on the sender's CPU, the server's. That is the client's
  // work and it follows the server's pace (a faster server hands its client bigger batches), so
  // a removed cost is a share of the server's own work, without it.
  // Not so when RPS steers those packets to other CPUs: the NET_RX left on the server's CPUs is
  // then the hand-off of its own sends (the rps_rfs rule's cost).
  if (!out.cpus.empty() && LocalPeers() && RpsAwayFromServer().empty()) {
    if (auto rx = OnServerCpus(probes::softirq_metrics::kSeconds, {{"vector", "net_rx"}});
        rx && *rx > 0 && *rx < out.seconds) {
      out.local_client_seconds = *rx;
      out.seconds -= *rx;
      out.basis +=
          ", less " + Milliseconds(*rx) + " ms of NET_RX processing for clients on this host";
    }
  }
  // A process sharing the server's CPUs (a batch job, a noisy neighbour) takes its time there
  // whatever the server costs; a removed cost is a share of what the server itself spent.
  if (!out.cpus.empty() && cpu_.others_run_seconds && *cpu_.others_run_seconds > 0 &&
      *cpu_.others_run_seconds < out.seconds) {
    out.others_seconds = *cpu_.others_run_seconds;
    out.seconds -= out.others_seconds;
    out.basis +=
        ", less " + Milliseconds(out.others_seconds) + " ms that other processes ran there";
  }
  // tunescope's programs ran on every CPU; the server's CPUs carry their share in proportion to
  // those CPUs' busy time (BPF stats give no per-CPU split).
  if (auto programs = CounterDelta(kProgramSeconds); programs && *programs > 0) {
    out.probe_seconds = std::min(*programs * out.busy() / host_busy, 0.5 * out.seconds);
    out.seconds -= out.probe_seconds;
    out.basis += ", less " + Milliseconds(out.probe_seconds) + " ms of tunescope's own programs";
  }
  if (out.seconds <= 0) return std::nullopt;
  return out;
}

double Evidence::UnrecordedSecondsPerRun() const {
  const std::vector<Sample>* overhead = AtEnd(probes::bpf_stats_metrics::kRunOverheadSeconds);
  return overhead && !overhead->empty() ? overhead->front().value : 0;
}

bool Evidence::LocalPeers() const {
  const auto& l = host_->target_listeners;
  return l.ok() && l->established > 0 && l->local_peers * 2 > l->established;
}

std::vector<std::string> Evidence::RpsAwayFromServer() const {
  std::vector<std::string> out;
  const auto& server = cpu_.target_cpus;
  if (!host_->devices.ok() || server.empty()) return out;
  // Clients on this host reach the server over lo, or, when it is in a container, over the
  // container's veth: its peer here when the container's links say which, else any virtual
  // device (veth, bridge) of this namespace. Remote clients come in over the others.
  const bool local = LocalPeers();
  const bool container = host_->target_netns.has_value();
  std::set<int> peers;
  if (container && host_->target_link_peers.ok()) {
    for (const host::LinkPeer& p : *host_->target_link_peers) peers.insert(p.peer_ifindex);
  }
  auto carries_local = [&](const host::DeviceFacts& d) {
    if (!container) return d.device.name == "lo";
    if (!peers.empty()) return d.device.ifindex && peers.contains(*d.device.ifindex);
    return d.device.name != "lo" && !d.device.has_device;
  };
  for (const host::DeviceFacts& d : *host_->devices) {
    if (!(local ? carries_local(d) : d.device.name != "lo")) continue;
    for (const host::QueueCpus& q : d.device.rps) {
      if (!q.cpus.ok() || q.cpus->empty()) continue;
      bool reaches_server = std::any_of(q.cpus->begin(), q.cpus->end(), [&](int c) {
        return std::find(server.begin(), server.end(), c) != server.end();
      });
      if (!reaches_server) {
        out.push_back(d.device.name + " " + q.queue + " -> CPU " + host::FormatCpuList(*q.cpus));
      }
    }
  }
  return out;
}

std::optional<Evidence::ClientCpus> Evidence::LocalClientCpus() const {
  const auto& clients = host_->target_clients;
  const std::vector<int>& server = cpu_.target_cpus;
  if (!clients.ok() || clients->cpus.empty() || server.empty() || window_seconds_ <= 0) {
    return std::nullopt;
  }
  ClientCpus out;
  double busy = 0;
  for (int c : clients->cpus) {
    auto it = cpu_.cpu_busy_seconds.find(c);
    if (std::find(server.begin(), server.end(), c) != server.end() ||
        it == cpu_.cpu_busy_seconds.end()) {
      return std::nullopt;
    }
    busy += it->second;
  }
  out.cpus = clients->cpus;
  out.busy_seconds = busy;
  out.busy_share = busy / (window_seconds_ * static_cast<double>(out.cpus.size()));
  constexpr std::size_t kNamed = 3;
  for (std::size_t i = 0; i < clients->processes.size() && i < kNamed; ++i) {
    const host::ProcessInfo& p = clients->processes[i];
    out.names += (i == 0 ? "" : ", ") + p.comm + "[" + std::to_string(p.pid) + "]";
  }
  if (clients->processes.size() > kNamed) {
    out.names += " and " + std::to_string(clients->processes.size() - kNamed) + " more";
  }
  return out;
}

std::optional<double> Evidence::OnServerCpus(std::string_view family,
                                             const LabelFilter& filter) const {
  if (cpu_.target_cpus.empty())
    return SumDeltas(family, [&](const LabelSet& l) { return Matches(l, filter); });
  return OnCpus(family, filter, cpu_.target_cpus);
}

std::optional<double> Evidence::OnCpus(std::string_view family, const LabelFilter& filter,
                                       const std::vector<int>& cpus) const {
  return SumDeltas(family, [&](const LabelSet& l) { return Matches(l, filter) && OnAny(l, cpus); });
}

CpuSnapshot ReadCpuSnapshot(const host::HostPaths& paths, const std::vector<int>& pids,
                            const std::vector<std::string>& comms) {
  CpuSnapshot out;
  out.busy = host::ReadCpuBusy(paths);
  out.target_given = !pids.empty() || !comms.empty();
  if (out.target_given) {
    out.threads = host::ReadThreads(paths, pids, comms);
    out.all_threads = host::ReadAllThreadRuns(paths);
  }
  return out;
}

CpuTimes CpuDelta(const CpuSnapshot& before, const CpuSnapshot& after) {
  CpuTimes out;
  if (before.busy.ok() && after.busy.ok()) {
    double total = 0;
    for (const auto& [cpu, busy] : *after.busy) {
      auto it = before.busy->find(cpu);
      if (it == before.busy->end()) continue;
      double d = std::max(0.0, busy - it->second);
      out.cpu_busy_seconds[cpu] = d;
      total += d;
    }
    out.host_busy_seconds = total;
  }
  if (!before.target_given) {
    out.target_reason = "no target server given (--target-pid or --target-comm)";
    return out;
  }
  // Threads present at both ends; one that started or ended inside the window is left out.
  struct Delta {
    double cpu = 0, run = 0, wait = 0, slices = 0;
    std::set<int> cpus;
  };
  std::map<int, const host::ThreadAccounting*> then_by_tid;
  for (const host::ThreadAccounting& t : before.threads) then_by_tid[t.tid] = &t;
  std::map<int, Delta> threads;
  bool schedstat = true;
  for (const host::ThreadAccounting& now : after.threads) {
    auto found = then_by_tid.find(now.tid);
    if (found == then_by_tid.end()) continue;
    const host::ThreadAccounting& then = *found->second;
    Delta d;
    d.cpu = std::max(0.0, now.cpu_seconds - then.cpu_seconds);
    if (now.schedstat && then.schedstat && now.schedstat->run_ns >= then.schedstat->run_ns &&
        now.schedstat->wait_ns >= then.schedstat->wait_ns) {
      d.run = static_cast<double>(now.schedstat->run_ns - then.schedstat->run_ns) * 1e-9;
      d.wait = static_cast<double>(now.schedstat->wait_ns - then.schedstat->wait_ns) * 1e-9;
      d.slices = static_cast<double>(now.schedstat->timeslices - then.schedstat->timeslices);
    } else if (!now.schedstat || !then.schedstat) {
      schedstat = false;
    } else {
      continue;  // counters went back: the tid now names another thread
    }
    for (int c : {then.cpu, now.cpu}) {
      if (c >= 0) d.cpus.insert(c);
    }
    threads[now.tid] = d;
  }
  if (threads.empty()) {
    out.target_reason = "the target process was not found";
    return out;
  }
  double busiest = 0;
  for (const auto& [tid, d] : threads) busiest = std::max(busiest, std::max(d.run, d.cpu));
  std::set<int> cpus;
  double cpu = 0, run = 0, wait = 0, slices = 0;
  for (const auto& [tid, d] : threads) {
    cpu += d.cpu;
    run += d.run;
    wait += d.wait;
    slices += d.slices;
    // Idle threads (an nginx master, a timer thread) say nothing about where the work runs.
    if (busiest > 0 && std::max(d.run, d.cpu) >= host::kBusyThreadShare * busiest) {
      cpus.insert(d.cpus.begin(), d.cpus.end());
    }
  }
  out.target_cpu_seconds = cpu;
  if (schedstat) {
    out.target_run_seconds = run;
    out.target_wait_seconds = wait;
    out.target_timeslices = slices;
  }
  out.target_cpus.assign(cpus.begin(), cpus.end());
  if (!before.all_threads.empty() && !after.all_threads.empty()) {
    std::map<int, std::uint64_t> then;
    for (const host::ThreadRun& t : before.all_threads) then[t.tid] = t.run_ns;
    double others = 0;
    for (const host::ThreadRun& t : after.all_threads) {
      auto it = then.find(t.tid);
      if (it == then.end() || t.kernel_thread || threads.contains(t.tid) || !cpus.contains(t.cpu) ||
          t.run_ns < it->second) {
        continue;
      }
      others += static_cast<double>(t.run_ns - it->second) * 1e-9;
    }
    out.others_run_seconds = others;
  }
  return out;
}

std::optional<int> ReadNumaNodes(const host::HostPaths& paths) {
  auto entries = host::ListDirectory(paths.sys + "/devices/system/node");
  if (!entries) return std::nullopt;
  int nodes = 0;
  for (const std::string& name : *entries) {
    if (name.size() > 4 && name.starts_with("node") &&
        std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      ++nodes;
    }
  }
  return nodes;
}

}  // namespace tunescope::advisor
