#pragma once
/// @file
/// Event: a flag that threads can wait on (Python's threading.Event).

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace conc {

/// A flag that starts cleared; threads wait for it to be set.
class Event {
 public:
  /// Sets the flag and wakes every waiter.
  void set();
  /// Clears the flag; later waits block until the next set().
  void clear();
  /// Whether the flag is set now.
  bool is_set() const;
  /// Returns once the flag is set (at once when it already is).
  void wait() const;
  /// As wait(), but at most timeout: true when the event was set before the timeout.
  bool wait_for(std::chrono::nanoseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  bool set_ = false;
};

}  // namespace conc
