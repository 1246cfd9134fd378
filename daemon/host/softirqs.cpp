#include "host/softirqs.h"

#include "host/text.h"

namespace tunescope::host {

std::uint64_t SoftirqRow::total() const {
  std::uint64_t sum = 0;
  for (auto v : per_cpu) sum += v;
  return sum;
}

const SoftirqRow* SoftirqTable::find(std::string_view name) const {
  for (const auto& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

Result<SoftirqTable> ParseSoftirqs(std::string_view text, std::string_view source) {
  const std::string src(source);
  const auto lines = SplitLines(text);
  if (lines.empty()) return Result<SoftirqTable>::Error(src + ": empty");
  SoftirqTable table;
  for (auto cpu : SplitWhitespace(lines[0])) {
    if (!StartsWith(cpu, "CPU")) {
      return Result<SoftirqTable>::Error(src + ": header: expected CPU columns, got '" +
                                         std::string(cpu) + "'");
    }
    table.cpus.emplace_back(cpu);
  }
  if (table.cpus.empty()) return Result<SoftirqTable>::Error(src + ": header has no CPU columns");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto fields = SplitWhitespace(lines[i]);
    if (fields.empty()) continue;
    const std::string line_no = std::to_string(i + 1);
    if (fields[0].size() < 2 || fields[0].back() != ':') {
      return Result<SoftirqTable>::Error(src + ": line " + line_no + ": expected 'NAME:'");
    }
    if (fields.size() != table.cpus.size() + 1) {
      return Result<SoftirqTable>::Error(src + ": line " + line_no + ": " +
                                         std::to_string(fields.size() - 1) + " counts for " +
                                         std::to_string(table.cpus.size()) + " CPUs (truncated?)");
    }
    SoftirqRow row;
    row.name = std::string(fields[0].substr(0, fields[0].size() - 1));
    for (std::size_t c = 1; c < fields.size(); ++c) {
      const auto v = ParseU64(fields[c]);
      if (!v) {
        return Result<SoftirqTable>::Error(src + ": line " + line_no + ": bad count '" +
                                           std::string(fields[c]) + "'");
      }
      row.per_cpu.push_back(*v);
    }
    table.rows.push_back(std::move(row));
  }
  if (table.rows.empty()) return Result<SoftirqTable>::Error(src + ": no softirq rows");
  return table;
}

Result<SoftirqTable> ReadSoftirqs(const HostPaths& paths) {
  const std::string path = paths.proc + "/softirqs";
  auto text = ReadTextFile(path);
  if (!text) return Result<SoftirqTable>::Error(text.error());
  return ParseSoftirqs(*text, path);
}

}  // namespace tunescope::host
