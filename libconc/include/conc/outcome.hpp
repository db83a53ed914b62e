#pragma once
/// @file
/// The result of one task as a value: ok with a T, or an error {what, where}.
/// Apps keep outcomes in reports; exceptions stay inside a unit.

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace conc {

/// Why a task failed, as data a report can print.
struct Error {
  std::string what;   ///< the reason: "worker killed by SIGSEGV", "truncated JPEG data"
  std::string where;  ///< the subject, when known: a file, a URL, a task name
};

/// Thrown by Outcome::value() and by futures of process-pool tasks that failed.
class TaskError : public std::runtime_error {
 public:
  /// An exception carrying error; what() is "where: what", or just what when where is empty.
  explicit TaskError(Error error)
      : std::runtime_error(error.where.empty() ? error.what : error.where + ": " + error.what),
        error_(std::move(error)) {}
  /// The error, its parts apart.
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

/// Either a T (ok) or an Error: one task's result, kept as a value. Reading the value of a failed
/// outcome throws TaskError.
template <class T>
class Outcome {
 public:
  /// A successful outcome.
  Outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit like std::optional
  /// A failed outcome.
  Outcome(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  /// Whether the outcome holds a value.
  bool ok() const noexcept { return state_.index() == 0; }
  /// As ok().
  explicit operator bool() const noexcept { return ok(); }

  /// @{
  /// The value (moved out of an rvalue outcome); throws TaskError when the outcome failed.
  T& value() & {
    throw_if_error();
    return std::get<0>(state_);
  }
  const T& value() const& {
    throw_if_error();
    return std::get<0>(state_);
  }
  T&& value() && {
    throw_if_error();
    return std::get<0>(std::move(state_));
  }
  /// @}
  /// @{
  /// As value(): throws TaskError when the outcome failed.
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  /// @}

  /// Why the task failed; throws std::logic_error on a successful outcome.
  const Error& error() const {
    if (ok()) throw std::logic_error("conc::Outcome::error() called on a successful outcome");
    return std::get<1>(state_);
  }

 private:
  void throw_if_error() const {
    if (!ok()) throw TaskError(std::get<1>(state_));
  }
  std::variant<T, Error> state_;
};

}  // namespace conc
