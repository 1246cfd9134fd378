// The daemon's one error type: a value or the reason it is missing. GCC 12's C++20 has no
// std::expected; this is the subset the daemon needs. Errors here are always shown to a person,
// so a message naming the file, probe or flag and what was wrong is all a failure carries.
// It lives in the lowest layer so that every layer returns the same type.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tunescope {

// The value of a result that carries nothing but success.
struct Ok {};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // `Status()` and `return {};` mean success.
  Result() requires std::is_same_v<T, Ok> : value_(Ok{}) {}

  static Result Error(std::string message) {
    Result r{FailureTag{}};
    r.error_ = std::move(message);
    return r;
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  const T& operator*() const { return *value_; }
  T& operator*() { return *value_; }

  // Empty when ok(); otherwise why the value is missing ("no cpufreq on this host", ...).
  const std::string& error() const { return error_; }

 private:
  struct FailureTag {};
  explicit Result(FailureTag) {}
  std::optional<T> value_;
  std::string error_;
};

// Success or a message.
using Status = Result<Ok>;

// "<what>: <strerror(err)>", the shape of every error that carries a kernel errno.
std::string ErrnoMessage(const std::string& what, int err);

}  // namespace tunescope
