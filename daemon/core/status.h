// A success-or-message result: GCC 12's C++20 has no std::expected, and errors here are always
// shown to a person, so a message is all they need to carry.
#pragma once

#include <string>
#include <utility>

namespace tunescope {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

// "<what>: <strerror(err)>", the shape of every error that carries a kernel errno.
std::string ErrnoMessage(const std::string& what, int err);

}  // namespace tunescope
