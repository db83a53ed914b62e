#pragma once
// Event: a flag that threads can wait on (Python's threading.Event).

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace conc {

class Event {
 public:
  void set();
  void clear();
  bool is_set() const;
  void wait() const;
  // True when the event was set before the timeout.
  bool wait_for(std::chrono::nanoseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  bool set_ = false;
};

}  // namespace conc
