// SPDX-License-Identifier: GPL-2.0
// Errors as values: a small expected-style type, since gcc 12 has no
// std::expected. An Error carries an errno value, a message naming the file
// or action, and the exit class the front end maps it to.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace rootcache {

// Documented exit codes of rootcachectl.
enum class Exit : int {
  kOk = 0,
  kCheckFailed = 1,
  kUsage = 2,
  kEnvironment = 3,
};

struct Error {
  int errnum = 0;       // errno, or 0 when not from a system call
  std::string message;  // what failed, with the path, for people
  Exit exit = Exit::kCheckFailed;

  [[nodiscard]] std::string describe() const;
};

// Builds an Error from errno (or a given errno value) and context.
[[nodiscard]] Error systemError(int errnum, const std::string& what);
[[nodiscard]] Error checkError(const std::string& what);
[[nodiscard]] Error environmentError(const std::string& what, int errnum = 0);
[[nodiscard]] Error usageError(const std::string& what);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

  template <typename U>
  T valueOr(U&& fallback) const {
    return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace rootcache
