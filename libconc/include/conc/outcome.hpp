#pragma once
// The result of one task as a value: ok with a T, or an error {what, where}.
// Apps keep outcomes in reports; exceptions stay inside a unit.

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace conc {

struct Error {
  std::string what;   // the reason: "worker killed by SIGSEGV", "truncated JPEG data"
  std::string where;  // the subject, when known: a file, a URL, a task name
};

// Thrown by Outcome::value() and by futures of process-pool tasks that failed.
class TaskError : public std::runtime_error {
 public:
  explicit TaskError(Error error)
      : std::runtime_error(error.where.empty() ? error.what : error.where + ": " + error.what),
        error_(std::move(error)) {}
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

template <class T>
class Outcome {
 public:
  Outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit like std::optional
  Outcome(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

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
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

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
