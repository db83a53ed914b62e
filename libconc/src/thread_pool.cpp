#include "conc/thread_pool.hpp"

#include <algorithm>

namespace conc {

namespace {
// A worker reports its busy time to the meter after this many tasks in a row, or when it runs
// out of work; reading the thread CPU clock per task would cost more than a tiny task.
constexpr std::uint64_t kMeterEvery = 256;
}  // namespace

std::size_t ThreadPool::default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool::ThreadPool(std::size_t threads, ThreadPoolOptions options)
    : capacity_(options.queue_capacity != 0 ? options.queue_capacity : 1024 * std::max<std::size_t>(threads, 1)),
      counters_(std::make_unique<WorkerCounters[]>(std::max<std::size_t>(threads, 1))) {
  threads = std::max<std::size_t>(threads, 1);
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() { shutdown(Shutdown::Drain); }

bool ThreadPool::enqueue(Task&& task, bool block) {
  std::unique_lock lock(mutex_);
  if (block) {
    not_full_.wait(lock, [&] { return stopping_ || queue_.size() < capacity_; });
  } else if (queue_.size() >= capacity_ && !stopping_) {
    return false;
  }
  if (stopping_) throw PoolClosed();
  queue_.push_back(std::move(task));
  ++submitted_;
  lock.unlock();
  not_empty_.notify_one();
  return true;
}

void ThreadPool::worker_loop(std::size_t index) {
  WorkerCounters& counters = counters_[index];
  std::unique_lock lock(mutex_);
  for (;;) {
    not_empty_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    // A busy run: take tasks until the queue is empty, measuring wall and CPU time for the meter.
    std::uint64_t in_run = 0;
    auto run_wall_start = std::chrono::steady_clock::now();
    auto run_cpu_start = thread_cpu_time();
    while (!queue_.empty()) {
      Task task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      const bool wake_producer = queue_.size() + 1 == capacity_;
      lock.unlock();
      if (wake_producer) not_full_.notify_all();
      const bool ok = task();
      task = nullptr;  // release captured state before the completion becomes visible as idle
      counters.completed.fetch_add(1, std::memory_order_relaxed);
      if (!ok) counters.failed.fetch_add(1, std::memory_order_relaxed);
      if (++in_run % kMeterEvery == 0) {
        const auto now = std::chrono::steady_clock::now();
        const auto cpu = thread_cpu_time();
        meter_.add(now - run_wall_start, cpu - run_cpu_start);
        run_wall_start = now;
        run_cpu_start = cpu;
      }
      lock.lock();
      // Report the busy run before this thread counts as idle, so wait_idle() sees complete stats.
      if (queue_.empty()) {
        meter_.add(std::chrono::steady_clock::now() - run_wall_start, thread_cpu_time() - run_cpu_start);
      }
      --running_;
    }
    if (running_ == 0) idle_.notify_all();
  }
}

void ThreadPool::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void ThreadPool::shutdown(Shutdown mode) {
  std::deque<Task> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (mode == Shutdown::Cancel) {
      dropped.swap(queue_);
      cancelled_ += dropped.size();
    }
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  dropped.clear();  // each dropped task's future gets conc::Cancelled
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  idle_.notify_all();
}

PoolStats ThreadPool::stats() const {
  PoolStats s;
  s.threads = workers_.size();
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    s.completed += counters_[i].completed.load(std::memory_order_relaxed);
    s.failed += counters_[i].failed.load(std::memory_order_relaxed);
  }
  {
    std::lock_guard lock(mutex_);
    s.submitted = submitted_;
    s.cancelled = cancelled_;
    s.queued = queue_.size();
  }
  const auto reading = meter_.total();
  s.busy_time = reading.wall;
  s.cpu_time = reading.cpu;
  s.blocking_coefficient = reading.coefficient();
  return s;
}

}  // namespace conc
