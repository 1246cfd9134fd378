#include "host/interrupts.h"

#include <cctype>

#include "host/text.h"

namespace tunescope::host {

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "5-edge", "0-level", "27", "524288-edge": the hardware IRQ number, optionally with trigger.
bool LooksLikeHwirq(std::string_view s) {
  const std::size_t dash = s.find('-');
  return AllDigits(s.substr(0, dash));
}

bool IsTrigger(std::string_view s) {
  return s == "Edge" || s == "Level" || s == "edge" || s == "level";
}

// Skips `n` whitespace-separated fields of `s` and returns the rest (leading spaces trimmed).
std::string_view SkipFields(std::string_view s, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) {
    s = Trim(s);
    const std::size_t end = s.find_first_of(" \t");
    s = end == std::string_view::npos ? std::string_view{} : s.substr(end);
  }
  return Trim(s);
}

}  // namespace

std::uint64_t IrqLine::total() const {
  std::uint64_t sum = 0;
  for (auto v : per_cpu) sum += v;
  return sum;
}

const IrqLine* InterruptTable::find_number(int irq) const {
  for (const auto& l : lines) {
    if (l.number && *l.number == irq) return &l;
  }
  return nullptr;
}

Result<InterruptTable> ParseInterrupts(std::string_view text, std::string_view source) {
  const std::string src(source);
  const auto lines = SplitLines(text);
  if (lines.empty()) return Result<InterruptTable>::Error(src + ": empty");
  InterruptTable table;
  for (auto cpu : SplitWhitespace(lines[0])) {
    if (!StartsWith(cpu, "CPU")) {
      return Result<InterruptTable>::Error(src + ": header: expected CPU columns, got '" +
                                           std::string(cpu) + "'");
    }
    table.cpus.emplace_back(cpu);
  }
  if (table.cpus.empty()) return Result<InterruptTable>::Error(src + ": header has no CPU columns");
  const std::size_t ncpu = table.cpus.size();

  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (Trim(line).empty()) continue;
    const std::string where = src + ": line " + std::to_string(i + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Result<InterruptTable>::Error(where + ": no 'ID:'");
    IrqLine irq;
    irq.id = std::string(Trim(line.substr(0, colon)));
    if (irq.id.empty()) return Result<InterruptTable>::Error(where + ": empty IRQ id");
    if (AllDigits(irq.id)) {
      const auto n = ParseU64(irq.id);
      if (!n || *n > 0x7fffffff) return Result<InterruptTable>::Error(where + ": bad IRQ number");
      irq.number = static_cast<int>(*n);
    }
    const std::string_view rest = line.substr(colon + 1);
    const auto fields = SplitWhitespace(rest);
    std::size_t counts = 0;
    while (counts < fields.size() && counts < ncpu) {
      const auto v = ParseU64(fields[counts]);
      if (!v) break;
      irq.per_cpu.push_back(*v);
      ++counts;
    }
    if (irq.number) {
      if (counts != ncpu) {
        return Result<InterruptTable>::Error(where + ": IRQ " + irq.id + " has " +
                                             std::to_string(counts) + " counts for " +
                                             std::to_string(ncpu) + " CPUs (truncated?)");
      }
      std::size_t f = counts;
      if (f < fields.size()) irq.chip = std::string(fields[f++]);
      if (f < fields.size() && LooksLikeHwirq(fields[f])) irq.hwirq = std::string(fields[f++]);
      if (f < fields.size() && IsTrigger(fields[f])) {
        irq.hwirq += irq.hwirq.empty() ? "" : " ";
        irq.hwirq += std::string(fields[f++]);
      }
      // Actions are printed as "  name1, name2"; names may not contain ", ".
      std::string_view actions = SkipFields(rest, f);
      while (!actions.empty()) {
        const std::size_t sep = actions.find(", ");
        const std::string_view a = Trim(actions.substr(0, sep));
        if (!a.empty()) irq.actions.emplace_back(a);
        if (sep == std::string_view::npos) break;
        actions.remove_prefix(sep + 2);
      }
    } else {
      // NMI, LOC, ... carry one count per CPU and a description; ERR and MIS carry one total.
      if (counts == 0) {
        return Result<InterruptTable>::Error(where + ": '" + irq.id + "' has no counts");
      }
      irq.description = std::string(SkipFields(rest, counts));
    }
    table.lines.push_back(std::move(irq));
  }
  return table;
}

Result<InterruptTable> ReadInterrupts(const HostPaths& paths) {
  const std::string path = paths.proc + "/interrupts";
  auto text = ReadTextFile(path);
  if (!text) return Result<InterruptTable>::Error(text.error());
  return ParseInterrupts(*text, path);
}

}  // namespace tunescope::host
