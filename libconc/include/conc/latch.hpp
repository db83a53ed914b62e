#pragma once
/// @file
/// Latch: a single-use countdown with a timed wait (std::latch has none).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace conc {

/// A counter that threads wait on until it reaches zero; it never goes back up.
class Latch {
 public:
  /// A latch that opens after count count-downs (at once when count is 0).
  explicit Latch(std::size_t count) : count_(count) {}
  /// Lowers the count by n (not below zero); at zero, wakes every waiter.
  void count_down(std::size_t n = 1);
  /// Whether the count is zero, without waiting.
  bool try_wait() const;
  /// Returns once the count is zero.
  void wait() const;
  /// As wait(), but at most timeout: true when the count reached zero in time.
  bool wait_for(std::chrono::nanoseconds timeout) const;
  /// The count now.
  std::size_t count() const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::size_t count_;
};

}  // namespace conc
