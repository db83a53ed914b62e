#pragma once
/// @file
/// Pool sizing by the blocking rule: threads = cores / (1 - blocking coefficient),
/// with the coefficient measured live from wall and CPU time of running tasks.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace conc {

/// cores / (1 - blocking), rounded, at least 1 and at most max_threads: 8 cores at 0.9 give 80.
/// blocking is clamped to [0, 0.999]: a task that never uses the CPU still needs a bound.
std::size_t threads_for(std::size_t cores, double blocking, std::size_t max_threads = 1024);

/// CPU time used so far by the calling thread.
std::chrono::nanoseconds thread_cpu_time();
/// CPU time used so far by the whole process, all threads.
std::chrono::nanoseconds process_cpu_time();

/// Time the calling thread has spent ready to run but waiting for a core (Linux schedstat), or
/// zero where the kernel does not say. Wall time minus this is time the thread really ran or
/// blocked, so other processes' load does not read as blocking.
std::chrono::nanoseconds thread_run_delay();
/// Whether a thread of this process (by its kernel thread id, gettid()) is blocked at this moment:
/// sleeping or in uninterruptible IO ('S', 'D' in /proc), as opposed to running or ready to run.
/// std::nullopt when the kernel does not say (the thread has exited).
std::optional<bool> thread_blocked(int tid);

/// Collects (wall, CPU) time of task runs and reports 1 - cpu/wall. Thread-safe. Scope and
/// ThreadPool leave out of the wall time what the thread spent waiting for a core.
class BlockingMeter {
 public:
  /// Time summed over a number of runs.
  struct Reading {
    std::chrono::nanoseconds wall{0};  ///< wall time of the runs
    std::chrono::nanoseconds cpu{0};   ///< CPU time the runs used
    std::uint64_t samples = 0;         ///< how many runs
    /// 1 - cpu / wall in [0, 1); 0 with no samples.
    double coefficient() const;
  };

  /// Adds one run: wall time and the CPU time it used (a wall shorter than cpu counts as cpu).
  void add(std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu);
  /// Every run added so far.
  Reading total() const;
  /// The reading since the previous call of window() (for adapting while running).
  Reading window();
  /// The blocking coefficient of every run so far: total().coefficient().
  double coefficient() const { return total().coefficient(); }

  /// Measures the calling thread from construction to destruction.
  class Scope {
   public:
    /// Starts measuring the calling thread for meter; the destructor adds the run.
    explicit Scope(BlockingMeter& meter);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BlockingMeter& meter_;
    std::chrono::steady_clock::time_point wall_start_;
    std::chrono::nanoseconds cpu_start_;
    std::chrono::nanoseconds run_delay_start_;
  };
  /// A Scope measuring the calling thread: `auto run = meter.measure();`.
  Scope measure() { return Scope(*this); }

 private:
  std::atomic<std::int64_t> wall_ns_{0};
  std::atomic<std::int64_t> cpu_ns_{0};
  std::atomic<std::uint64_t> samples_{0};
  std::atomic<std::int64_t> window_wall_ns_{0};
  std::atomic<std::int64_t> window_cpu_ns_{0};
  std::atomic<std::uint64_t> window_samples_{0};
};

}  // namespace conc
