// How many threads. A task that spends a share b of its time waiting (its blocking coefficient)
// keeps a core busy only 1 - b of the time, so cores / (1 - b) threads keep every core busy.
// threads_for() is that rule; a pool with Sizing::Auto measures b from its own tasks and grows
// towards the rule only while more threads bring more throughput.

#include <conc/sizing.hpp>
#include <conc/thread_pool.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

int main() {
  for (double blocking : {0.0, 0.5, 0.9, 0.99}) {
    std::printf("8 cores, blocking %.2f: %zu threads\n", blocking, conc::threads_for(8, blocking));
  }

  // Tasks that wait 20 ms each: the pool measures them as nearly all waiting and grows.
  conc::ThreadPool io({.sizing = conc::Sizing::Auto, .max_threads = 64});
  for (int i = 0; i < 400; ++i) io.detach([] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
  io.wait_idle();
  const conc::PoolStats stats = io.stats();
  std::printf("Auto pool: blocking coefficient %.2f measured, grew to %zu threads (at most 64)\n",
              stats.blocking_coefficient, stats.peak_threads);
}
