#pragma once
/// @file
/// `Future<T>` / `Promise<T>`: a result that arrives later, with continuation
/// callbacks and completion-order iteration.
///
/// ```
/// conc::Future<int> f = pool.submit(work);
/// f.then([](int& v) { use(v); }, [](std::exception_ptr e) { log(e); });
/// for (auto& done : conc::as_completed(std::move(futures))) use(done.get());
/// ```
///
/// A Future is a cheap, copyable handle (like std::shared_future). get() returns
/// a reference to the stored value, or rethrows the task's exception.
/// Callbacks run on the thread that completes the future, or at once on the
/// registering thread if the future is already complete. A callback that throws
/// harms nothing: its exception goes to conc::report_unhandled (conc/unhandled.hpp),
/// and the other callbacks still run.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "conc/blocking_queue.hpp"
#include "conc/detail/futex.hpp"
#include "conc/detail/move_only_function.hpp"
#include "conc/detail/state_allocator.hpp"
#include "conc/unhandled.hpp"

namespace conc {

/// The exception a future holds when its task was cancelled before it ran.
class Cancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The exception a future holds when its promise was destroyed without a result.
class BrokenPromise : public std::logic_error {
 public:
  BrokenPromise() : std::logic_error("conc: promise destroyed without a result") {}
};

template <class T>
class Future;
template <class T>
class Promise;

namespace detail {

template <class T>
using StoredType = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
class FutureState : public std::enable_shared_from_this<FutureState<T>> {
 public:
  using Callback = MoveOnlyFunction<void(Future<T>&)>;

  template <class... A>
  void set_value(A&&... args) {
    complete([&] { value_.emplace(std::forward<A>(args)...); });
  }
  void set_exception(std::exception_ptr e) {
    complete([&] { error_ = std::move(e); });
  }

  void add_callback(Callback cb) {
    lock_.lock();
    if ((state_.load(std::memory_order_acquire) & kDone) == 0) {
      callbacks_.push_back(std::move(cb));
      lock_.unlock();
      return;
    }
    lock_.unlock();
    Future<T> self(this->shared_from_this());
    run(cb, self);
  }

  void wait() const {
    while (!ready()) sleep(nullptr);
  }
  bool wait_for(std::chrono::nanoseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ready()) {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      sleep(&left);
    }
    return true;
  }
  bool ready() const { return (state_.load(std::memory_order_acquire) & kDone) != 0; }

  StoredType<T>& value() {
    wait();
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }
  std::exception_ptr error() {
    wait();
    return error_;
  }

 private:
  static constexpr std::uint32_t kDone = 1;
  static constexpr std::uint32_t kWaiters = 2;

  // Announces a sleeper, then sleeps until the state changes.
  void sleep(std::chrono::nanoseconds* timeout) const {
    std::uint32_t s = state_.load(std::memory_order_acquire);
    if (s & kDone) return;
    if ((s & kWaiters) == 0 && !state_.compare_exchange_strong(s, s | kWaiters, std::memory_order_acq_rel)) return;
    futex_wait(state_, s | kWaiters, timeout);
  }

  template <class Store>
  void complete(Store&& store) {
    std::vector<Callback> callbacks;
    lock_.lock();
    if (state_.load(std::memory_order_relaxed) & kDone) {
      lock_.unlock();
      throw std::logic_error("conc: future already has a result");
    }
    store();
    callbacks.swap(callbacks_);
    const std::uint32_t before = state_.exchange(kDone, std::memory_order_acq_rel);
    lock_.unlock();
    if (before & kWaiters) futex_wake_all(state_);
    if (!callbacks.empty()) {
      Future<T> self(this->shared_from_this());
      for (auto& cb : callbacks) run(cb, self);
    }
  }

  static void run(Callback& cb, Future<T>& self) noexcept {
    try {
      cb(self);
    } catch (...) {
      report_unhandled(std::current_exception(), "a future callback");
    }
  }

  mutable std::atomic<std::uint32_t> state_{0};
  SpinLock lock_;  // guards callbacks_ and the store of the result
  std::optional<StoredType<T>> value_;
  std::exception_ptr error_;
  std::vector<Callback> callbacks_;
};

}  // namespace detail

/// A shared handle to a result of type T (void: none) or an exception, set once by a Promise.
/// Copies share the result. Every member but valid() throws std::logic_error on an empty
/// (default-constructed) future.
template <class T>
class [[nodiscard]] Future {
 public:
  /// The result's type.
  using value_type = T;

  Future() = default;
  /// A future over state; futures come from Promise::get_future() and the pools.
  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

  /// Whether this future refers to a result (false when default-constructed).
  bool valid() const noexcept { return state_ != nullptr; }
  /// Whether the result is there, without waiting.
  bool ready() const { return state().ready(); }
  /// Returns once the result is there.
  void wait() const { state().wait(); }
  /// As wait(), but at most timeout: true when the result is there.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> timeout) const {
    return state().wait_for(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
  }

  /// The value (a reference into the shared result) or the task's exception, rethrown. Waits.
  decltype(auto) get() const {
    if constexpr (std::is_void_v<T>) {
      state().value();
    } else {
      return state().value();
    }
  }
  /// The task's exception, or nullptr when it succeeded. Waits.
  std::exception_ptr exception() const { return state().error(); }
  /// Whether the task ended with an exception. Waits.
  bool failed() const { return exception() != nullptr; }

  /// Runs cb(future) once the result is there: on the thread that sets it, or here and now
  /// when it is already set.
  template <class F>
  const Future& on_complete(F&& cb) const {
    state().add_callback(std::forward<F>(cb));
    return *this;
  }

  /// The apply_async(callback, error_callback) pattern: on_value(T&) or on_value() for void,
  /// on_error(std::exception_ptr); one of them runs once the result is there, as on_complete().
  template <class OnValue, class OnError>
  const Future& then(OnValue on_value, OnError on_error) const {
    return on_complete([on_value = std::move(on_value), on_error = std::move(on_error)](Future& f) mutable {
      if (auto e = f.exception()) {
        on_error(e);
      } else if constexpr (std::is_void_v<T>) {
        on_value();
      } else {
        on_value(f.get());
      }
    });
  }
  /// As then(on_value, on_error) without an error callback: a failure stays in the future, for get().
  template <class OnValue>
  const Future& then(OnValue on_value) const {
    return then(std::move(on_value), [](std::exception_ptr) {});
  }

 private:
  detail::FutureState<T>& state() const {
    if (!state_) throw std::logic_error("conc: use of an empty future");
    return *state_;
  }
  std::shared_ptr<detail::FutureState<T>> state_;
};

/// The producing side of a Future: sets its value or exception, once. A promise destroyed without
/// a result leaves BrokenPromise in its future, so no waiter hangs. Movable, not copyable.
template <class T>
class Promise {
 public:
  /// A promise with a fresh, empty result.
  Promise() : state_(std::allocate_shared<detail::FutureState<T>>(detail::StateAllocator<detail::FutureState<T>>())) {}
  /// Takes other's result; other is left without one (valid() is false).
  Promise(Promise&&) noexcept = default;
  /// Abandons the result held (its future gets BrokenPromise), then takes other's.
  Promise& operator=(Promise&& other) noexcept {
    if (this != &other) {
      abandon();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  Promise(const Promise&) = delete;
  Promise& operator=(const Promise&) = delete;
  ~Promise() { abandon(); }

  /// A future of this promise's result (any number may be taken).
  Future<T> get_future() const { return Future<T>(state_); }
  /// Whether a result can still be set (false once set, or after a move).
  bool valid() const noexcept { return state_ != nullptr; }

  /// Stores T(args...) (nothing for void) and runs the future's callbacks on this thread. Throws
  /// std::logic_error when the promise already has a result.
  template <class... A>
  void set_value(A&&... args) {
    take()->set_value(std::forward<A>(args)...);
  }
  /// Stores e as the result and runs the future's callbacks on this thread. Throws
  /// std::logic_error when the promise already has a result.
  void set_exception(std::exception_ptr e) { take()->set_exception(std::move(e)); }

 private:
  std::shared_ptr<detail::FutureState<T>> take() {
    if (!state_) throw std::logic_error("conc: promise already satisfied");
    return std::exchange(state_, nullptr);
  }
  void abandon() noexcept {
    if (state_) std::exchange(state_, nullptr)->set_exception(std::make_exception_ptr(BrokenPromise()));
  }
  std::shared_ptr<detail::FutureState<T>> state_;
};

/// Iterates over futures in the order they complete (concurrent.futures.as_completed). Iterate once.
template <class T>
class AsCompleted {
 public:
  /// Takes the futures and starts watching them.
  explicit AsCompleted(std::vector<Future<T>> futures)
      : futures_(std::move(futures)), order_(std::make_shared<BlockingQueue<std::size_t>>()) {
    for (std::size_t i = 0; i < futures_.size(); ++i) {
      futures_[i].on_complete([order = order_, i](Future<T>&) { order->put(i); });
    }
  }

  /// An input iterator that waits, on each step, for the next future to complete.
  class iterator {
   public:
    /// A completed future.
    using value_type = Future<T>;
    /// For std::input_iterator.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// For begin(): waits for the first of owner's remaining futures to complete.
    iterator(AsCompleted* owner, std::size_t remaining) : owner_(owner), remaining_(remaining) { advance(); }
    /// The future that completed (ready: get() does not wait).
    Future<T>& operator*() const { return owner_->futures_[current_]; }
    /// As operator*().
    Future<T>* operator->() const { return &owner_->futures_[current_]; }
    /// Waits for the next future to complete.
    iterator& operator++() {
      advance();
      return *this;
    }
    /// True past the last future.
    bool operator==(std::default_sentinel_t) const { return done_; }

   private:
    void advance() {
      if (remaining_ == 0) {
        done_ = true;
        return;
      }
      --remaining_;
      current_ = *owner_->order_->get();
    }
    AsCompleted* owner_ = nullptr;
    std::size_t remaining_ = 0;
    std::size_t current_ = 0;
    bool done_ = false;
  };

  /// Waits for the first future to complete.
  iterator begin() { return iterator(this, futures_.size()); }
  /// The end: every future has been visited.
  std::default_sentinel_t end() const { return {}; }
  /// The number of futures.
  std::size_t size() const { return futures_.size(); }

 private:
  std::vector<Future<T>> futures_;
  std::shared_ptr<BlockingQueue<std::size_t>> order_;
};

/// The futures in the order they complete: `for (auto& done : conc::as_completed(std::move(fs)))`.
template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> futures) {
  return AsCompleted<T>(std::move(futures));
}

/// Waits for every future; does not rethrow.
template <class T>
void wait_all(const std::vector<Future<T>>& futures) {
  for (const auto& f : futures) f.wait();
}

}  // namespace conc
