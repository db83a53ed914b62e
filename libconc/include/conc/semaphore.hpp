#pragma once
/// @file
/// Semaphore: a counting semaphore with a run-time count, timed acquire and
/// release(n) — std::counting_semaphore fixes its maximum at compile time.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace conc {

/// A count of free units: acquire() takes one, waiting while none is free; release() returns them.
class Semaphore {
 public:
  /// A semaphore with initial free units.
  explicit Semaphore(std::size_t initial) : count_(initial) {}
  /// Takes one unit, waiting while none is free.
  void acquire();
  /// Takes one unit if one is free now; false otherwise.
  bool try_acquire();
  /// As acquire(), but at most timeout: true when a unit was taken.
  bool try_acquire_for(std::chrono::nanoseconds timeout);
  /// Returns n units, waking as many waiters. Nothing bounds the count: releasing more than was
  /// acquired raises it.
  void release(std::size_t n = 1);
  /// Free units now.
  std::size_t available() const;

  /// Holds one unit for a scope.
  class Guard {
   public:
    /// Acquires one unit of s, waiting while none is free; the destructor releases it.
    explicit Guard(Semaphore& s) : s_(s) { s_.acquire(); }
    ~Guard() { s_.release(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    Semaphore& s_;
  };

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t count_;
};

}  // namespace conc
