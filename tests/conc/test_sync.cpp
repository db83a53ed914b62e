#include <catch2/catch.hpp>
#include <conc/event.hpp>
#include <conc/latch.hpp>
#include <conc/semaphore.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("event wakes every waiter and stays set until cleared", "[sync]") {
  conc::Event event;
  CHECK_FALSE(event.is_set());
  CHECK_FALSE(event.wait_for(10ms));
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      event.wait();
      ++woken;
    });
  }
  std::this_thread::sleep_for(20ms);
  CHECK(woken == 0);
  event.set();
  for (auto& t : waiters) t.join();
  CHECK(woken == 4);
  CHECK(event.wait_for(0ms));
  event.clear();
  CHECK_FALSE(event.is_set());
}

TEST_CASE("semaphore bounds concurrency", "[sync]") {
  conc::Semaphore slots(3);
  std::atomic<int> active{0};
  std::atomic<int> peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      conc::Semaphore::Guard hold(slots);
      const int now = ++active;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(5ms);
      --active;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(peak <= 3);
  CHECK(peak >= 1);
  CHECK(slots.available() == 3);
}

TEST_CASE("semaphore try_acquire and timed acquire", "[sync]") {
  conc::Semaphore s(1);
  CHECK(s.try_acquire());
  CHECK_FALSE(s.try_acquire());
  CHECK_FALSE(s.try_acquire_for(20ms));
  s.release(2);
  CHECK(s.available() == 2);
  CHECK(s.try_acquire_for(0ms));
}

TEST_CASE("latch opens when counted down to zero", "[sync]") {
  conc::Latch latch(3);
  CHECK_FALSE(latch.try_wait());
  CHECK_FALSE(latch.wait_for(10ms));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&] { latch.count_down(); });
  latch.wait();
  for (auto& t : threads) t.join();
  CHECK(latch.try_wait());
  CHECK(latch.count() == 0);
  latch.count_down(5);
  CHECK(latch.count() == 0);
}
