#include "host/net_devices.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "host/text.h"

namespace tunescope::host {

namespace {

std::optional<long long> read_int(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return std::nullopt;
  const auto v = parse_i64(trim(*text));
  if (!v) return std::nullopt;
  return static_cast<long long>(*v);
}

Result<std::vector<int>> read_mask(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return fail<std::vector<int>>(text.error());
  auto cpus = parse_cpu_mask(*text);
  if (!cpus)
    return fail<std::vector<int>>(path + ": bad CPU mask '" + std::string(trim(*text)) + "'");
  return *cpus;
}

std::string basename_of_link(const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  const std::string target(buf, static_cast<std::size_t>(n));
  const std::size_t slash = target.rfind('/');
  return slash == std::string::npos ? target : target.substr(slash + 1);
}

}  // namespace

bool NetDevice::rps_enabled() const {
  for (const auto& q : rps) {
    if (q.cpus && !q.cpus->empty()) return true;
  }
  return false;
}

bool NetDevice::xps_enabled() const {
  for (const auto& q : xps) {
    if (q.cpus && !q.cpus->empty()) return true;
  }
  return false;
}

Result<NetDevice> read_net_device(const HostPaths& paths, std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
    return fail<NetDevice>("bad device name '" + std::string(name) + "'");
  }
  const std::string dir = paths.sys + "/class/net/" + std::string(name);
  auto queues = list_directory(dir + "/queues");
  if (!queues) {
    if (::access(dir.c_str(), F_OK) != 0) return fail<NetDevice>(dir + ": no such device");
  }
  NetDevice dev;
  dev.name = std::string(name);
  if (auto idx = read_int(dir + "/ifindex")) dev.ifindex = static_cast<int>(*idx);
  dev.has_device = ::access((dir + "/device").c_str(), F_OK) == 0;
  if (dev.has_device) {
    std::string drv = basename_of_link(dir + "/device/driver");
    if (!drv.empty()) dev.driver = drv;
  }
  if (auto op = read_text_file(dir + "/operstate")) dev.operstate = std::string(trim(*op));
  dev.gro_flush_timeout = read_int(dir + "/gro_flush_timeout");
  dev.napi_defer_hard_irqs = read_int(dir + "/napi_defer_hard_irqs");
  if (queues) {
    for (const auto& q : *queues) {
      if (starts_with(q, "rx-")) {
        ++dev.rx_queues;
        dev.rps.push_back(QueueCpus{q, read_mask(dir + "/queues/" + q + "/rps_cpus")});
      } else if (starts_with(q, "tx-")) {
        ++dev.tx_queues;
        dev.xps.push_back(QueueCpus{q, read_mask(dir + "/queues/" + q + "/xps_cpus")});
      }
    }
  }
  // list_directory sorts by name: "rx-10" before "rx-2". Sort by queue number instead.
  const auto by_number = [](const QueueCpus& a, const QueueCpus& b) {
    const auto na = parse_u64(std::string_view(a.queue).substr(3));
    const auto nb = parse_u64(std::string_view(b.queue).substr(3));
    return na.value_or(0) < nb.value_or(0);
  };
  std::sort(dev.rps.begin(), dev.rps.end(), by_number);
  std::sort(dev.xps.begin(), dev.xps.end(), by_number);
  return dev;
}

Result<std::vector<NetDevice>> read_net_devices(const HostPaths& paths) {
  auto names = list_directory(paths.sys + "/class/net");
  if (!names) return fail<std::vector<NetDevice>>(names.error());
  std::vector<NetDevice> devs;
  for (const auto& n : *names) {
    auto d = read_net_device(paths, n);
    if (d) devs.push_back(std::move(*d));
  }
  return devs;
}

}  // namespace tunescope::host
