#include "parser.h"

#include <array>
#include <cstring>

namespace refserver::http {
namespace {

// RFC 9110 token characters.
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kToken = MakeTokenTable();

bool IsToken(char c) {
  return kToken[static_cast<unsigned char>(c)];
}

// Field values: HTAB, SP, VCHAR and obs-text; no other control characters.
bool IsFieldValueChar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

// request-target: visible ASCII only (anything else must be percent-encoded).
bool IsTargetChar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c > 0x20 && c < 0x7f;
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// `lower` must be lower case.
bool EqualsIgnoreCase(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (Lower(s[i]) != lower[i]) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

void Parser::Reset() {
  const Limits limits = limits_;
  *this = Parser(limits);
}

ParseStatus Parser::Fail(ParseStatus status) {
  Reset();
  return status;
}

ParseStatus Parser::Parse(std::string_view buf, Request& out) {
  while (state_ != State::kBody) {
    const std::size_t limit =
        buf.size() < limits_.max_header_bytes ? buf.size() : limits_.max_header_bytes;
    const char* nl = nullptr;
    if (scan_ < limit) {
      nl = static_cast<const char*>(std::memchr(buf.data() + scan_, '\n', limit - scan_));
    }
    if (nl == nullptr) {
      if (buf.size() >= limits_.max_header_bytes) return Fail(ParseStatus::kHeadersTooLarge);
      scan_ = limit;
      return ParseStatus::kIncomplete;
    }
    const auto nl_idx = static_cast<std::size_t>(nl - buf.data());
    // Lines end in CRLF; a bare LF is rejected rather than guessed at.
    if (nl_idx == pos_ || buf[nl_idx - 1] != '\r') return Fail(ParseStatus::kBadRequest);
    const std::string_view line = buf.substr(pos_, nl_idx - 1 - pos_);
    const std::size_t next = nl_idx + 1;
    ParseStatus status = ParseStatus::kIncomplete;
    if (state_ == State::kRequestLine) {
      status = ParseRequestLine(line);
      state_ = State::kHeaders;
    } else if (line.empty()) {
      status = FinishHeaders(next);
      state_ = State::kBody;
    } else {
      status = ParseHeaderLine(line);
    }
    if (status != ParseStatus::kIncomplete) return Fail(status);
    pos_ = next;
    scan_ = next;
  }

  const std::size_t total = header_end_ + static_cast<std::size_t>(content_length_);
  if (buf.size() < total) return ParseStatus::kIncomplete;

  out.method_name = buf.substr(0, method_len_);
  if (out.method_name == "GET") {
    out.method = Method::kGet;
  } else if (out.method_name == "HEAD") {
    out.method = Method::kHead;
  } else {
    out.method = Method::kOther;
  }
  out.target = buf.substr(target_off_, target_len_);
  const std::size_t q = out.target.find('?');
  out.path = q == std::string_view::npos ? out.target : out.target.substr(0, q);
  out.version_minor = version_minor_;
  out.keep_alive = !connection_close_ && (version_minor_ >= 1 || connection_keep_alive_);
  out.content_length = static_cast<std::uint32_t>(content_length_);
  out.header_bytes = header_end_;
  out.total_bytes = total;
  Reset();
  return ParseStatus::kComplete;
}

// method SP request-target SP HTTP-version
ParseStatus Parser::ParseRequestLine(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && IsToken(line[i])) ++i;
  if (i == 0 || i >= line.size() || line[i] != ' ') return ParseStatus::kBadRequest;
  method_len_ = static_cast<std::uint32_t>(i);
  const std::size_t target_start = ++i;
  while (i < line.size() && IsTargetChar(line[i])) ++i;
  if (i == target_start || i >= line.size() || line[i] != ' ') return ParseStatus::kBadRequest;
  target_off_ = static_cast<std::uint32_t>(target_start);
  target_len_ = static_cast<std::uint32_t>(i - target_start);
  const std::string_view version = line.substr(i + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !IsDigit(version[5]) ||
      version[6] != '.' || !IsDigit(version[7])) {
    return ParseStatus::kBadRequest;
  }
  if (version[5] != '1') return ParseStatus::kVersionNotSupported;
  version_minor_ = static_cast<std::uint8_t>(version[7] - '0');
  return ParseStatus::kIncomplete;
}

// field-name ":" OWS field-value OWS
ParseStatus Parser::ParseHeaderLine(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && IsToken(line[i])) ++i;
  // Also rejects obs-fold (a line starting with SP/HTAB) and whitespace before the colon.
  if (i == 0 || i >= line.size() || line[i] != ':') return ParseStatus::kBadRequest;
  const std::string_view name = line.substr(0, i);
  const std::string_view value = TrimOws(line.substr(i + 1));
  for (char c : value) {
    if (!IsFieldValueChar(c)) return ParseStatus::kBadRequest;
  }

  if (EqualsIgnoreCase(name, "content-length")) {
    if (value.empty()) return ParseStatus::kBadRequest;
    std::uint64_t n = 0;
    for (char c : value) {
      if (!IsDigit(c)) return ParseStatus::kBadRequest;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
      if (n > 0xffffffffULL) n = 0xffffffffULL + 1;  // saturate: only "too large" matters
    }
    if (has_content_length_ && n != content_length_) return ParseStatus::kBadRequest;
    has_content_length_ = true;
    content_length_ = n;
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    has_transfer_encoding_ = true;
  } else if (EqualsIgnoreCase(name, "host")) {
    if (host_count_ < 2) ++host_count_;
  } else if (EqualsIgnoreCase(name, "connection")) {
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view option = TrimOws(rest.substr(0, comma));
      if (EqualsIgnoreCase(option, "close")) connection_close_ = true;
      if (EqualsIgnoreCase(option, "keep-alive")) connection_keep_alive_ = true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return ParseStatus::kIncomplete;
}

ParseStatus Parser::FinishHeaders(std::size_t header_end) {
  header_end_ = header_end;
  // Both framings at once is the classic request-smuggling shape: refuse it.
  if (has_transfer_encoding_ && has_content_length_) return ParseStatus::kBadRequest;
  if (has_transfer_encoding_) return ParseStatus::kNotImplemented;
  if (host_count_ > 1 || (version_minor_ >= 1 && host_count_ == 0)) {
    return ParseStatus::kBadRequest;
  }
  if (content_length_ > limits_.max_body_bytes) return ParseStatus::kBodyTooLarge;
  return ParseStatus::kIncomplete;
}

}  // namespace refserver::http
