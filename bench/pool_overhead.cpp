// Per-task overhead of the pools, one measurement per invocation so that a script can
// interleave runs of different pools (A B A B ...) and take medians.
//
//   conc-bench-pools thread-pool   [N] [threads]   N no-op tasks through conc::ThreadPool::submit
//   conc-bench-pools tbb           [N] [threads]   N no-op tasks through tbb::task_group::run
//   conc-bench-pools std-async     [N]             N no-op std::async(launch::async) tasks
//   conc-bench-pools process-pool  [N] [workers] [mode]   N echo tasks, 100-byte payload each way;
//                                                 mode: frame (one task per frame), auto (coalescing),
//                                                 chunk=K (map chunksize K)
// Prints one line: "<name> tasks=<N> seconds=<s> tasks_per_s=<r>".

#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <conc/process_pool.hpp>
#include <conc/thread_pool.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::string echo(std::string s) { return s; }
CONC_TASK(echo);

using Clock = std::chrono::steady_clock;

void report(const std::string& name, long n, Clock::duration elapsed) {
  const double s = std::chrono::duration<double>(elapsed).count();
  std::printf("%s tasks=%ld seconds=%.6f tasks_per_s=%.0f\n", name.c_str(), n, s, static_cast<double>(n) / s);
}

int thread_pool(long n, unsigned threads) {
  const auto start = Clock::now();
  {
    conc::ThreadPool pool(threads);
    for (long i = 0; i < n; ++i)
      static_cast<void>(pool.submit([] {}));  // the future, made and dropped, is part of the cost
    pool.wait_idle();
  }
  report("conc::ThreadPool", n, Clock::now() - start);
  return 0;
}

int tbb_task_group(long n, unsigned threads) {
  const auto start = Clock::now();
  {
    tbb::task_arena arena(static_cast<int>(threads));
    arena.execute([&] {
      tbb::task_group group;
      for (long i = 0; i < n; ++i) group.run([] {});
      group.wait();
    });
  }
  report("tbb::task_group", n, Clock::now() - start);
  return 0;
}

int std_async(long n) {
  // A window of outstanding futures: std::async starts a thread per task, and a million live
  // threads would exceed the system's limit.
  const auto start = Clock::now();
  std::deque<std::future<void>> window;
  for (long i = 0; i < n; ++i) {
    window.push_back(std::async(std::launch::async, [] {}));
    if (window.size() >= 256) {
      window.front().get();
      window.pop_front();
    }
  }
  for (auto& f : window) f.get();
  report("std::async", n, Clock::now() - start);
  return 0;
}

int process_pool(long n, unsigned workers, const std::string& mode) {
  std::vector<std::string> inputs;
  inputs.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) {
    std::string payload(100, 'x');
    const std::string id = std::to_string(i);
    payload.replace(0, id.size(), id);
    inputs.push_back(std::move(payload));
  }
  std::size_t chunk = 1;
  std::size_t max_batch = 64;
  if (mode == "frame") {
    max_batch = 1;
  } else if (mode.rfind("chunk=", 0) == 0) {
    chunk = std::stoul(mode.substr(6));
  } else if (mode != "auto") {
    throw std::invalid_argument("unknown mode " + mode);
  }
  conc::ProcessPool pool({.workers = workers, .max_batch = max_batch});
  // Start the workers before timing, as Python's Pool() does before map().
  pool.map<echo>(std::vector<std::string>(workers * 4, "warm-up"));
  const auto start = Clock::now();
  auto results = pool.map<echo>(inputs, chunk);
  const auto elapsed = Clock::now() - start;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i] || *results[i] != inputs[i]) {
      std::fprintf(stderr, "result %zu is wrong\n", i);
      return 1;
    }
  }
  report("conc::ProcessPool(" + mode + ")", n, elapsed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s thread-pool|tbb|std-async|process-pool [N] [threads] [mode]\n", argv[0]);
    return 2;
  }
  const std::string what = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 1'000'000;
  const unsigned threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 2;
  if (what == "thread-pool") return thread_pool(n, threads);
  if (what == "tbb") return tbb_task_group(n, threads);
  if (what == "std-async") return std_async(n);
  if (what == "process-pool") return process_pool(n, threads, argc > 4 ? argv[4] : "auto");
  std::fprintf(stderr, "unknown benchmark %s\n", what.c_str());
  return 2;
}
