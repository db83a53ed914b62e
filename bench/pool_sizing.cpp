// How well ThreadPool sizes itself: a stream of tasks that compute for `cpu_us` and then wait
// (sleep) so that the share of waiting is the blocking coefficient b, run for a fixed time on a
// Fixed pool of N threads or on Sizing::Auto.
//
//   conc-bench-sizing B SIZING SECONDS [TIMELINE.csv]
//     B       blocking coefficient of the tasks: 0 (CPU-bound), 0.5, 0.9, 0.99
//     SIZING  fixed:N or auto
// Prints one line: b=... sizing=... threads=N completed=... seconds=... tasks_per_s=...
// peak_threads=... mean_threads=...; with TIMELINE, writes "seconds,threads,target" every 50 ms.

#include <conc/semaphore.hpp>
#include <conc/sizing.hpp>
#include <conc/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kCpu = std::chrono::microseconds(200);
constexpr std::size_t kMaxQueued = 4096;  // tasks submitted ahead of the pool: always a backlog

void compute(std::chrono::microseconds amount) {
  const auto start = conc::thread_cpu_time();
  volatile unsigned sink = 0;
  while (conc::thread_cpu_time() - start < amount) sink = sink + 1;
}

int usage() {
  std::fprintf(stderr, "usage: conc-bench-sizing B fixed:N|auto SECONDS [TIMELINE.csv]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return usage();
  const double blocking = std::atof(argv[1]);
  const std::string sizing = argv[2];
  const double seconds = std::atof(argv[3]);
  if (blocking < 0 || blocking >= 1 || seconds <= 0) return usage();
  const auto wait =
      std::chrono::microseconds(static_cast<long>(static_cast<double>(kCpu.count()) * blocking / (1 - blocking)));

  conc::ThreadPoolOptions options;
  std::size_t fixed = 0;
  if (sizing == "auto") {
    options.sizing = conc::Sizing::Auto;
    options.max_threads = 1024;
  } else if (sizing.rfind("fixed:", 0) == 0) {
    fixed = std::strtoul(sizing.c_str() + 6, nullptr, 10);
    if (fixed == 0) return usage();
    options.max_threads = fixed;
  } else {
    return usage();
  }

  std::atomic<std::uint64_t> completed{0};
  conc::Semaphore room(kMaxQueued);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  conc::ThreadPool pool(options);
  std::ofstream timeline;
  if (argc > 4) timeline.open(argv[4]);
  std::atomic<bool> sampling{true};
  double thread_seconds = 0;
  std::uint64_t samples = 0;
  std::thread sampler([&] {
    while (sampling.load()) {
      const auto s = pool.stats();
      thread_seconds += static_cast<double>(s.threads);
      ++samples;
      if (timeline) {
        timeline << std::chrono::duration<double>(Clock::now() - start).count() << "," << s.threads << ","
                 << s.target_threads << "\n";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  while (Clock::now() < end) {
    if (!room.try_acquire_for(std::chrono::milliseconds(50))) continue;
    pool.detach([&] {
      compute(kCpu);
      if (wait.count() > 0) std::this_thread::sleep_for(wait);
      if (Clock::now() < end) completed.fetch_add(1, std::memory_order_relaxed);
      room.release();
    });
  }
  sampling = false;
  sampler.join();
  pool.shutdown(conc::Shutdown::Cancel);
  const auto stats = pool.stats();
  const double rate = static_cast<double>(completed.load()) / seconds;
  std::printf(
      "b=%.2f sizing=%s threads=%zu completed=%llu seconds=%.3f tasks_per_s=%.0f peak_threads=%zu mean_threads=%.1f\n",
      blocking, sizing == "auto" ? "auto" : "fixed", fixed, static_cast<unsigned long long>(completed.load()), seconds,
      rate, stats.peak_threads, samples > 0 ? thread_seconds / static_cast<double>(samples) : 0.0);
  return 0;
}
