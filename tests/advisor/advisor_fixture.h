// Fixture evidence for rule tests: host facts before/after a window, metric snapshots, CPU
// times. Everything starts "not read" (as on a host where nothing is known) and each test sets
// only what its rule reads.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "advisor/catalogue.h"
#include "advisor/evidence.h"

namespace tunescope::advisor::testing {

class Fixture {
 public:
  Fixture() {
    before.cpus_online = after.cpus_online = 4;
    cpu.numa_nodes = 1;
  }
  void Counter(const std::string& family, LabelSet labels, double then, double now) {
    Sample a{labels, then, 0, {}};
    Sample b{std::move(labels), now, 0, {}};
    m0.Add(family, std::move(a));
    m1.Add(family, std::move(b));
  }
  // A device as the qdisc probe reports it: name, network namespace, root qdisc, virtual.
  void QdiscDevice(const std::string& device, const std::string& netns, const std::string& kind,
                   bool is_virtual) {
    Counter("tunescope_qdisc_info",
            {{"device", device},
             {"netns", netns},
             {"kind", kind},
             {"virtual", is_virtual ? "true" : "false"}},
            1, 1);
  }
  // A histogram whose window delta is `count` samples summing to `sum`, all in bucket `le`.
  void Histogram(const std::string& family, double le, double count, double sum) {
    Sample a{{}, 0, 0, {{le / 2, 0}, {le, 0}, {INFINITY, 0}}};
    Sample b{{}, count, sum, {{le / 2, 0}, {le, count}, {INFINITY, count}}};
    m0.Add(family, std::move(a));
    m1.Add(family, std::move(b));
  }
  // The target's threads ran on `cpus`, each `busy` seconds busy in the window; the other CPUs
  // of a 4-CPU host were `other` seconds busy.
  void Server(std::vector<int> cpus, double busy, double other = 0) {
    cpu.host_busy_seconds = 0;
    for (int c = 0; c < 4; ++c) {
      bool server = std::find(cpus.begin(), cpus.end(), c) != cpus.end();
      cpu.cpu_busy_seconds[c] = server ? busy : other;
      *cpu.host_busy_seconds += cpu.cpu_busy_seconds[c];
    }
    cpu.target_cpus = std::move(cpus);
    cpu.target_cpu_seconds = busy * static_cast<double>(cpu.target_cpus.size());
  }
  void Sysctl(const std::string& name, const std::string& value) {
    before.sysctls.values.push_back({name, value});
    after.sysctls.values.push_back({name, value});
  }
  void Tcp(std::optional<std::int64_t> host::TcpCounters::*field, std::int64_t then,
           std::int64_t now) {
    before.tcp.*field = then;
    after.tcp.*field = now;
  }
  Evidence Build() const {
    return Evidence(m0, m1, window, std::make_shared<host::HostFacts>(before),
                    std::make_shared<host::HostFacts>(after), cpu);
  }
  Prediction Eval(std::string_view id) const {
    const Tuning* t = FindTuning(id);
    if (t == nullptr) return {};
    Prediction p = t->rule(*t, Build());
    p.tuning = t;
    return p;
  }

  host::HostFacts before, after;
  MetricSnapshot m0, m1;
  CpuTimes cpu;
  double window = 10;
};

}  // namespace tunescope::advisor::testing
