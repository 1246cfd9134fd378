#include "experiment_settings.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>

#include "experiment.h"
#include "host/net_devices.h"
#include "host/sysctl.h"

namespace tunescope {

std::string AllCpusMask(int n) {
  if (n <= 0) return "0";
  std::vector<uint32_t> groups(static_cast<size_t>((n + 31) / 32), 0);
  for (int c = 0; c < n; ++c) groups[static_cast<size_t>(c / 32)] |= 1u << (c % 32);
  std::string out;
  for (size_t i = groups.size(); i-- > 0;) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), i + 1 == groups.size() ? "%x" : "%08x", groups[i]);
    out.append(out.empty() ? "" : ",").append(buf);
  }
  return out;
}

namespace experiment {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::optional<std::string> ReadText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return std::nullopt;
  return Trim(out);
}

Status WriteText(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(ErrnoMessage("open " + path, errno));
  std::string line = value + "\n";
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (n < 0) return Status::Error(ErrnoMessage("write \"" + value + "\" to " + path, err));
  return {};
}

}  // namespace

Status Plan(const advisor::Tuning& t, const host::HostPaths& paths, int cpus,
            std::vector<Setting>& out) {
  if (t.experiment == advisor::ExperimentKind::kSysctl) {
    for (const advisor::SysctlSetting& s : t.sysctls) {
      auto path = host::SysctlPath(paths, s.name);
      if (!path.ok()) return Status::Error(path.error());
      auto original = ReadText(*path);
      if (!original) return Status::Error(ErrnoMessage("read " + *path, errno));
      out.push_back({std::string(s.name), *path, *original, std::string(s.value)});
    }
    return {};
  }
  if (t.experiment == advisor::ExperimentKind::kRpsMask) {
    auto devices = host::ReadNetDevices(paths);
    if (!devices.ok()) return Status::Error(devices.error());
    std::string mask = AllCpusMask(cpus);
    for (const host::NetDevice& d : *devices) {
      if (d.name == "lo" || d.rps_enabled()) continue;
      for (const host::QueueCpus& q : d.rps) {
        std::string path = paths.sys + "/class/net/" + d.name + "/queues/" + q.queue + "/rps_cpus";
        auto original = ReadText(path);
        if (!original) continue;  // some virtual devices have no rps_cpus
        out.push_back({d.name + " " + q.queue + " rps_cpus", path, *original, mask});
      }
    }
    if (out.empty()) return Status::Error("no device without RPS to try it on");
    return {};
  }
  return Status::Error("tuning " + std::string(t.id) + " has no automated experiment");
}

Status Applier::Apply(const Setting& s) {
  applied_.push_back(s);  // before writing: a partial write is restored too
  return WriteText(s.path, s.target);
}

Status Applier::Restore() {
  Status result;
  while (!applied_.empty()) {
    const Setting& s = applied_.back();
    if (Status st = WriteText(s.path, s.original); !st.ok()) {
      std::cerr << "tunescope experiment: could not restore " << s.what << ": " << st.error()
                << " (restore it by hand: write \"" << s.original << "\" to " << s.path << ")\n";
      result = st;
    } else {
      std::cerr << "restored " << s.what << " = " << s.original << "\n";
    }
    applied_.pop_back();
  }
  return result;
}

}  // namespace experiment
}  // namespace tunescope
