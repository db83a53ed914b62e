#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <conc/sizing.hpp>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

using namespace std::chrono_literals;

TEST_CASE("threads_for applies cores / (1 - blocking)", "[sizing]") {
  CHECK(conc::threads_for(2, 0.0) == 2);
  CHECK(conc::threads_for(2, 0.5) == 4);
  CHECK(conc::threads_for(2, 0.9) == 20);
  CHECK(conc::threads_for(8, 0.75) == 32);
  CHECK(conc::threads_for(4, 0.95) == 80);
}

TEST_CASE("threads_for clamps odd input", "[sizing]") {
  CHECK(conc::threads_for(0, 0.0) == 1);
  CHECK(conc::threads_for(2, -1.0) == 2);
  CHECK(conc::threads_for(2, std::nan("")) == 2);
  CHECK(conc::threads_for(2, 1.0) == 1024);
  CHECK(conc::threads_for(2, 0.99, 64) == 64);
}

TEST_CASE("BlockingMeter sees sleeping as blocking and spinning as not", "[sizing]") {
  conc::BlockingMeter sleeping;
  {
    auto scope = sleeping.measure();
    std::this_thread::sleep_for(50ms);
  }
  CHECK(sleeping.coefficient() > 0.8);

  conc::BlockingMeter spinning;
  {
    auto scope = spinning.measure();
    const auto cpu_start = conc::thread_cpu_time();
    volatile unsigned sink = 0;
    while (conc::thread_cpu_time() - cpu_start < 30ms) sink = sink + 1;
  }
  // Time spent preempted by other processes does not count as waiting.
  CHECK(spinning.coefficient() < 0.3);
  CHECK(spinning.total().cpu >= 25ms);
  CHECK(spinning.total().samples == 1);
}

TEST_CASE("BlockingMeter windows reset and totals accumulate", "[sizing]") {
  conc::BlockingMeter meter;
  meter.add(100ms, 25ms);
  CHECK(meter.coefficient() == Approx(0.75));
  const auto w = meter.window();
  CHECK(w.samples == 1);
  CHECK(w.coefficient() == Approx(0.75));
  CHECK(meter.window().samples == 0);
  meter.add(100ms, 75ms);
  CHECK(meter.total().samples == 2);
  CHECK(meter.coefficient() == Approx(0.5));
  CHECK(conc::BlockingMeter::Reading{}.coefficient() == 0.0);
}

TEST_CASE("thread_blocked tells a sleeping thread from a running one, and an exited one from both", "[sizing]") {
  std::atomic<int> sleeper_tid{0};
  std::atomic<bool> stop{false};
  std::mutex m;
  std::condition_variable cv;
  std::thread sleeper([&] {
    sleeper_tid = static_cast<int>(::gettid());
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return stop.load(); });
  });
  while (sleeper_tid == 0) std::this_thread::yield();
  // The sleeper reaches its wait soon; a busy machine may take a while.
  bool seen_asleep = false;
  for (int i = 0; i < 3000 && !seen_asleep; ++i) {
    seen_asleep = conc::thread_blocked(sleeper_tid) == std::optional<bool>(true);
    if (!seen_asleep) std::this_thread::sleep_for(10ms);
  }
  CHECK(seen_asleep);
  // The calling thread is running while it asks.
  CHECK(conc::thread_blocked(static_cast<int>(::gettid())) == std::optional<bool>(false));
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  const int gone = sleeper_tid;
  sleeper.join();
  CHECK_FALSE(conc::thread_blocked(gone).has_value());
}
