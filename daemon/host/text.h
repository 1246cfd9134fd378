// Text helpers shared by the /proc and /sys parsers: file reading, splitting, number parsing,
// CPU lists ("0-3,8") and CPU masks ("ff,00000001").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/result.h"

namespace tunescope::host {

// Reads a whole file. The error names the path and carries the errno text.
Result<std::string> ReadTextFile(const std::string& path);

// Writes `text` to an existing file (sysctl, sysfs). The error names the path.
Result<Ok> WriteTextFile(const std::string& path, std::string_view text);

// Lists the entry names of a directory (no "." and ".."), sorted.
Result<std::vector<std::string>> ListDirectory(const std::string& path);

std::string_view Trim(std::string_view s);

// Splits on runs of spaces and tabs; no empty fields.
std::vector<std::string_view> SplitWhitespace(std::string_view s);

// Splits into lines without their '\n'; a final line without '\n' is kept, a trailing empty
// line is not.
std::vector<std::string_view> SplitLines(std::string_view s);

std::optional<std::uint64_t> ParseU64(std::string_view s, int base = 10);
std::optional<std::int64_t> ParseI64(std::string_view s);

// "0-3,8,10-11" -> {0,1,2,3,8,10,11}. Empty text gives an empty list.
std::optional<std::vector<int>> ParseCpuList(std::string_view s);

// Hex CPU mask as in sysfs ("ff,00000001": comma-separated 32-bit words, most significant
// first) -> sorted CPU numbers.
std::optional<std::vector<int>> ParseCpuMask(std::string_view s);

// {0,1,2,3,8} -> "0-3,8".
std::string FormatCpuList(const std::vector<int>& cpus);

bool StartsWith(std::string_view s, std::string_view prefix);

}  // namespace tunescope::host
