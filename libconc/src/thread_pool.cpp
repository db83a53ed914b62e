#include "conc/thread_pool.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>

namespace conc {

namespace {
// A worker reports its busy time to the meter after this many tasks in a row, or when it runs
// out of work; reading the thread CPU clock per task would cost more than a tiny task.
constexpr std::uint64_t kMeterEvery = 256;
// Under Sizing::Auto a worker also reports a busy run once it is this long, so that the
// controller sees slow blocking tasks within a sample or two.
constexpr auto kAutoMeterEvery = std::chrono::milliseconds(10);
// Polls of an empty queue before a worker sleeps, and of a full one before a producer sleeps.
constexpr int kSpinRounds = 256;
// Auto: a larger pool must bring this much more throughput to be kept, and a smaller one must
// keep at least this much of it.
constexpr double kGrowthGain = 1.05;
constexpr double kShrinkLoss = 0.97;
// Auto: samples at the ceiling between tries of a smaller pool.
constexpr int kShrinkEvery = 40;
// Auto: samples to wait after a growth that did not pay before trying again.
constexpr int kCooldownSamples = 20;
// Auto: how far past the blocking rule the pool may look for more throughput.
constexpr std::size_t kBeyondRule = 4;
constexpr std::size_t kAutoMaxThreads = 1024;

std::size_t default_capacity(std::size_t threads) { return std::clamp<std::size_t>(1024 * threads, 1024, 65536); }

std::size_t cores() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPoolOptions fixed(std::size_t threads, ThreadPoolOptions options) {
  options.sizing = Sizing::Fixed;
  options.max_threads = std::max<std::size_t>(threads, 1);
  return options;
}

std::size_t max_threads_of(const ThreadPoolOptions& o) {
  if (o.max_threads != 0) return o.max_threads;
  return o.sizing == Sizing::Auto ? kAutoMaxThreads : cores();
}

std::size_t min_threads_of(const ThreadPoolOptions& o) {
  const std::size_t max = max_threads_of(o);
  if (o.min_threads != 0) return std::min(o.min_threads, max);
  return o.sizing == Sizing::Auto ? 1 : max;
}
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
bool ThreadPool::WakeUp::sleep_unless(Done done, const std::chrono::nanoseconds* timeout) {
  const std::uint32_t seen = epoch.load(std::memory_order_acquire);
  sleepers.fetch_add(1, std::memory_order_relaxed);
  detail::full_fence();
  bool woken = true;
  if (!done()) {
    const auto start = std::chrono::steady_clock::now();
    detail::futex_wait(epoch, seen, timeout);
    woken = timeout == nullptr || epoch.load(std::memory_order_acquire) != seen ||
            std::chrono::steady_clock::now() - start < *timeout;
  }
  sleepers.fetch_sub(1, std::memory_order_relaxed);
  return woken;
}

std::size_t ThreadPool::default_threads() { return cores(); }

ThreadPool::ThreadPool(std::size_t threads, ThreadPoolOptions options) : ThreadPool(fixed(threads, options)) {}

ThreadPool::ThreadPool(ThreadPoolOptions options)
    : sizing_(options.sizing),
      min_threads_(min_threads_of(options)),
      max_threads_(max_threads_of(options)),
      keep_alive_(options.keep_alive),
      sample_interval_(std::max(options.sample_interval, std::chrono::milliseconds(1))),
      queue_(options.queue_capacity != 0 ? options.queue_capacity : default_capacity(max_threads_)),
      counters_(std::make_unique<WorkerCounters[]>(max_threads_)),
      slots_(std::make_unique<Slot[]>(max_threads_)) {
  const std::size_t start = sizing_ == Sizing::Auto ? std::clamp(cores(), min_threads_, max_threads_) : max_threads_;
  target_.store(start, std::memory_order_relaxed);
  if (sizing_ == Sizing::Auto) controller_ = std::thread([this] { controller_loop(); });
}

ThreadPool::~ThreadPool() { shutdown(Shutdown::Drain); }

// Starts one thread if the pool has fewer than it wants (always when it has none). Throws
// std::system_error when the system refuses a thread.
bool ThreadPool::start_thread() {
  if (stopping_.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(threads_mutex_);
  if (stopping_.load(std::memory_order_relaxed)) return false;
  const std::size_t live = live_.load(std::memory_order_acquire);
  if (live != 0 && live >= target_.load(std::memory_order_relaxed)) return false;
  Slot* slot = nullptr;
  std::size_t index = 0;
  for (; index < max_threads_; ++index) {
    if (slots_[index].free.load(std::memory_order_acquire)) {
      slot = &slots_[index];
      break;
    }
  }
  if (slot == nullptr) return false;                 // every slot still holds a retiring thread
  if (slot->thread.joinable()) slot->thread.join();  // it has left its loop
  slot->free.store(false, std::memory_order_relaxed);
  const std::size_t now_live = live_.fetch_add(1, std::memory_order_acq_rel) + 1;
  try {
    slot->thread = std::thread([this, index] { worker_loop(index); });
  } catch (...) {
    live_.fetch_sub(1, std::memory_order_acq_rel);
    slot->free.store(true, std::memory_order_release);
    throw;
  }
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (now_live > peak && !peak_.compare_exchange_weak(peak, now_live, std::memory_order_relaxed)) {
  }
  return true;
}

bool ThreadPool::enqueue(Task&& task, bool block) {
  if (stopping_.load(std::memory_order_acquire)) throw PoolClosed();
  // A pool with no thread starts one before taking the task, so that a refused thread is the
  // caller's error rather than a task that waits forever.
  if (live_.load(std::memory_order_acquire) == 0 && !start_thread() && live_.load(std::memory_order_acquire) == 0) {
    if (stopping_.load(std::memory_order_acquire)) throw PoolClosed();
    throw std::system_error(EAGAIN, std::generic_category(), "conc: cannot start a pool thread");
  }
  for (int spins = 0; !queue_.try_push(task); ++spins) {
    if (!block) return false;
    if (stopping_.load(std::memory_order_acquire)) throw PoolClosed();
    if (spins < kSpinRounds) {
      detail::cpu_relax();
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
// spread over every thread at once. With no idle thread at all, the pool grows towards its target.
void ThreadPool::wake_worker_if_needed() {
  if (spinning_.load(std::memory_order_relaxed) != 0) return;
  if (work_.sleepers.load(std::memory_order_relaxed) > 0) {
    if (!waking_.load(std::memory_order_relaxed) && !waking_.exchange(true, std::memory_order_acq_rel)) {
      if (!work_.wake_one()) waking_.store(false, std::memory_order_release);  // it woke by itself
    }
    return;
  }
  if (live_.load(std::memory_order_relaxed) < target_.load(std::memory_order_relaxed)) {
    try {
      start_thread();
    } catch (const std::system_error&) {
      // The threads there are run the task; the pool grows again at a later submit.
    }
  }
}

std::size_t ThreadPool::unfinished() const {
  std::uint64_t finished = cancelled_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < max_threads_; ++i) finished += counters_[i].completed.load(std::memory_order_acquire);
  const std::uint64_t submitted = queue_.pushed();
  return submitted > finished ? static_cast<std::size_t>(submitted - finished) : 0;
}

bool ThreadPool::should_retire(std::size_t live) const {
  return sizing_ == Sizing::Auto && live > std::max(target_.load(std::memory_order_relaxed), min_threads_);
}

void ThreadPool::worker_loop(std::size_t slot) {
  WorkerCounters& counters = counters_[slot];
  counters.tid.store(static_cast<int>(::gettid()), std::memory_order_relaxed);
  std::uint64_t in_run = 0;
  bool busy = false;
  auto run_wall_start = std::chrono::steady_clock::now();
  auto run_cpu_start = std::chrono::nanoseconds(0);
  auto run_delay_start = std::chrono::nanoseconds(0);
  const bool automatic = sizing_ == Sizing::Auto;
  // The meter leaves out the time spent waiting for a core, so that load from other processes
  // does not pass for blocking and CPU-bound work is never given more threads than cores.
  // The next interval starts after the measuring is done, so that its own cost (a read of
  // /proc) never counts as the tasks' CPU.
  auto start_interval = [&] {
    run_delay_start = thread_run_delay();
    run_cpu_start = thread_cpu_time();
    run_wall_start = std::chrono::steady_clock::now();
  };
  auto report = [&](std::chrono::steady_clock::time_point now) {
    const auto cpu = thread_cpu_time();
    const auto delay = thread_run_delay();
    meter_.add((now - run_wall_start) - (delay - run_delay_start), cpu - run_cpu_start);
    start_interval();
  };
  auto end_busy_run = [&] {
    if (!busy) return;
    report(std::chrono::steady_clock::now());
    in_run = 0;
    busy = false;
    counters.busy.store(false, std::memory_order_relaxed);
    busy_workers_.fetch_sub(1, std::memory_order_acq_rel);
    idle_.wake_all();
  };
  // Leaves the pool if it still has more threads than `floor`; false when it must stay.
  auto retire = [&](std::size_t floor) {
    std::size_t live = live_.load(std::memory_order_acquire);
    do {
      if (live <= floor) return false;
    } while (!live_.compare_exchange_weak(live, live - 1, std::memory_order_acq_rel));
    detail::full_fence();  // pairs with the fence in enqueue(): a task queued meanwhile is seen
    if (!queue_.empty() && !stopping_.load(std::memory_order_acquire) &&
        live_.load(std::memory_order_acquire) < target_.load(std::memory_order_relaxed)) {
      live_.fetch_add(1, std::memory_order_acq_rel);
      return false;
    }
    return true;
  };
  for (;;) {
    std::optional<Task> task = queue_.try_pop();
    if (!task) {
      // One worker at a time spins on an empty queue; the others sleep at once, so spinning never
      // takes a core from the threads that submit.
      if (spinning_.fetch_add(1, std::memory_order_acq_rel) == 0) {
        for (int i = 0; i < kSpinRounds && queue_.empty() && !stopping_.load(std::memory_order_relaxed); ++i) {
          detail::cpu_relax();
        }
      }
      spinning_.fetch_sub(1, std::memory_order_acq_rel);
      detail::full_fence();  // pairs with the fence in enqueue()
      if (!queue_.empty()) continue;
      end_busy_run();
      if (stopping_.load(std::memory_order_acquire)) {
        if (queue_.empty()) break;
        continue;
      }
      if (should_retire(live_.load(std::memory_order_relaxed)) && retire(target_.load(std::memory_order_relaxed))) {
        break;
      }
      const std::chrono::nanoseconds keep_alive = keep_alive_;
      const bool woken =
          work_.sleep_unless([&] { return !queue_.empty() || stopping_.load(std::memory_order_relaxed); }, &keep_alive);
      waking_.store(false, std::memory_order_release);
      // Pairs with the fence in enqueue(): a producer that saw waking_ set and left the wake-up to
      // this worker pushed its task before, so the queue check after here sees it.
      detail::full_fence();
      if (!woken && queue_.empty() && !stopping_.load(std::memory_order_acquire) && retire(min_threads_)) break;
      continue;
    }
    if (!queue_.empty()) wake_worker_if_needed();
    if (!busy) {
      // A busy run starts: measure its wall and CPU time for the meter.
      busy = true;
      counters.busy.store(true, std::memory_order_relaxed);
      busy_workers_.fetch_add(1, std::memory_order_acq_rel);
      start_interval();
    }
    const bool ok = (*task)();
    task.reset();  // release captured state before the task counts as finished
    space_.wake_one();
    if (!ok) counters.failed.fetch_add(1, std::memory_order_relaxed);
    ++in_run;
    if (in_run % kMeterEvery == 0) {
      report(std::chrono::steady_clock::now());
    } else if (automatic) {
      const auto now = std::chrono::steady_clock::now();
      if (now - run_wall_start >= kAutoMeterEvery) report(now);
    }
    counters.completed.fetch_add(1, std::memory_order_release);
    if (should_retire(live_.load(std::memory_order_relaxed)) && retire(target_.load(std::memory_order_relaxed))) {
      end_busy_run();
      break;
    }
  }
  end_busy_run();
  counters.tid.store(0, std::memory_order_relaxed);
  slots_[slot].free.store(true, std::memory_order_release);  // the last touch of the pool
}

// Sizing::Auto. Each sample: the blocking coefficient of the tasks sets a ceiling (the rule
// cores / (1 - b)). While tasks wait in the queue the pool tries a new size and judges it by
// throughput (hill climbing): a larger size is kept only if throughput rose by kGrowthGain, a
// smaller one only if throughput held within kShrinkLoss; a size that does not pay is undone and
// the next try moves half as far.
void ThreadPool::controller_loop() {
  using Clock = std::chrono::steady_clock;
  const std::chrono::nanoseconds interval = sample_interval_;
  auto completed_now = [&] {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < max_threads_; ++i) n += counters_[i].completed.load(std::memory_order_relaxed);
    return n;
  };
  double blocking = 0.0;
  bool measured = false;
  std::uint64_t last_completed = completed_now();
  auto last_time = Clock::now();
  enum class Phase { Steady, Settling, Judging } phase = Phase::Steady;
  double base_rate = 0;
  double previous_rate = 0;  // the sample before this one: rates are judged over two samples
  int judged = 0;
  std::size_t probe_from = 0;
  std::size_t up_step = 0;  // 0: all the way to the ceiling
  int cooldown = 0;
  int misses = 0;  // tries in a row that did not pay
  int since_shrink = 0;
  while (!stopping_.load(std::memory_order_acquire)) {
    control_.sleep_unless([&] { return stopping_.load(std::memory_order_relaxed); }, &interval);
    if (stopping_.load(std::memory_order_acquire)) break;
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - last_time).count();
    const std::uint64_t completed = completed_now();
    const double rate = seconds > 0 ? static_cast<double>(completed - last_completed) / seconds : 0;
    last_completed = completed;
    last_time = now;
    const BlockingMeter::Reading window = meter_.window();
    const std::size_t busy = busy_workers_.load(std::memory_order_relaxed);
    if (window.samples > 0 && window.wall.count() > 0) {
      blocking = measured ? 0.5 * blocking + 0.5 * window.coefficient() : window.coefficient();
      measured = true;
    } else if (busy > 0) {
      // No run reported in this sample: every task is still running. The share of busy workers
      // the kernel has asleep says how much they wait (CPU time would not do: on a loaded
      // machine a thread ready to run but given no core uses none either).
      std::size_t seen = 0;
      std::size_t blocked = 0;
      for (std::size_t i = 0; i < max_threads_; ++i) {
        if (!counters_[i].busy.load(std::memory_order_relaxed)) continue;
        const int tid = counters_[i].tid.load(std::memory_order_relaxed);
        const std::optional<bool> asleep = tid == 0 ? std::nullopt : thread_blocked(tid);
        if (!asleep) continue;
        ++seen;
        if (*asleep) ++blocked;
      }
      if (seen > 0) {
        const double running = std::min(0.999, static_cast<double>(blocked) / static_cast<double>(seen));
        blocking = measured ? 0.5 * blocking + 0.5 * running : running;
        measured = true;
      }
    }
    const std::size_t floor = std::max<std::size_t>(min_threads_, 1);
    const std::size_t rule = std::clamp(threads_for(cores(), blocking, max_threads_), floor, max_threads_);
    // Tasks that mostly wait may go past the rule as far as throughput keeps rising (queueing
    // leaves cores idle at exactly cores / (1 - b)); tasks that mostly compute (b < 0.5, where a
    // noisy measurement of b matters most) stay at the rule.
    const std::size_t ceiling = rule >= 2 * cores() ? std::min(max_threads_, rule * kBeyondRule) : rule;
    std::size_t target = target_.load(std::memory_order_relaxed);
    const bool backlog = !queue_.empty();
    if (cooldown > 0) --cooldown;
    ++since_shrink;
    switch (phase) {
      case Phase::Settling:
        phase = Phase::Judging;  // the sample that saw the change is not yet representative
        judged = 0;
        break;
      case Phase::Judging: {
        if (++judged < 2) break;
        phase = Phase::Steady;
        const double judged_rate = (rate + previous_rate) / 2;
        const bool grew = target > probe_from;
        const bool pays = grew ? judged_rate >= base_rate * kGrowthGain : judged_rate >= base_rate * kShrinkLoss;
        if (pays) {
          up_step = 0;
          misses = 0;
        } else {
          const std::size_t distance = grew ? target - probe_from : probe_from - target;
          if (grew) up_step = std::max<std::size_t>(1, distance / 2);
          target = probe_from;
          // Each try in a row that does not pay waits twice as long before the next.
          cooldown = kCooldownSamples << std::min(misses++, 4);
        }
        break;
      }
      case Phase::Steady:
        if (target > ceiling) {
          target = ceiling;  // the tasks block less than the pool assumed
        } else if (backlog && measured && cooldown == 0 && live_.load(std::memory_order_relaxed) >= target) {
          std::size_t next = target;
          if (target < rule) {
            next = up_step == 0 ? rule : std::min(rule, target + up_step);
          } else if (target < ceiling) {
            next = std::min(ceiling, target + std::max<std::size_t>(1, up_step == 0 ? target / 2 : up_step));
          } else if (since_shrink >= kShrinkEvery && target > std::max(floor, cores())) {
            // At the ceiling: see whether fewer threads do as well.
            next = std::max({floor, cores(), target - std::max<std::size_t>(1, target / 4)});
            since_shrink = 0;
          }
          if (next != target) {
            probe_from = target;
            target = next;
            base_rate = (rate + previous_rate) / 2;
            phase = Phase::Settling;
          }
        }
        break;
    }
    previous_rate = rate;
    target_.store(target, std::memory_order_relaxed);
    if (backlog) {
      try {
        while (live_.load(std::memory_order_relaxed) < target && start_thread()) {
        }
      } catch (const std::system_error&) {
        // The system refuses more threads: the pool runs with those it has.
      }
    }
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
  std::lock_guard serial(shutdown_mutex_);
  stopping_.store(true, std::memory_order_seq_cst);
  if (mode == Shutdown::Cancel) cancel_queued();
  work_.wake_all();
  space_.wake_all();
  control_.wake_all();
  std::vector<std::thread> threads;
  {
    // No thread starts once stopping_ is seen under this lock; those started are joined outside it,
    // since a worker may be waiting for the lock to start a sibling.
    std::lock_guard lock(threads_mutex_);
    for (std::size_t i = 0; i < max_threads_; ++i) {
      if (slots_[i].thread.joinable()) threads.push_back(std::move(slots_[i].thread));
    }
    if (controller_.joinable()) threads.push_back(std::move(controller_));
  }
  for (auto& t : threads) t.join();
  workers_gone_.store(true, std::memory_order_seq_cst);
  detail::full_fence();
  cancel_queued();  // anything a racing submit() pushed after the workers left
  idle_.wake_all();
}

PoolStats ThreadPool::stats() const {
  PoolStats s;
  s.threads = live_.load(std::memory_order_relaxed);
  s.target_threads = target_.load(std::memory_order_relaxed);
  s.peak_threads = peak_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < max_threads_; ++i) {
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
