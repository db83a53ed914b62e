#pragma once
// Semaphore: a counting semaphore with a run-time count, timed acquire and
// release(n) — std::counting_semaphore fixes its maximum at compile time.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace conc {

class Semaphore {
 public:
  explicit Semaphore(std::size_t initial) : count_(initial) {}
  void acquire();
  bool try_acquire();
  bool try_acquire_for(std::chrono::nanoseconds timeout);
  void release(std::size_t n = 1);
  std::size_t available() const;

  // Holds one unit for a scope.
  class Guard {
   public:
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
