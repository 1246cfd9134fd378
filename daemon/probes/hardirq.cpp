#include "probes/hardirq.h"

#include <cstring>
#include <string>

#include "hardirq.skel.h"
#include "metrics/family.h"
#include "probes/hardirq_metrics.h"
#include "probes/skeleton_probe.h"

extern "C" {
#include "hardirq.bpf.h"
}

namespace tunescope::probes {
namespace {

constexpr ProbeMode kModes[] = {
    {"tp_btf", "_btf", "BTF-typed tracepoints (kernel >= 5.5 with BTF)"},
    {"raw_tp", "_raw", "raw tracepoints (kernel >= 4.17)"},
    {"tracepoint", "_tp", "perf tracepoints irq:irq_handler_* (tracefs events)"},
};

constexpr std::string_view kMapNames[] = {"stats", "names"};

class HardirqProbe final : public SkeletonProbe<hardirq_bpf> {
 public:
  HardirqProbe()
      : SkeletonProbe(
            {hardirq_bpf__open_opts, hardirq_bpf__load, hardirq_bpf__destroy},
            {"hardirq",
             "hardirq handler count and time per IRQ and CPU (NIC queue interrupt spread)", kModes,
             kMapNames}) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    auto seconds = metrics::CounterFamily(hardirq_metrics::kSeconds,
                                          "Time spent in hardirq handlers, per IRQ and CPU.");
    auto handled =
        metrics::CounterFamily(hardirq_metrics::kHandled, "Hardirq handler runs, per IRQ and CPU.");
    const hardirq_bpf& s = *skel();
    int stats_fd = bpf_map__fd(s.maps.stats);
    for (uint32_t irq : MapKeys<uint32_t>(stats_fd, max_irqs_)) {
      auto per_cpu = ReadPerCpu<hardirq_stat>(stats_fd, &irq);
      if (!per_cpu) continue;
      std::string action = ActionName(irq);
      for (size_t cpu = 0; cpu < per_cpu->size(); ++cpu) {
        const hardirq_stat& st = (*per_cpu)[cpu];
        if (st.count == 0) continue;  // an IRQ never seen on a CPU adds no series there
        metrics::Labels labels{
            {"irq", std::to_string(irq)}, {"action", action}, {"cpu", std::to_string(cpu)}};
        seconds.Counter(labels, static_cast<double>(st.time_ns) * 1e-9);
        handled.Counter(labels, static_cast<double>(st.count));
      }
    }
    std::vector<prometheus::MetricFamily> out;
    metrics::Append(out, std::move(seconds));
    metrics::Append(out, std::move(handled));
    return out;
  }

 protected:
  Status Configure(hardirq_bpf& s, const ProbeMode&, const ProbeConfig& config) override {
    max_irqs_ = config.max_irqs;
    if (bpf_map__set_max_entries(s.maps.stats, config.max_irqs) != 0 ||
        bpf_map__set_max_entries(s.maps.names, config.max_irqs) != 0) {
      return Status::Error(ErrnoMessage("set map size", errno));
    }
    return {};
  }

 private:
  std::string ActionName(uint32_t irq) const {
    irq_name n{};
    if (bpf_map_lookup_elem(bpf_map__fd(skel()->maps.names), &irq, &n) != 0) return "unknown";
    n.name[sizeof(n.name) - 1] = '\0';
    return n.name[0] != '\0' ? std::string(n.name) : "unknown";
  }

  uint32_t max_irqs_ = 1024;
};

}  // namespace

std::unique_ptr<Probe> MakeHardirqProbe() {
  return std::make_unique<HardirqProbe>();
}

}  // namespace tunescope::probes
