#include "host/cpu_security.h"

#include "host/text.h"

namespace tunescope::host {

std::string_view to_string(VulnState s) {
  switch (s) {
    case VulnState::kNotAffected:
      return "not_affected";
    case VulnState::kMitigated:
      return "mitigated";
    case VulnState::kVulnerable:
      return "vulnerable";
    case VulnState::kUnknown:
      break;
  }
  return "unknown";
}

VulnState ClassifyVulnerability(std::string_view text) {
  text = Trim(text);
  if (StartsWith(text, "Not affected")) return VulnState::kNotAffected;
  if (StartsWith(text, "Mitigation")) return VulnState::kMitigated;
  if (StartsWith(text, "Vulnerable")) return VulnState::kVulnerable;
  return VulnState::kUnknown;
}

const Vulnerability* VulnerabilityList::find(std::string_view name) const {
  for (const auto& v : items) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

int VulnerabilityList::count(VulnState s) const {
  int n = 0;
  for (const auto& v : items) n += v.state == s ? 1 : 0;
  return n;
}

Result<VulnerabilityList> ReadVulnerabilities(const HostPaths& paths) {
  const std::string dir = paths.sys + "/devices/system/cpu/vulnerabilities";
  auto names = ListDirectory(dir);
  if (!names) {
    return Result<VulnerabilityList>::Error(names.error() +
                                            " (kernel does not report CPU vulnerabilities)");
  }
  VulnerabilityList list;
  for (const auto& name : *names) {
    auto text = ReadTextFile(dir + "/" + name);
    if (!text) continue;
    const std::string t(Trim(*text));
    list.items.push_back(Vulnerability{name, t, ClassifyVulnerability(t)});
  }
  return list;
}

bool KernelCmdline::has(std::string_view key) const {
  for (const auto& p : params) {
    if (p.key == key) return true;
  }
  return false;
}

std::optional<std::string> KernelCmdline::value(std::string_view key) const {
  std::optional<std::string> v;
  for (const auto& p : params) {
    if (p.key == key && p.value) v = p.value;
  }
  return v;
}

bool KernelCmdline::mitigations_off() const {
  return value("mitigations") == "off";
}
bool KernelCmdline::nospectre_v1() const {
  return has("nospectre_v1");
}
bool KernelCmdline::nospectre_v2() const {
  return has("nospectre_v2") || value("spectre_v2") == "off";
}
bool KernelCmdline::pti_off() const {
  return has("nopti") || value("pti") == "off";
}
bool KernelCmdline::mds_off() const {
  return value("mds") == "off";
}
bool KernelCmdline::tsx_async_abort_off() const {
  return value("tsx_async_abort") == "off";
}

std::optional<bool> KernelCmdline::audit() const {
  const auto v = value("audit");
  if (!v) return std::nullopt;
  if (*v == "0" || *v == "off") return false;
  if (*v == "1" || *v == "on") return true;
  return std::nullopt;
}

KernelCmdline ParseCmdline(std::string_view text) {
  KernelCmdline cl;
  cl.raw = std::string(Trim(text));
  // Split on spaces outside double quotes, as the kernel's next_arg() does.
  std::string_view s = cl.raw;
  while (!s.empty()) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
      s.remove_prefix(1);
    }
    if (s.empty()) break;
    std::size_t i = 0;
    bool quoted = false;
    while (i < s.size() && (quoted || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'))) {
      if (s[i] == '"') quoted = !quoted;
      ++i;
    }
    const std::string_view tok = s.substr(0, i);
    s.remove_prefix(i);
    if (tok == "--") break;
    CmdlineParam p;
    const std::size_t eq = tok.find('=');
    p.key = std::string(tok.substr(0, eq));
    if (eq != std::string_view::npos) {
      std::string v;
      for (char c : tok.substr(eq + 1)) {
        if (c != '"') v += c;
      }
      p.value = std::move(v);
    }
    std::erase(p.key, '"');
    cl.params.push_back(std::move(p));
  }
  return cl;
}

Result<KernelCmdline> ReadCmdline(const HostPaths& paths) {
  auto text = ReadTextFile(paths.proc + "/cmdline");
  if (!text) return Result<KernelCmdline>::Error(text.error());
  return ParseCmdline(*text);
}

}  // namespace tunescope::host
