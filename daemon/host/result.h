// A value or the reason it is missing. GCC 12's C++20 has no std::expected; this is the small
// subset the host readers need. Readers never throw on malformed input: they return an error
// string that names the file and what was wrong with it.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace tunescope::host {

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  static Result failure(std::string reason) {
    Result r;
    r.error_ = std::move(reason);
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
  Result() = default;
  std::optional<T> value_;
  std::string error_;
};

// Shorthand for the failure case: `return fail<Foo>("...")`.
template <typename T>
Result<T> Fail(std::string reason) {
  return Result<T>::failure(std::move(reason));
}

// A value that does not need to carry anything but success.
struct Ok {};

}  // namespace tunescope::host
