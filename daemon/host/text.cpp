#include "host/text.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <set>

namespace tunescope::host {

namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::string ErrnoText(int err) {
  return std::strerror(err);
}

}  // namespace

Result<std::string> ReadTextFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Result<std::string>::Error(path + ": " + ErrnoText(errno));
  FdCloser closer{fd};
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Result<std::string>::Error(path + ": read: " + ErrnoText(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<Ok> WriteTextFile(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Result<Ok>::Error(path + ": " + ErrnoText(errno));
  FdCloser closer{fd};
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Result<Ok>::Error(path + ": write: " + ErrnoText(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return Ok{};
}

Result<std::vector<std::string>> ListDirectory(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), &::closedir);
  if (!dir) return Result<std::vector<std::string>>::Error(path + ": " + ErrnoText(errno));
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(dir.get())) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const std::size_t nl = s.find('\n');
    if (nl == std::string_view::npos) {
      out.push_back(s);
      break;
    }
    out.push_back(s.substr(0, nl));
    s.remove_prefix(nl + 1);
  }
  return out;
}

std::optional<std::uint64_t> ParseU64(std::string_view s, int base) {
  if (base == 16 && (StartsWith(s, "0x") || StartsWith(s, "0X"))) s.remove_prefix(2);
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> ParseI64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::vector<int>> ParseCpuList(std::string_view s) {
  s = Trim(s);
  std::set<int> cpus;
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    const std::string_view part = Trim(s.substr(0, comma));
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    if (part.empty()) return std::nullopt;
    const std::size_t dash = part.find('-');
    const auto lo = ParseU64(part.substr(0, dash));
    const auto hi = dash == std::string_view::npos ? lo : ParseU64(part.substr(dash + 1));
    // 1<<16 CPUs is far beyond any kernel's NR_CPUS; larger numbers mean garbage.
    if (!lo || !hi || *lo > *hi || *hi >= (1u << 16)) return std::nullopt;
    for (std::uint64_t c = *lo; c <= *hi; ++c) cpus.insert(static_cast<int>(c));
  }
  return std::vector<int>(cpus.begin(), cpus.end());
}

std::optional<std::vector<int>> ParseCpuMask(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  std::vector<std::string_view> words;
  while (true) {
    const std::size_t comma = s.find(',');
    words.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  std::vector<int> cpus;
  // The last word holds CPUs 0..31.
  int base = 0;
  for (auto it = words.rbegin(); it != words.rend(); ++it, base += 32) {
    if (it->empty() || it->size() > 8) return std::nullopt;
    const auto v = ParseU64(*it, 16);
    if (!v) return std::nullopt;
    for (int bit = 0; bit < 32; ++bit) {
      if ((*v >> bit) & 1u) cpus.push_back(base + bit);
    }
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  std::string out;
  std::size_t i = 0;
  while (i < cpus.size()) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace tunescope::host
