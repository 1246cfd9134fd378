#include "host/irq_affinity.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <set>

#include "host/text.h"

namespace tunescope::host {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `name` at the start of `action`, followed by the end or a non-alphanumeric character, so
// "eth1" does not match "eth10-TxRx-0".
bool NamedAfter(std::string_view action, std::string_view name) {
  if (name.empty() || !StartsWith(action, name)) return false;
  if (action.size() == name.size()) return true;
  const char next = action[name.size()];
  return !std::isalnum(static_cast<unsigned char>(next));
}

std::optional<std::vector<int>> ReadList(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return std::nullopt;
  return ParseCpuList(*text);
}

}  // namespace

bool LooksLikeQueueIrq(std::string_view action) {
  const std::string a = Lower(action);
  if (a.find("config") != std::string::npos || a.find("async") != std::string::npos ||
      a.find("mgmnt") != std::string::npos || a.find("ctrl") != std::string::npos) {
    return false;
  }
  for (const char* key : {"rx", "tx", "input", "output", "comp", "queue"}) {
    if (a.find(key) != std::string::npos) return true;
  }
  return false;
}

std::vector<DeviceIrq> MatchDeviceIrqs(const InterruptTable& table, std::string_view dev,
                                       const std::vector<int>& msi_irqs,
                                       std::string_view bus_name) {
  std::vector<DeviceIrq> out;
  for (const auto& line : table.lines) {
    if (!line.number) continue;
    bool match = std::find(msi_irqs.begin(), msi_irqs.end(), *line.number) != msi_irqs.end();
    for (const auto& a : line.actions) {
      if (NamedAfter(a, dev) || NamedAfter(a, bus_name)) match = true;
    }
    if (!match) continue;
    DeviceIrq irq;
    irq.irq = *line.number;
    irq.actions = line.actions;
    irq.per_cpu = line.per_cpu;
    for (const auto& a : line.actions) irq.queue = irq.queue || LooksLikeQueueIrq(a);
    out.push_back(std::move(irq));
  }
  return out;
}

int DeviceIrqs::queue_irqs() const {
  int n = 0;
  for (const auto& i : irqs) n += i.queue ? 1 : 0;
  return n;
}

int DeviceIrqs::pinned_queue_irqs() const {
  int n = 0;
  for (const auto& i : irqs) n += (i.queue && i.affinity && i.affinity->size() == 1) ? 1 : 0;
  return n;
}

std::vector<int> DeviceIrqs::queue_cpus() const {
  std::set<int> cpus;
  for (const auto& i : irqs) {
    if (!i.queue || !i.affinity) continue;
    cpus.insert(i.affinity->begin(), i.affinity->end());
  }
  return {cpus.begin(), cpus.end()};
}

Result<DeviceIrqs> ReadDeviceIrqs(const HostPaths& paths, std::string_view dev,
                                  const InterruptTable& table) {
  if (dev.empty() || dev.find('/') != std::string_view::npos) {
    return Result<DeviceIrqs>::Error("bad device name '" + std::string(dev) + "'");
  }
  const std::string devdir = paths.sys + "/class/net/" + std::string(dev) + "/device";
  std::vector<int> msi;
  // PCI NICs list their vectors in device/msi_irqs; virtio NICs in the parent PCI device.
  for (const char* sub : {"/msi_irqs", "/../msi_irqs"}) {
    auto entries = ListDirectory(devdir + sub);
    if (!entries) continue;
    for (const auto& e : *entries) {
      if (auto n = ParseU64(e); n && *n < INT_MAX) msi.push_back(static_cast<int>(*n));
    }
    break;
  }
  std::string bus_name;
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(devdir.c_str(), buf, sizeof(buf) - 1);
  if (n > 0) {
    const std::string target(buf, static_cast<std::size_t>(n));
    bus_name = target.substr(target.rfind('/') + 1);
  }
  DeviceIrqs out;
  out.device = std::string(dev);
  out.irqs = MatchDeviceIrqs(table, dev, msi, bus_name);
  for (auto& irq : out.irqs) {
    const std::string base = paths.proc + "/irq/" + std::to_string(irq.irq);
    auto text = ReadTextFile(base + "/smp_affinity_list");
    if (!text) {
      irq.affinity = Result<std::vector<int>>::Error(text.error());
    } else if (auto cpus = ParseCpuList(*text)) {
      irq.affinity = *cpus;
    } else {
      irq.affinity = Result<std::vector<int>>::Error(base + "/smp_affinity_list: bad CPU list '" +
                                                     std::string(Trim(*text)) + "'");
    }
    irq.effective = ReadList(base + "/effective_affinity_list");
  }
  return out;
}

}  // namespace tunescope::host
