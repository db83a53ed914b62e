#pragma once
/// @file
/// ProcessPool: the CPU pool that isolates faults. Workers are separate processes
/// (this program re-executed in worker mode, never a fork of a threaded parent);
/// a task is a registered function name plus a serialized argument, sent in
/// length-prefixed frames over a socketpair. A task that crashes, aborts, exits or
/// hangs costs only itself: its worker is replaced and every other task completes.
///
/// Nothing a worker does can stop the pool: a worker that dies, hangs, sends a malformed or
/// oversized frame, or cannot be started costs the tasks it held or needed, each failed with the
/// reason; the pool replaces it and goes on. Workers are reaped without blocking the pool.
///
/// Blame is exact: a failure is charged to a task only when it was the one task in flight on
/// the worker that died or hung. Tasks that shared the worker with an unknown culprit are rerun
/// one at a time (not counted as retries), which finds it. A charged crash is retried
/// `retries` times ("worker killed by SIGSEGV (2 attempts)"); a charged timeout is not.
///
/// ```
/// CONC_TASK(make_thumbnail);
/// conc::ProcessPool cpu({.workers = 2, .task_timeout = 30s});
/// cpu.imap_unordered<make_thumbnail>(jobs, [&](conc::Outcome<ThumbResult> r) {
///   if (r) report.ok(*r); else report.failed(r.error());   // "worker killed by SIGSEGV"
/// });
/// ```

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "conc/blocking_queue.hpp"
#include "conc/detail/move_only_function.hpp"
#include "conc/event.hpp"
#include "conc/future.hpp"
#include "conc/message.hpp"
#include "conc/outcome.hpp"
#include "conc/shutdown.hpp"
#include "conc/task.hpp"

namespace conc {

/// Where the pool sends what its workers write to stderr.
enum class WorkerStderr {
  Prefix,   ///< each line a worker writes to stderr appears whole, as "[worker PID] line"
  Inherit,  ///< workers write to the pool's stderr directly
};

/// How a ProcessPool runs its workers; every field has a working default.
struct ProcessPoolOptions {
  std::size_t workers = 0;                    ///< 0: one per core
  std::chrono::milliseconds task_timeout{0};  ///< 0: none; a task running longer has its worker killed
  std::size_t max_tasks_per_child = 0;        ///< 0: unlimited; else a worker is replaced after this many
  unsigned retries = 1;                       ///< a task that crashed its worker is run again this many times
  std::size_t max_in_flight = 0;              ///< tasks submitted but unfinished; submit blocks beyond. 0: 1024/worker
  std::size_t max_batch = 64;                 ///< tiny queued tasks are coalesced up to this many per frame; 1: never
  TaskCall initializer{};                     ///< run once in every worker before its first task
  WorkerStderr worker_stderr = WorkerStderr::Prefix;  ///< what becomes of the workers' stderr
  std::string executable{};                           ///< the worker program; default: this program
  std::chrono::milliseconds exit_grace{5000};         ///< a retired worker not gone by then is killed
  /// The largest message either way; a task, result or frame over it fails with the reason.
  std::size_t max_message_bytes = std::size_t{256} << 20;
};

/// What a ProcessPool has done so far; ProcessPool::stats() takes a snapshot.
struct ProcessPoolStats {
  std::size_t workers = 0;          ///< worker processes running now
  std::uint64_t completed = 0;      ///< tasks finished, ok or failed
  std::uint64_t failed = 0;         ///< of completed: those that failed
  std::uint64_t worker_deaths = 0;  ///< crashes, kills and timeouts
  std::uint64_t timeouts = 0;       ///< tasks whose worker was killed for running past task_timeout
  std::uint64_t retried = 0;        ///< reruns of tasks that crashed their worker
  std::uint64_t spawned = 0;        ///< worker processes started, replacements included
};

/// A pool of worker processes running registered tasks (CONC_TASK), each failure costing only its
/// task. Any thread may submit, a completion callback included. Not copyable.
class ProcessPool {
 public:
  /// A raw outcome: the result's bytes and the descriptors (SharedBuffers) that came with them.
  using Completion = detail::MoveOnlyFunction<void(Outcome<Message>&&)>;

  /// Starts the pool's manager thread; the workers start in the background. Throws
  /// std::system_error when the pool's own resources cannot be made.
  explicit ProcessPool(ProcessPoolOptions options = {});
  ~ProcessPool();  ///< shutdown(Drain)
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  /// Queues the registered task `name`; done(outcome) runs on the pool's own thread, so keep it short.
  /// Blocks while max_in_flight tasks are unfinished. chunk > 1 sends this and the following tasks
  /// together, chunk at a time (map's chunksize).
  /// The payload's descriptors travel with it (SCM_RIGHTS) and are closed here once sent.
  /// A task refused at once (over the message cap, or the pool shut down: "cancelled: pool shut
  /// down") gets its failed outcome on the calling thread, before submit_raw returns.
  void submit_raw(std::string name, Message payload, Completion done, std::uint32_t chunk = 1);
  /// As submit_raw(name, Message, done, chunk) with bytes only.
  void submit_raw(std::string name, std::string payload, Completion done, std::uint32_t chunk = 1) {
    submit_raw(std::move(name), Message{std::move(payload), {}}, std::move(done), chunk);
  }
  /// As submit_raw(name, payload, done) with the result's bytes in a future; a failure is
  /// rethrown as TaskError.
  Future<std::string> submit_raw(std::string name, std::string payload);
  /// Queues many tasks of one name at once: done[i] receives the outcome of payloads[i].
  void submit_raw_many(const std::string& name, std::vector<Message>&& payloads, std::vector<Completion>&& done,
                       std::uint32_t chunk = 1);

  /// The result type of task F.
  template <auto F>
  using result_t = typename detail::TaskSignature<decltype(F)>::Result;
  /// The argument type of task F (without const and reference).
  template <auto F>
  using argument_t = typename detail::TaskSignature<decltype(F)>::Argument;

  /// Runs F(argument) in a worker. The future rethrows a failure as conc::TaskError.
  template <auto F>
  Future<result_t<F>> submit(const argument_t<F>& argument) {
    using R = result_t<F>;
    auto promise = std::make_shared<Promise<R>>();
    Future<R> future = promise->get_future();
    submit_raw(task_name<F>(), encode_message(argument), [promise](Outcome<Message>&& outcome) {
      if (!outcome) {
        promise->set_exception(std::make_exception_ptr(TaskError(outcome.error())));
        return;
      }
      try {
        if constexpr (std::is_void_v<R>) {
          promise->set_value();
        } else {
          detail::ReceiveFds fds(outcome->fds);
          promise->set_value(decode<R>(outcome->bytes));
        }
      } catch (...) {
        promise->set_exception(std::current_exception());
      }
    });
    return future;
  }

  /// F over every input; each outcome goes to sink(Outcome<R>) — or sink(index, Outcome<R>) — on the
  /// calling thread, in completion order. At most max_in_flight inputs are taken ahead (0: the
  /// pool's own bound), so the input can be a stream.
  template <auto F, class Range, class Sink>
  void imap_unordered(Range&& inputs, Sink sink, std::size_t max_in_flight = 0) {
    using R = result_t<F>;
    const std::string name = task_name<F>();
    if (max_in_flight == 0) max_in_flight = in_flight_limit();
    auto done = std::make_shared<BlockingQueue<std::pair<std::size_t, Outcome<Message>>>>();
    std::size_t in_flight = 0;
    std::size_t index = 0;
    auto take_one = [&] {
      auto [i, raw] = *done->get();
      --in_flight;
      Outcome<R> outcome = decode_outcome<R>(std::move(raw));
      if constexpr (std::is_invocable_v<Sink&, std::size_t, Outcome<R>&&>) {
        sink(i, std::move(outcome));
      } else {
        sink(std::move(outcome));
      }
    };
    // The next input is read only once there is room for it.
    for (auto it = std::begin(inputs); it != std::end(inputs); ++it) {
      if (in_flight >= max_in_flight) take_one();
      submit_raw(name, encode_message(*it),
                 [done, i = index](Outcome<Message>&& o) { done->put(std::pair(i, std::move(o))); });
      ++in_flight;
      ++index;
    }
    while (in_flight > 0) take_one();
  }

  /// F over every input; outcomes in input order. chunksize > 1 sends inputs in chunks (fewer,
  /// larger frames); a chunk whose worker dies is rerun one input at a time to find the culprit.
  template <auto F, class Range>
  std::vector<Outcome<result_t<F>>> map(const Range& inputs, std::size_t chunksize = 1) {
    using R = result_t<F>;
    std::vector<Message> payloads;
    for (const auto& input : inputs) payloads.push_back(encode_message(input));
    std::vector<std::optional<Outcome<Message>>> raw(payloads.size());
    std::atomic<std::size_t> remaining{payloads.size()};
    Event all_done;
    if (payloads.empty()) all_done.set();
    std::vector<Completion> done;
    done.reserve(payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      done.emplace_back([&raw, &remaining, &all_done, i](Outcome<Message>&& o) {
        raw[i].emplace(std::move(o));
        if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) all_done.set();
      });
    }
    submit_raw_many(task_name<F>(), std::move(payloads), std::move(done),
                    static_cast<std::uint32_t>(chunksize == 0 ? 1 : chunksize));
    all_done.wait();
    std::vector<Outcome<R>> results;
    results.reserve(raw.size());
    for (auto& r : raw) results.push_back(decode_outcome<R>(std::move(*r)));
    return results;
  }

  /// Drain: finish every queued task, then stop the workers. Cancel: fail queued and running tasks
  /// ("cancelled: pool shut down"), kill the workers. Either way every worker is reaped. Tasks
  /// submitted afterwards fail at once with "cancelled: pool shut down".
  void shutdown(Shutdown mode = Shutdown::Drain);

  /// The number of workers the pool keeps running (options.workers, or one per core).
  std::size_t size() const noexcept;
  /// The process ids of the workers running now (fewer than size() while some start).
  std::vector<pid_t> worker_pids() const;
  /// A snapshot of the counters. A task is counted before its callback runs, so a snapshot taken
  /// once its future is ready (after map() returns, say) counts it.
  ProcessPoolStats stats() const;

 private:
  template <class T>
  static Message encode_message(const T& value) {
    Message m;
    detail::AttachFds attach(m.fds);
    m.bytes = encode(value);
    return m;
  }
  template <class R>
  static Outcome<R> decode_outcome(Outcome<Message>&& raw) {
    if (!raw) return raw.error();
    if constexpr (std::is_same_v<R, std::string>) {
      return std::move(raw->bytes);
    } else {
      try {
        detail::ReceiveFds fds(raw->fds);
        return decode<R>(raw->bytes);
      } catch (const std::exception& e) {
        return Error{std::string("cannot decode the task's result: ") + e.what(), {}};
      }
    }
  }
  std::size_t in_flight_limit() const noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace conc
