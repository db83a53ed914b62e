#include "conc/thread_pool.hpp"

#include <algorithm>

namespace conc {

namespace {
// A worker reports its busy time to the meter after this many tasks in a row, or when it runs
// out of work; reading the thread CPU clock per task would cost more than a tiny task.
constexpr std::uint64_t kMeterEvery = 256;
// Polls of an empty queue before a worker sleeps, and of a full one before a producer sleeps.
constexpr int kSpinRounds = 256;

void cpu_relax() { __builtin_ia32_pause(); }

std::size_t default_capacity(std::size_t threads) { return std::clamp<std::size_t>(1024 * threads, 1024, 65536); }
}  // namespace

bool ThreadPool::WakeUp::wake_one() {
  // Pairs with the fence in sleep_unless(): either the sleeper sees the new state, or we see it.
  detail::full_fence();
  if (sleepers.load(std::memory_order_relaxed) == 0) return false;
  epoch.fetch_add(1, std::memory_order_release);
  detail::futex_wake(epoch, 1);
  return true;
}

void ThreadPool::WakeUp::wake_all() {
  detail::full_fence();
  if (sleepers.load(std::memory_order_relaxed) == 0) return;
  epoch.fetch_add(1, std::memory_order_release);
  detail::futex_wake_all(epoch);
}

template <class Done>
void ThreadPool::WakeUp::sleep_unless(Done done) {
  const std::uint32_t seen = epoch.load(std::memory_order_acquire);
  sleepers.fetch_add(1, std::memory_order_relaxed);
  detail::full_fence();
  if (!done()) detail::futex_wait(epoch, seen);
  sleepers.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t ThreadPool::default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool::ThreadPool(std::size_t threads, ThreadPoolOptions options)
    : queue_(options.queue_capacity != 0 ? options.queue_capacity
                                         : default_capacity(std::max<std::size_t>(threads, 1))),
      counters_(std::make_unique<WorkerCounters[]>(std::max<std::size_t>(threads, 1))) {
  threads = std::max<std::size_t>(threads, 1);
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() { shutdown(Shutdown::Drain); }

bool ThreadPool::enqueue(Task&& task, bool block) {
  if (stopping_.load(std::memory_order_acquire)) throw PoolClosed();
  for (int spins = 0; !queue_.try_push(task); ++spins) {
    if (!block) return false;
    if (stopping_.load(std::memory_order_acquire)) throw PoolClosed();
    if (spins < kSpinRounds) {
      cpu_relax();
    } else {
      space_.sleep_unless(
          [&] { return queue_.size() < queue_.capacity() || stopping_.load(std::memory_order_relaxed); });
    }
  }
  // One fence orders the push before the reads below; shutdown() and sleeping workers fence
  // the other way, so either they see this task or this thread sees them.
  detail::full_fence();
  if (workers_gone_.load(std::memory_order_relaxed)) {
    cancel_queued();  // shutdown() finished while this task was being queued
    return true;
  }
  wake_worker_if_needed();
  return true;
}

// A spinning worker will take the next task, and a worker being woken will; otherwise wake a
// sleeper. One wake-up at a time, so a burst of tiny tasks wakes few workers; and each worker
// that takes a task while more wait wakes the next one (a chain), so tasks that block still
// spread over every thread at once.
void ThreadPool::wake_worker_if_needed() {
  if (work_.sleepers.load(std::memory_order_relaxed) > 0 && spinning_.load(std::memory_order_relaxed) == 0 &&
      !waking_.load(std::memory_order_relaxed) && !waking_.exchange(true, std::memory_order_acq_rel)) {
    if (!work_.wake_one()) waking_.store(false, std::memory_order_release);  // it woke by itself
  }
}

std::size_t ThreadPool::unfinished() const {
  std::uint64_t finished = cancelled_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < workers_.size(); ++i) finished += counters_[i].completed.load(std::memory_order_acquire);
  const std::uint64_t submitted = queue_.pushed();
  return submitted > finished ? static_cast<std::size_t>(submitted - finished) : 0;
}

void ThreadPool::worker_loop(std::size_t index) {
  WorkerCounters& counters = counters_[index];
  std::uint64_t in_run = 0;
  bool busy = false;
  auto run_wall_start = std::chrono::steady_clock::now();
  auto run_cpu_start = std::chrono::nanoseconds(0);
  for (;;) {
    std::optional<Task> task = queue_.try_pop();
    if (!task) {
      // One worker at a time spins on an empty queue; the others sleep at once, so spinning never
      // takes a core from the threads that submit.
      if (spinning_.fetch_add(1, std::memory_order_acq_rel) == 0) {
        for (int i = 0; i < kSpinRounds && queue_.empty() && !stopping_.load(std::memory_order_relaxed); ++i) {
          cpu_relax();
        }
      }
      spinning_.fetch_sub(1, std::memory_order_acq_rel);
      detail::full_fence();  // pairs with the fence in enqueue()
      if (!queue_.empty()) continue;
      if (busy) {
        // The busy run ends: report it, then count as idle.
        const auto wall = std::chrono::steady_clock::now() - run_wall_start;
        meter_.add(wall, thread_cpu_time() - run_cpu_start);
        in_run = 0;
        busy = false;
        busy_workers_.fetch_sub(1, std::memory_order_acq_rel);
        idle_.wake_all();
      }
      if (stopping_.load(std::memory_order_acquire)) {
        if (queue_.empty()) return;
        continue;
      }
      work_.sleep_unless([&] { return !queue_.empty() || stopping_.load(std::memory_order_relaxed); });
      waking_.store(false, std::memory_order_release);
      continue;
    }
    if (!queue_.empty()) wake_worker_if_needed();
    if (!busy) {
      // A busy run starts: measure its wall and CPU time for the meter.
      busy = true;
      busy_workers_.fetch_add(1, std::memory_order_acq_rel);
      run_wall_start = std::chrono::steady_clock::now();
      run_cpu_start = thread_cpu_time();
    }
    const bool ok = (*task)();
    task.reset();  // release captured state before the task counts as finished
    space_.wake_one();
    if (!ok) counters.failed.fetch_add(1, std::memory_order_relaxed);
    if (++in_run % kMeterEvery == 0) {
      const auto now = std::chrono::steady_clock::now();
      const auto cpu = thread_cpu_time();
      meter_.add(now - run_wall_start, cpu - run_cpu_start);
      run_wall_start = now;
      run_cpu_start = cpu;
    }
    counters.completed.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::wait_idle() {
  // Idle: every task finished, and every worker has reported its busy run to the meter.
  auto idle = [&] { return unfinished() == 0 && busy_workers_.load(std::memory_order_acquire) == 0; };
  while (!idle()) idle_.sleep_unless(idle);
}

void ThreadPool::cancel_queued() {
  bool any = false;
  while (std::optional<Task> task = queue_.try_pop()) {
    task.reset();  // the task's future gets conc::Cancelled
    cancelled_.fetch_add(1, std::memory_order_release);
    any = true;
  }
  if (any) {
    space_.wake_all();
    idle_.wake_all();
  }
}

void ThreadPool::shutdown(Shutdown mode) {
  std::lock_guard guard(shutdown_mutex_);
  stopping_.store(true, std::memory_order_seq_cst);
  if (mode == Shutdown::Cancel) cancel_queued();
  work_.wake_all();
  space_.wake_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_gone_.store(true, std::memory_order_seq_cst);
  detail::full_fence();
  cancel_queued();  // anything a racing submit() pushed after the workers left
  idle_.wake_all();
}

PoolStats ThreadPool::stats() const {
  PoolStats s;
  s.threads = workers_.size();
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    s.completed += counters_[i].completed.load(std::memory_order_relaxed);
    s.failed += counters_[i].failed.load(std::memory_order_relaxed);
  }
  s.submitted = queue_.pushed();
  s.cancelled = cancelled_.load(std::memory_order_relaxed);
  s.queued = queue_.size();
  const auto reading = meter_.total();
  s.busy_time = reading.wall;
  s.cpu_time = reading.cpu;
  s.blocking_coefficient = reading.coefficient();
  return s;
}

}  // namespace conc
