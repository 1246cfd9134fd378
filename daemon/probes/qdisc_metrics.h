// The metric names the qdisc probe exports, declared once: qdisc.cpp builds its families
// with them and the advisor reads them by name. No libbpf here, so the advisor includes it cheaply.
#pragma once

#include <string_view>

namespace tunescope::probes::qdisc_metrics {

inline constexpr char kLockContentions[] = "tunescope_qdisc_lock_contentions_total";
inline constexpr char kLockWaitSeconds[] = "tunescope_qdisc_lock_wait_seconds_total";
inline constexpr char kPackets[] = "tunescope_qdisc_packets_total";
inline constexpr char kSeconds[] = "tunescope_qdisc_seconds_total";
inline constexpr char kTimedPackets[] = "tunescope_qdisc_timed_packets_total";
inline constexpr char kUnpairedPackets[] = "tunescope_qdisc_unpaired_packets_total";
inline constexpr char kDequeuedPackets[] = "tunescope_qdisc_dequeued_packets_total";
inline constexpr char kInfo[] = "tunescope_qdisc_info";

// tunescope's own programs run inside the spans kSeconds times: through a qdisc the enqueue
// tracepoint whole and about half of each of the four that open, close, pause or resume a span
// (queue, start_xmit, driver return, the run's next dequeue); through noqueue half of the two
// that open and close it. Whoever reads kSeconds as the kernel's time takes these parts out:
// of the mean run time for a program that runs once for every packet of every device, of the
// run time per qdisc packet (kPackets) for one that runs only on qdisc devices, any number of
// times a packet (an enqueue when it queues; a dequeue per packet sent and one ending each run).
struct ProgramInSpan {
  const char* program;  // without the mode suffix (_btf, _raw)
  bool every_packet;
  double qdisc_part;
  double noqueue_part;
};
inline constexpr ProgramInSpan kProgramsInSpan[] = {{"ts_qdisc_enqueue", false, 1.0, 0},
                                                    {"ts_qdisc_dequeue", false, 0.5, 0},
                                                    {"ts_qdisc_dev_queue", true, 0.5, 0.5},
                                                    {"ts_qdisc_start_xmit", true, 0.5, 0.5},
                                                    {"ts_qdisc_dev_xmit", true, 0.5, 0}};

// Every name above, for the probe catalogue.
inline constexpr std::string_view kAll[] = {
    kLockContentions, kLockWaitSeconds, kPackets,         kSeconds,
    kTimedPackets,    kUnpairedPackets, kDequeuedPackets, kInfo};

}  // namespace tunescope::probes::qdisc_metrics
