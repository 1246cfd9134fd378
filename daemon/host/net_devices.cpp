#include "host/net_devices.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "host/text.h"

namespace tunescope::host {

namespace {

std::optional<long long> ReadInt(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return std::nullopt;
  const auto v = ParseI64(Trim(*text));
  if (!v) return std::nullopt;
  return static_cast<long long>(*v);
}

Result<std::vector<int>> ReadMask(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return Result<std::vector<int>>::Error(text.error());
  auto cpus = ParseCpuMask(*text);
  if (!cpus)
    return Result<std::vector<int>>::Error(path + ": bad CPU mask '" + std::string(Trim(*text)) +
                                           "'");
  return *cpus;
}

std::string BasenameOfLink(const std::string& path) {
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

Result<NetDevice> ReadNetDevice(const HostPaths& paths, std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
    return Result<NetDevice>::Error("bad device name '" + std::string(name) + "'");
  }
  const std::string dir = paths.sys + "/class/net/" + std::string(name);
  auto queues = ListDirectory(dir + "/queues");
  if (!queues) {
    if (::access(dir.c_str(), F_OK) != 0) return Result<NetDevice>::Error(dir + ": no such device");
  }
  NetDevice dev;
  dev.name = std::string(name);
  if (auto idx = ReadInt(dir + "/ifindex")) dev.ifindex = static_cast<int>(*idx);
  dev.has_device = ::access((dir + "/device").c_str(), F_OK) == 0;
  if (dev.has_device) {
    std::string drv = BasenameOfLink(dir + "/device/driver");
    if (!drv.empty()) dev.driver = drv;
  }
  if (auto op = ReadTextFile(dir + "/operstate")) dev.operstate = std::string(Trim(*op));
  dev.gro_flush_timeout = ReadInt(dir + "/gro_flush_timeout");
  dev.napi_defer_hard_irqs = ReadInt(dir + "/napi_defer_hard_irqs");
  if (queues) {
    for (const auto& q : *queues) {
      if (StartsWith(q, "rx-")) {
        ++dev.rx_queues;
        dev.rps.push_back(QueueCpus{q, ReadMask(dir + "/queues/" + q + "/rps_cpus")});
      } else if (StartsWith(q, "tx-")) {
        ++dev.tx_queues;
        dev.xps.push_back(QueueCpus{q, ReadMask(dir + "/queues/" + q + "/xps_cpus")});
      }
    }
  }
  // list_directory sorts by name: "rx-10" before "rx-2". Sort by queue number instead.
  const auto by_number = [](const QueueCpus& a, const QueueCpus& b) {
    const auto na = ParseU64(std::string_view(a.queue).substr(3));
    const auto nb = ParseU64(std::string_view(b.queue).substr(3));
    return na.value_or(0) < nb.value_or(0);
  };
  std::sort(dev.rps.begin(), dev.rps.end(), by_number);
  std::sort(dev.xps.begin(), dev.xps.end(), by_number);
  return dev;
}

Result<std::vector<NetDevice>> ReadNetDevices(const HostPaths& paths) {
  auto names = ListDirectory(paths.sys + "/class/net");
  if (!names) return Result<std::vector<NetDevice>>::Error(names.error());
  std::vector<NetDevice> devs;
  for (const auto& n : *names) {
    auto d = ReadNetDevice(paths, n);
    if (d) devs.push_back(std::move(*d));
  }
  return devs;
}

}  // namespace tunescope::host
