#include "host/sysctl.h"

#include <algorithm>
#include <cctype>

#include "host/text.h"

namespace tunescope::host {

Result<std::string> SysctlPath(const HostPaths& paths, std::string_view name) {
  const std::string quoted = "sysctl '" + std::string(name) + "'";
  if (name.empty()) return Result<std::string>::Error("empty sysctl name");
  for (char c : name) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '/';
    if (!ok) return Result<std::string>::Error(quoted + ": invalid character in name");
  }
  // Slash form keeps dots inside components; dotted form maps every dot to a slash.
  const bool slash_form = name.find('/') != std::string_view::npos;
  std::string rel(name);
  if (!slash_form) {
    for (char& c : rel) {
      if (c == '.') c = '/';
    }
  }
  std::string_view rest = rel;
  while (true) {
    const std::size_t sep = rest.find('/');
    const std::string_view comp = rest.substr(0, sep);
    if (comp.empty() || comp == "." || comp == "..") {
      return Result<std::string>::Error(quoted + ": empty or relative path component");
    }
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 1);
  }
  return paths.proc + "/sys/" + rel;
}

std::string NormalizeSysctlValue(std::string_view raw) {
  std::string out;
  for (auto f : SplitWhitespace(Trim(raw))) {
    if (!out.empty()) out += ' ';
    out += f;
  }
  return out;
}

Result<std::string> ReadSysctl(const HostPaths& paths, std::string_view name) {
  auto path = SysctlPath(paths, name);
  if (!path) return path;
  auto text = ReadTextFile(*path);
  if (!text) return Result<std::string>::Error("sysctl " + std::string(name) + ": " + text.error());
  return NormalizeSysctlValue(*text);
}

Result<std::optional<long long>> ReadSysctlInt(const HostPaths& paths, std::string_view name) {
  auto v = ReadSysctl(paths, name);
  if (!v) return Result<std::optional<long long>>::Error(v.error());
  const auto n = ParseI64(*v);
  if (!n) return std::optional<long long>{};
  return std::optional<long long>{static_cast<long long>(*n)};
}

Result<Ok> WriteSysctl(const HostPaths& paths, std::string_view name, std::string_view value) {
  auto path = SysctlPath(paths, name);
  if (!path) return Result<Ok>::Error(path.error());
  auto r = WriteTextFile(*path, value);
  if (!r) return Result<Ok>::Error("sysctl " + std::string(name) + ": " + r.error());
  return r;
}

const SysctlValue* SysctlTable::find(std::string_view name) const {
  for (const auto& v : values) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::optional<long long> SysctlTable::get_int(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr || !v->value) return std::nullopt;
  const auto n = ParseI64(*v->value);
  if (!n) return std::nullopt;
  return static_cast<long long>(*n);
}

bool PerNetnsSysctl(std::string_view name) {
  return name.starts_with("net.") &&
         std::find(std::begin(kHostWideNetSysctls), std::end(kHostWideNetSysctls), name) ==
             std::end(kHostWideNetSysctls);
}

SysctlTable ReadAdvisorSysctls(const HostPaths& paths) {
  SysctlTable table;
  for (auto name : kAdvisorSysctls) {
    table.values.push_back(SysctlValue{std::string(name), ReadSysctl(paths, name)});
  }
  return table;
}

}  // namespace tunescope::host
