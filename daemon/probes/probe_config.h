// What the command line tells probes: targets and map bounds. Probes ignore what they do not use.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tunescope::probes {

struct ProbeConfig {
  // Kernel BTF for CO-RE relocation; empty means the running kernel's own.
  std::string btf_path;
  // The API server being tuned: thread-group ids and thread names (comm, 15 chars at most).
  std::vector<pid_t> target_pids;
  std::vector<std::string> target_comms;
  // Local TCP/UDP ports of the server (xcpu, reqlat).
  std::vector<uint16_t> target_ports;
  // softirq: also time NET_RX from raise to run (one more program, on every softirq raise).
  bool softirq_raise_delay = false;
  // softirq: time 1 in N runs of each vector on each CPU (a power of two; 1 = every run). Runs
  // are always counted exactly; time is the timed runs' sum times N. Timing costs two clock
  // reads per run, most of the always-on set's cost, so the daemon samples by default.
  uint32_t softirq_sample = 8;
  // serve's windows turn kernel BPF statistics on (--overhead-budget), which the netfilter
  // bracket then calibrates for too.
  bool stats_in_windows = false;
  // Map bounds; a full map is counted in tunescope_map_full_total instead of growing.
  uint32_t max_tasks = 16384;
  uint32_t max_irqs = 1024;
  // Network-path probes (netfilter, qdisc, xcpu).
  uint32_t max_qdisc_devices = 256;  // qdisc: devices (label values) remembered
  double qdisc_forget_idle_s = 600;  // qdisc: a device that sent nothing this long is dropped
  uint32_t max_sockets = 65536;      // xcpu: sockets of the target ports remembered
  std::string xdp_iface;             // xcpu: count rx packets per queue and CPU here (XDP)
  // reqlat: usdt mode attaches to this binary's refserver USDT notes (in target_pids only,
  // when given); server sockets with a request in progress, and requests parsed but not yet
  // answered (usdt), that it remembers.
  std::string usdt_binary;
  uint32_t max_request_sockets = 65536;
  uint32_t max_requests_inflight = 65536;
};

}  // namespace tunescope::probes
