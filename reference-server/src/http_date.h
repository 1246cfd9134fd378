// The Date header value (IMF-fixdate, RFC 9110 5.6.7), formatted once per second per worker.
#pragma once

#include <ctime>
#include <string_view>

namespace refserver {

inline constexpr std::size_t kHttpDateLength = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// Formats `t` (UTC) into out[0..29). Allocation-free and thread-safe.
void FormatHttpDate(std::time_t t, char* out);

class DateCache {
 public:
  // Re-formats only when the second changed; returns true if it did.
  bool Update(std::time_t now) {
    if (now == cached_) return false;
    cached_ = now;
    FormatHttpDate(now, text_);
    return true;
  }
  std::string_view Get() const { return {text_, kHttpDateLength}; }

 private:
  std::time_t cached_ = -1;
  char text_[kHttpDateLength] = {};
};

}  // namespace refserver
