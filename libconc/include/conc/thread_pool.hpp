#pragma once
/// @file
/// ThreadPool: the IO pool. N threads run tasks that may block (network, disk);
/// a bounded queue gives backpressure; results and exceptions travel in futures.
///
/// ```
/// conc::ThreadPool io(conc::threads_for(cores, 0.9));
/// conc::Future<Page> page = io.submit(fetch, url);
/// std::vector<Size> sizes = io.map(file_size, paths);            // input order
/// io.for_each_unordered(urls, fetch, [](conc::Future<Page>& f) { ... });  // completion order
/// ```
///
/// Threads start lazily as work arrives and retire after keep_alive idle. With Sizing::Auto the
/// pool sizes itself between min_threads and max_threads: towards cores / (1 - blocking), the
/// blocking coefficient measured from its own tasks, and only as far as more threads bring more
/// throughput (hill climbing), so CPU-bound work never gets more threads than cores.
///
/// ```
/// conc::ThreadPool io({.sizing = conc::Sizing::Auto, .max_threads = 512});
/// ```
///
/// oneTBB is the right tool for non-blocking CPU work; this pool is for work that waits.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "conc/detail/move_only_function.hpp"
#include "conc/detail/mpmc_ring.hpp"
#include "conc/future.hpp"
#include "conc/shutdown.hpp"
#include "conc/sizing.hpp"
#include "conc/unhandled.hpp"

namespace conc {

/// How a ThreadPool chooses its number of threads.
enum class Sizing {
  Fixed,  ///< max_threads threads (started as work arrives)
  Auto,   ///< between min_threads and max_threads, following the blocking rule and throughput
};

/// How a ThreadPool sizes itself and queues work; every field has a working default.
struct ThreadPoolOptions {
  Sizing sizing = Sizing::Fixed;  ///< Fixed or Auto
  /// Threads that never retire. Fixed: default all of them; Auto: default 1.
  std::size_t min_threads = 0;
  /// Fixed: the pool's size (0: one per core). Auto: the ceiling (0: 1024).
  std::size_t max_threads = 0;
  /// A thread idle this long retires (down to min_threads).
  std::chrono::milliseconds keep_alive{10'000};
  /// Auto: how often the pool measures throughput and the blocking coefficient and resizes.
  std::chrono::milliseconds sample_interval{50};
  /// Tasks waiting to run (rounded up to a power of two); submit() blocks and try_submit() fails
  /// while the queue is full. 0: 1024 per thread, at least 1024, at most 65536.
  std::size_t queue_capacity = 0;
};

/// What a ThreadPool has done so far; ThreadPool::stats() takes a snapshot.
struct PoolStats {
  std::size_t threads = 0;                ///< running now
  std::size_t target_threads = 0;         ///< what the sizing aims at now (Fixed: max_threads)
  std::size_t peak_threads = 0;           ///< most running at once so far
  std::uint64_t submitted = 0;            ///< tasks queued, detached ones included
  std::uint64_t completed = 0;            ///< ran to the end, with a value or an exception
  std::uint64_t failed = 0;               ///< of completed: ended with an exception
  std::uint64_t cancelled = 0;            ///< dropped by shutdown(Cancel)
  std::size_t queued = 0;                 ///< waiting to run now
  std::chrono::nanoseconds busy_time{0};  ///< wall time the threads spent running tasks
  std::chrono::nanoseconds cpu_time{0};   ///< CPU time they used meanwhile
  double blocking_coefficient = 0.0;      ///< 1 - cpu / busy: the share of task time spent waiting
};

/// A pool of threads for tasks that may block, fed through a bounded queue. Every member may be
/// called from any thread, but a task must not call wait_idle() or shutdown() of its own pool (it
/// would wait for itself). Not copyable.
class ThreadPool {
 public:
  /// A Fixed pool of `threads` (options.max_threads is ignored).
  explicit ThreadPool(std::size_t threads = default_threads(), ThreadPoolOptions options = {});
  /// A pool sized as options say (Sizing::Auto, or Fixed at options.max_threads).
  explicit ThreadPool(ThreadPoolOptions options);
  ~ThreadPool();  ///< shutdown(Drain)
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// One thread per core (std::thread::hardware_concurrency(), at least 1).
  static std::size_t default_threads();

  /// What f(args...) returns: the value type of submit()'s future.
  template <class F, class... A>
  using result_t = std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>;

  /// Queues f(args...) and returns its future; blocks while the queue is full. Throws PoolClosed
  /// after shutdown, std::system_error when no thread can be started to run it.
  template <class F, class... A>
  [[nodiscard]] Future<result_t<F, A...>> submit(F&& f, A&&... args) {
    auto [task, future] = package(std::forward<F>(f), std::forward<A>(args)...);
    enqueue(std::move(task), true);
    return future;
  }

  /// As submit(), but returns an empty optional instead of waiting when the queue is full.
  template <class F, class... A>
  [[nodiscard]] std::optional<Future<result_t<F, A...>>> try_submit(F&& f, A&&... args) {
    auto [task, future] = package(std::forward<F>(f), std::forward<A>(args)...);
    if (!enqueue(std::move(task), false)) return std::nullopt;
    return future;
  }

  /// Fire and forget: queues f(args...) with no future. An exception it throws is not lost: it
  /// goes to conc::report_unhandled (conc/unhandled.hpp) and counts in stats().failed.
  template <class F, class... A>
  void detach(F&& f, A&&... args) {
    enqueue(Task([fn = std::decay_t<F>(std::forward<F>(f)),
                  args = std::make_tuple(std::decay_t<A>(std::forward<A>(args))...)]() mutable {
              try {
                std::apply(fn, std::move(args));
                return true;
              } catch (...) {
                report_unhandled(std::current_exception(), "a detached task");
                return false;
              }
            }),
            true);
  }

  /// Python's apply_async(func, callback, error_callback): on_value(result&) or on_error(exception_ptr)
  /// runs on the thread that ran f. Both outcomes have a callback, so no future is returned.
  template <class F, class OnValue, class OnError>
  void apply_async(F&& f, OnValue on_value, OnError on_error) {
    submit(std::forward<F>(f)).then(std::move(on_value), std::move(on_error));
  }

  /// f over every input, results in input order (nothing for a void f). Waits for all; rethrows the
  /// first exception in input order.
  template <class F, class Range>
  auto map(F f, Range&& inputs) {
    using R = std::invoke_result_t<F&, decltype(*std::begin(inputs))>;
    std::vector<Future<R>> futures;
    for (auto&& input : inputs) futures.push_back(submit(f, input));
    wait_all(futures);
    if constexpr (std::is_void_v<R>) {
      for (auto& fut : futures) fut.get();
    } else {
      std::vector<R> results;
      results.reserve(futures.size());
      for (auto& fut : futures) results.push_back(std::move(fut.get()));
      return results;
    }
  }

  /// f over every input, each finished future handed to sink(Future<R>&) on the calling thread in
  /// completion order. Streams: at most max_in_flight tasks exist at once (0: 2 per thread), so
  /// the input may be huge or unbounded.
  template <class Range, class F, class Sink>
  void for_each_unordered(Range&& inputs, F f, Sink sink, std::size_t max_in_flight = 0) {
    using R = std::invoke_result_t<F&, decltype(*std::begin(inputs))>;
    if (max_in_flight == 0) max_in_flight = 2 * size();
    // A throwing sink leaves the tasks in flight running; they settle into `done`, which they share.
    auto done = std::make_shared<BlockingQueue<Future<R>>>();
    std::size_t in_flight = 0;
    auto take_one = [&] {
      Future<R> finished = *done->get();
      --in_flight;
      sink(finished);
    };
    // The next input is read only once there is room for it.
    for (auto it = std::begin(inputs); it != std::end(inputs); ++it) {
      if (in_flight >= max_in_flight) take_one();
      submit(f, *it).on_complete([done](Future<R>& fut) { done->put(fut); });
      ++in_flight;
    }
    while (in_flight > 0) take_one();
  }

  /// The futures in the order they complete, as conc::as_completed() (any futures, not only this
  /// pool's).
  template <class T>
  [[nodiscard]] AsCompleted<T> as_completed(std::vector<Future<T>> futures) {
    return conc::as_completed(std::move(futures));
  }

  /// Blocks until no task is queued or running.
  void wait_idle();
  /// Stops the pool and joins its threads: Drain runs every queued task first, Cancel drops them
  /// (their futures hold Cancelled) and lets running ones finish. submit() throws PoolClosed
  /// afterwards; later calls return at once.
  void shutdown(Shutdown mode = Shutdown::Drain);
  /// The most threads the pool may run (Fixed: its size); stats().threads says how many run now.
  std::size_t size() const noexcept { return max_threads_; }
  /// Counters are updated just after each task's future completes; after wait_idle() they are exact.
  PoolStats stats() const;

 private:
  using Task = detail::MoveOnlyFunction<bool()>;  // true when the task ended without exception

  template <class F, class... A>
  auto package(F&& f, A&&... args) {
    using R = result_t<F, A...>;
    struct Job {
      Promise<R> promise;
      std::decay_t<F> fn;
      std::tuple<std::decay_t<A>...> args;
      Job(std::decay_t<F> fn_, std::tuple<std::decay_t<A>...> args_) : fn(std::move(fn_)), args(std::move(args_)) {}
      Job(Job&&) noexcept = default;
      Job& operator=(Job&&) = delete;
      ~Job() {
        if (promise.valid()) promise.set_exception(std::make_exception_ptr(Cancelled("conc: task cancelled")));
      }
      bool operator()() {
        std::exception_ptr error;
        std::optional<detail::StoredType<R>> result;
        try {
          if constexpr (std::is_void_v<R>) {
            std::apply(fn, std::move(args));
            result.emplace();
          } else {
            result.emplace(std::apply(fn, std::move(args)));
          }
        } catch (...) {
          error = std::current_exception();
        }
        // Set outside the handler, so this thread holds no reference to the exception once the
        // waiting thread can see it; callbacks that throw never reach this frame.
        if (error) {
          promise.set_exception(std::move(error));
          return false;
        }
        if constexpr (std::is_void_v<R>) {
          promise.set_value();
        } else {
          promise.set_value(std::move(*result));
        }
        return true;
      }
    };
    Job job(std::forward<F>(f), std::make_tuple(std::forward<A>(args)...));
    Future<R> future = job.promise.get_future();
    return std::pair<Task, Future<R>>(Task(std::move(job)), std::move(future));
  }

  bool enqueue(Task&& task, bool block);
  void worker_loop(std::size_t slot);
  void cancel_queued();
  void wake_worker_if_needed();
  bool start_thread();
  bool should_retire(std::size_t live) const;
  void controller_loop();

  struct alignas(64) WorkerCounters {
    std::atomic<std::uint64_t> completed{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<int> tid{0};        // the worker's kernel thread id while it runs, else 0
    std::atomic<bool> busy{false};  // in a busy run (running tasks) rather than idle
  };

  // A counter that threads sleep on until it changes, and the number of sleepers, so that
  // the side that changes it makes a system call only when someone sleeps.
  struct alignas(64) WakeUp {
    std::atomic<std::uint32_t> epoch{0};
    std::atomic<std::uint32_t> sleepers{0};
    bool wake_one();  // false when no one slept
    void wake_all();
    // Sleeps until woken, unless done(); false when `timeout` (if given) passed first.
    template <class Done>
    bool sleep_unless(Done done, const std::chrono::nanoseconds* timeout = nullptr);
  };

  // One thread's place: its std::thread (joined when the slot is reused or at shutdown) and the
  // counters, which outlive the threads that come and go in the slot.
  struct Slot {
    std::thread thread;
    std::atomic<bool> free{true};
  };

  std::size_t unfinished() const;

  const Sizing sizing_;
  const std::size_t min_threads_;
  const std::size_t max_threads_;
  const std::chrono::milliseconds keep_alive_;
  const std::chrono::milliseconds sample_interval_;
  detail::MpmcRing<Task> queue_;
  alignas(64) std::atomic<bool> stopping_{false};
  std::atomic<bool> workers_gone_{false};
  alignas(64) std::atomic<std::uint32_t> spinning_{0};  // workers polling an empty queue
  std::atomic<std::uint32_t> busy_workers_{0};          // workers in a run of tasks
  std::atomic<bool> waking_{false};                     // a sleeper was woken and is not up yet
  alignas(64) std::atomic<std::size_t> live_{0};        // threads running (or starting)
  std::atomic<std::size_t> target_{0};                  // threads the sizing wants
  std::atomic<std::size_t> peak_{0};
  alignas(64) std::atomic<std::uint64_t> cancelled_{0};
  WakeUp work_;                // workers waiting for tasks
  WakeUp space_;               // producers waiting for room in the queue
  WakeUp idle_;                // wait_idle() callers
  WakeUp control_;             // the Auto controller between samples
  std::mutex threads_mutex_;   // starting threads
  std::mutex shutdown_mutex_;  // one shutdown() at a time
  std::unique_ptr<WorkerCounters[]> counters_;
  std::unique_ptr<Slot[]> slots_;
  BlockingMeter meter_;
  std::thread controller_;
};

}  // namespace conc
