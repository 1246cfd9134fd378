#include "host/softnet_stat.h"

#include <string>

#include "host/text.h"

namespace tunescope::host {

std::uint64_t SoftnetStat::total_processed() const {
  std::uint64_t s = 0;
  for (const auto& c : cpus) s += c.processed;
  return s;
}

std::uint64_t SoftnetStat::total_dropped() const {
  std::uint64_t s = 0;
  for (const auto& c : cpus) s += c.dropped;
  return s;
}

std::uint64_t SoftnetStat::total_time_squeeze() const {
  std::uint64_t s = 0;
  for (const auto& c : cpus) s += c.time_squeeze;
  return s;
}

Result<SoftnetStat> ParseSoftnetStat(std::string_view text, std::string_view source) {
  const std::string src(source);
  SoftnetStat stat;
  const auto lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto fields = SplitWhitespace(lines[i]);
    if (fields.empty()) continue;
    const std::string where = src + ": line " + std::to_string(i + 1);
    // Every kernel since 2.6 prints at least 9 columns.
    if (fields.size() < 9) {
      return Result<SoftnetStat>::Error(where + ": " + std::to_string(fields.size()) +
                                        " columns, expected at least 9 (truncated?)");
    }
    std::vector<std::uint64_t> v;
    for (auto f : fields) {
      const auto n = ParseU64(f, 16);
      if (!n)
        return Result<SoftnetStat>::Error(where + ": bad hex column '" + std::string(f) + "'");
      v.push_back(*n);
    }
    SoftnetCpu cpu;
    cpu.processed = v[0];
    cpu.dropped = v[1];
    cpu.time_squeeze = v[2];
    if (v.size() > 9) cpu.received_rps = v[9];
    if (v.size() > 10) cpu.flow_limit_count = v[10];
    if (v.size() > 11) cpu.backlog_len = v[11];
    cpu.cpu = v.size() > 12 ? static_cast<int>(v[12]) : static_cast<int>(stat.cpus.size());
    stat.cpus.push_back(cpu);
  }
  if (stat.cpus.empty()) return Result<SoftnetStat>::Error(src + ": no CPU lines");
  return stat;
}

Result<SoftnetStat> ReadSoftnetStat(const HostPaths& paths) {
  const std::string path = paths.proc + "/net/softnet_stat";
  auto text = ReadTextFile(path);
  if (!text) return Result<SoftnetStat>::Error(text.error());
  return ParseSoftnetStat(*text, path);
}

}  // namespace tunescope::host
