#include "conc/event.hpp"
#include "conc/latch.hpp"
#include "conc/semaphore.hpp"

namespace conc {

// Notifying under the lock: a woken waiter may destroy the object as soon as it returns.
void Event::set() {
  std::lock_guard lock(mutex_);
  set_ = true;
  cv_.notify_all();
}

void Event::clear() {
  std::lock_guard lock(mutex_);
  set_ = false;
}

bool Event::is_set() const {
  std::lock_guard lock(mutex_);
  return set_;
}

void Event::wait() const {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return set_; });
}

bool Event::wait_for(std::chrono::nanoseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return set_; });
}

void Semaphore::acquire() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return count_ > 0; });
  --count_;
}

bool Semaphore::try_acquire() {
  std::lock_guard lock(mutex_);
  if (count_ == 0) return false;
  --count_;
  return true;
}

bool Semaphore::try_acquire_for(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return count_ > 0; })) return false;
  --count_;
  return true;
}

void Semaphore::release(std::size_t n) {
  std::lock_guard lock(mutex_);
  count_ += n;
  if (n == 1) {
    cv_.notify_one();
  } else {
    cv_.notify_all();
  }
}

std::size_t Semaphore::available() const {
  std::lock_guard lock(mutex_);
  return count_;
}

void Latch::count_down(std::size_t n) {
  std::lock_guard lock(mutex_);
  count_ = n >= count_ ? 0 : count_ - n;
  if (count_ == 0) cv_.notify_all();
}

bool Latch::try_wait() const {
  std::lock_guard lock(mutex_);
  return count_ == 0;
}

void Latch::wait() const {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return count_ == 0; });
}

bool Latch::wait_for(std::chrono::nanoseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return count_ == 0; });
}

std::size_t Latch::count() const {
  std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace conc
