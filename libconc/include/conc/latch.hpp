#pragma once
// Latch: a single-use countdown with a timed wait (std::latch has none).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace conc {

class Latch {
 public:
  explicit Latch(std::size_t count) : count_(count) {}
  void count_down(std::size_t n = 1);
  bool try_wait() const;
  void wait() const;
  bool wait_for(std::chrono::nanoseconds timeout) const;
  std::size_t count() const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::size_t count_;
};

}  // namespace conc
