#pragma once
/// @file
/// `BlockingQueue<T, Order>`: a bounded multi-producer multi-consumer queue with
/// FIFO, LIFO or priority order, timeouts on both ends, and close().
///
/// ```
/// conc::BlockingQueue<Job> q(100);                       // FIFO, at most 100 items
/// conc::BlockingQueue<Job, conc::Lifo> stack;             // unbounded LIFO
/// conc::BlockingQueue<int, conc::Priority<std::greater<>>> smallest_first;
/// ```
///
/// put() blocks while the queue is full and returns false once it is closed (the
/// value is then left with the caller); get() blocks until an item arrives and
/// returns std::nullopt once the queue is closed and drained.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace conc {

/// Order tag: first in, first out.
struct Fifo {};
/// Order tag: last in, first out (a stack).
struct Lifo {};
/// Order tag: highest first under Compare, as std::priority_queue; `Priority<std::greater<>>` is
/// smallest first.
template <class Compare = std::less<>>
struct Priority {};

namespace detail {

template <class T, class Order>
class QueueStore;

template <class T>
class QueueStore<T, Fifo> {
 public:
  template <class U>
  void push(U&& v) {
    items_.push_back(std::forward<U>(v));
  }
  T pop() {
    T v = std::move(items_.front());
    items_.pop_front();
    return v;
  }
  std::size_t size() const { return items_.size(); }
  std::vector<T> take_all() {
    std::vector<T> all(std::make_move_iterator(items_.begin()), std::make_move_iterator(items_.end()));
    items_.clear();
    return all;
  }

 private:
  std::deque<T> items_;
};

template <class T>
class QueueStore<T, Lifo> {
 public:
  template <class U>
  void push(U&& v) {
    items_.push_back(std::forward<U>(v));
  }
  T pop() {
    T v = std::move(items_.back());
    items_.pop_back();
    return v;
  }
  std::size_t size() const { return items_.size(); }
  std::vector<T> take_all() { return std::exchange(items_, {}); }

 private:
  std::vector<T> items_;
};

template <class T, class Compare>
class QueueStore<T, Priority<Compare>> {
 public:
  template <class U>
  void push(U&& v) {
    items_.push_back(std::forward<U>(v));
    std::push_heap(items_.begin(), items_.end(), compare_);
  }
  T pop() {
    std::pop_heap(items_.begin(), items_.end(), compare_);
    T v = std::move(items_.back());
    items_.pop_back();
    return v;
  }
  std::size_t size() const { return items_.size(); }
  std::vector<T> take_all() { return std::exchange(items_, {}); }

 private:
  std::vector<T> items_;
  [[no_unique_address]] Compare compare_{};
};

}  // namespace detail

/// A thread-safe queue of T in the given Order (Fifo, Lifo or Priority), at most capacity() long.
/// Any number of threads may put and get at once; close() ends it for all of them.
template <class T, class Order = Fifo>
class BlockingQueue {
 public:
  /// The capacity that means no limit.
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  /// A queue that holds at most capacity items (0 is taken as 1).
  explicit BlockingQueue(std::size_t capacity = unbounded) : capacity_(capacity == 0 ? 1 : capacity) {}
  BlockingQueue(const BlockingQueue&) = delete;
  BlockingQueue& operator=(const BlockingQueue&) = delete;

  /// Adds value, waiting while the queue is full. False when the queue is closed; the value is not
  /// consumed then.
  template <class U = T>
  bool put(U&& value) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || store_.size() < capacity_; });
    return push_locked(lock, std::forward<U>(value));
  }

  /// As put(), but gives up after timeout: false when the queue stayed full or is closed.
  template <class U = T, class Rep, class Period>
  bool put_for(U&& value, std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(mutex_);
    if (!not_full_.wait_for(lock, timeout, [&] { return closed_ || store_.size() < capacity_; })) return false;
    return push_locked(lock, std::forward<U>(value));
  }

  /// As put(), but never waits: false when the queue is full or closed.
  template <class U = T>
  bool try_put(U&& value) {
    std::unique_lock lock(mutex_);
    if (store_.size() >= capacity_) return false;
    return push_locked(lock, std::forward<U>(value));
  }

  /// Takes the next item, waiting until there is one. nullopt once the queue is closed and empty.
  std::optional<T> get() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || store_.size() > 0; });
    return pop_locked(lock);
  }

  /// As get(), but gives up after timeout: nullopt when no item came in time.
  template <class Rep, class Period>
  std::optional<T> get_for(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || store_.size() > 0; })) return std::nullopt;
    return pop_locked(lock);
  }

  /// As get(), but never waits: nullopt when the queue is empty.
  std::optional<T> try_get() {
    std::unique_lock lock(mutex_);
    return pop_locked(lock);
  }

  /// Refuses further puts and wakes every waiter; items already queued can still be taken.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  /// Removes and returns everything queued (for cancellation), and wakes the waiting producers.
  std::vector<T> drain() {
    std::vector<T> all;
    {
      std::lock_guard lock(mutex_);
      all = store_.take_all();
    }
    not_full_.notify_all();
    return all;
  }

  /// Whether close() was called.
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  /// Items queued now; other threads may change it at once.
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return store_.size();
  }
  /// Whether no item is queued now (a snapshot, as size()).
  bool empty() const { return size() == 0; }
  /// The most items the queue holds; put() waits beyond it.
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  template <class U>
  bool push_locked(std::unique_lock<std::mutex>& lock, U&& value) {
    if (closed_) return false;
    store_.push(std::forward<U>(value));
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> pop_locked(std::unique_lock<std::mutex>& lock) {
    if (store_.size() == 0) return std::nullopt;
    std::optional<T> v(store_.pop());
    lock.unlock();
    not_full_.notify_one();
    return v;
  }

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  detail::QueueStore<T, Order> store_;
  bool closed_ = false;
};

}  // namespace conc
