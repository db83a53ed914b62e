#include <catch2/catch.hpp>
#include <conc/event.hpp>
#include <conc/latch.hpp>
#include <conc/thread_pool.hpp>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <ranges>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "../support/unhandled_log.hpp"

using namespace std::chrono_literals;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kStressTasks = 200'000;  // the sanitizers slow each task down ~10x
#else
constexpr int kStressTasks = 1'000'000;
#endif

TEST_CASE("submit runs the function with its arguments", "[thread_pool]") {
  conc::ThreadPool pool(4);
  auto sum = pool.submit([](int a, int b) { return a + b; }, 2, 3);
  auto text = pool.submit([](const std::string& s) { return s + "!"; }, std::string("hi"));
  auto nothing = pool.submit([] {});
  CHECK(sum.get() == 5);
  CHECK(text.get() == "hi!");
  nothing.get();
}

TEST_CASE("move-only arguments and results", "[thread_pool]") {
  conc::ThreadPool pool(2);
  auto f = pool.submit([](std::unique_ptr<int> p) { return std::make_unique<int>(*p + 1); }, std::make_unique<int>(41));
  CHECK(*f.get() == 42);
}

TEST_CASE("a task's exception reaches its future", "[thread_pool]") {
  conc::ThreadPool pool(2);
  auto f = pool.submit([]() -> int { throw std::runtime_error("disk full"); });
  CHECK_THROWS_WITH(f.get(), "disk full");
  pool.wait_idle();
  CHECK(pool.stats().failed == 1);
}

TEST_CASE("map keeps input order", "[thread_pool]") {
  conc::ThreadPool pool(4);
  std::vector<int> inputs(200);
  std::iota(inputs.begin(), inputs.end(), 0);
  auto squares = pool.map(
      [](int x) {
        std::this_thread::sleep_for(std::chrono::microseconds((x * 7919) % 300));
        return x * x;
      },
      inputs);
  REQUIRE(squares.size() == inputs.size());
  for (int i = 0; i < 200; ++i) CHECK(squares[static_cast<std::size_t>(i)] == i * i);
}

TEST_CASE("map rethrows the first failure in input order", "[thread_pool]") {
  conc::ThreadPool pool(3);
  std::vector<int> inputs{0, 1, 2, 3, 4};
  auto fails_at_odd = [](int x) {
    if (x % 2 == 1) throw std::runtime_error("bad " + std::to_string(x));
    return x;
  };
  CHECK_THROWS_WITH(pool.map(fails_at_odd, inputs), "bad 1");
}

TEST_CASE("as_completed yields the fastest task first", "[thread_pool]") {
  conc::ThreadPool pool(3);
  std::vector<conc::Future<int>> futures;
  for (int ms : {150, 10, 80}) {
    futures.push_back(pool.submit([ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return ms;
    }));
  }
  std::vector<int> order;
  for (auto& done : pool.as_completed(std::move(futures))) order.push_back(done.get());
  CHECK(order == std::vector<int>{10, 80, 150});
}

TEST_CASE("for_each_unordered streams with a bound on tasks in flight", "[thread_pool]") {
  conc::ThreadPool pool(4);
  std::atomic<int> pulled{0};
  int sunk = 0;
  int max_gap = 0;
  long long total = 0;
  auto inputs = std::views::iota(0, 5000) | std::views::transform([&](int x) {
                  ++pulled;
                  return x;
                });
  pool.for_each_unordered(
      inputs, [](int x) { return static_cast<long long>(x); },
      [&](conc::Future<long long>& f) {
        max_gap = std::max(max_gap, pulled.load() - sunk);
        total += f.get();
        ++sunk;
      },
      16);
  CHECK(sunk == 5000);
  CHECK(total == 4999LL * 5000 / 2);
  CHECK(max_gap <= 16);
}

TEST_CASE("apply_async calls the callback or the error callback", "[thread_pool]") {
  conc::ThreadPool pool(2);
  conc::Event both;
  std::atomic<int> ok{0};
  std::atomic<int> errors{0};
  auto check = [&] {
    if (ok + errors == 2) both.set();
  };
  pool.apply_async([] { return 1; },
                   [&](int&) {
                     ++ok;
                     check();
                   },
                   [&](std::exception_ptr) {
                     ++errors;
                     check();
                   });
  pool.apply_async([]() -> int { throw std::runtime_error("x"); },
                   [&](int&) {
                     ++ok;
                     check();
                   },
                   [&](std::exception_ptr) {
                     ++errors;
                     check();
                   });
  REQUIRE(both.wait_for(5s));
  CHECK(ok == 1);
  CHECK(errors == 1);
}

TEST_CASE("a full queue pushes back on producers", "[thread_pool]") {
  conc::ThreadPool pool(1, {.queue_capacity = 2});
  conc::Event release;
  auto blocker = pool.submit([&] { release.wait(); });
  // Wait until the worker holds the blocker, so the queue is empty.
  while (pool.stats().queued != 0) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(10ms);
  REQUIRE(pool.try_submit([] {}).has_value());
  REQUIRE(pool.try_submit([] {}).has_value());
  CHECK_FALSE(pool.try_submit([] {}).has_value());
  std::atomic<bool> submitted{false};
  std::thread producer([&] {
    pool.detach([] {});
    submitted = true;
  });
  std::this_thread::sleep_for(30ms);
  CHECK_FALSE(submitted.load());
  release.set();
  producer.join();
  CHECK(submitted.load());
  pool.wait_idle();
  CHECK(pool.stats().completed == 4);
}

TEST_CASE("shutdown(Cancel) drops queued tasks and lets running ones finish", "[thread_pool]") {
  conc::ThreadPool pool(1);
  conc::Event started;
  conc::Event release;
  auto running = pool.submit([&] {
    started.set();
    release.wait();
    return 1;
  });
  REQUIRE(started.wait_for(5s));
  std::vector<conc::Future<int>> queued;
  for (int i = 0; i < 10; ++i) queued.push_back(pool.submit([] { return 2; }));
  std::thread stopper([&] { pool.shutdown(conc::Shutdown::Cancel); });
  std::this_thread::sleep_for(20ms);
  release.set();
  stopper.join();
  CHECK(running.get() == 1);
  for (auto& f : queued) CHECK_THROWS_AS(f.get(), conc::Cancelled);
  CHECK(pool.stats().cancelled == 10);
  CHECK_THROWS_AS(pool.submit([] {}), conc::PoolClosed);
}

TEST_CASE("shutdown(Drain) and the destructor run every queued task", "[thread_pool]") {
  std::atomic<int> ran{0};
  {
    conc::ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) {
      pool.detach([&] {
        std::this_thread::sleep_for(100us);
        ++ran;
      });
    }
  }
  CHECK(ran == 100);
}

TEST_CASE("stats measure the blocking coefficient of the tasks", "[thread_pool]") {
  conc::ThreadPool sleepy(2);
  for (int i = 0; i < 20; ++i) sleepy.detach([] { std::this_thread::sleep_for(5ms); });
  sleepy.wait_idle();
  const auto s = sleepy.stats();
  CHECK(s.completed == 20);
  CHECK(s.submitted == 20);
  CHECK(s.blocking_coefficient > 0.7);
  CHECK(s.busy_time >= 90ms);

  conc::ThreadPool busy(1);
  for (int i = 0; i < 5; ++i) {
    busy.detach([] {
      const auto start = conc::thread_cpu_time();
      volatile unsigned sink = 0;
      while (conc::thread_cpu_time() - start < 10ms) sink = sink + 1;
    });
  }
  busy.wait_idle();
  // Time preempted by other processes is not counted as waiting, even on a loaded machine.
  CHECK(busy.stats().blocking_coefficient < 0.3);
  CHECK(busy.stats().cpu_time >= 45ms);
}

TEST_CASE("blocking tasks after a burst of tiny ones still run in parallel", "[thread_pool]") {
  conc::ThreadPool pool(8);
  for (int i = 0; i < 20000; ++i) pool.detach([] {});
  pool.wait_idle();
  const auto start = std::chrono::steady_clock::now();
  std::vector<conc::Future<void>> sleepers;
  for (int i = 0; i < 8; ++i) sleepers.push_back(pool.submit([] { std::this_thread::sleep_for(200ms); }));
  for (auto& f : sleepers) f.get();
  // Eight threads, eight 200 ms waits: about 200 ms, not 1.6 s in a row.
  CHECK(std::chrono::steady_clock::now() - start < 700ms);
}

TEST_CASE("submit racing shutdown never leaves a future hanging", "[thread_pool][stress]") {
  for (int round = 0; round < 20; ++round) {
    conc::ThreadPool pool(2, {.queue_capacity = 16});
    std::vector<std::vector<conc::Future<int>>> per_producer(3);
    std::vector<std::thread> producers;
    for (auto& futures : per_producer) {
      producers.emplace_back([&pool, &futures] {
        try {
          for (int i = 0; i < 100000; ++i) futures.push_back(pool.submit([i] { return i; }));
        } catch (const conc::PoolClosed&) {
        }
      });
    }
    std::this_thread::sleep_for(1ms);
    pool.shutdown(round % 2 == 0 ? conc::Shutdown::Cancel : conc::Shutdown::Drain);
    for (auto& t : producers) t.join();
    int hanging = 0;
    for (auto& futures : per_producer) {
      for (auto& f : futures) hanging += f.wait_for(5s) ? 0 : 1;
    }
    CHECK(hanging == 0);
  }
}

TEST_CASE("a million tiny tasks all run", "[thread_pool][stress]") {
  conc::ThreadPool pool(4);
  std::atomic<long long> sum{0};
  for (int i = 0; i < kStressTasks; ++i) {
    pool.detach([&sum, i] { sum.fetch_add(i, std::memory_order_relaxed); });
  }
  pool.wait_idle();
  const long long n = kStressTasks;
  CHECK(sum == n * (n - 1) / 2);
  CHECK(pool.stats().completed == static_cast<std::uint64_t>(kStressTasks));
}

TEST_CASE("many producers submit concurrently", "[thread_pool][stress]") {
  conc::ThreadPool pool(4, {.queue_capacity = 64});
  std::atomic<int> ran{0};
  std::atomic<int> wrong{0};  // Catch2 assertions are for the main thread only
  std::vector<std::thread> producers;
  for (int p = 0; p < 8; ++p) {
    producers.emplace_back([&] {
      std::vector<conc::Future<int>> futures;
      for (int i = 0; i < 5000; ++i)
        futures.push_back(pool.submit([&ran, i] {
          ++ran;
          return i;
        }));
      for (int i = 0; i < 5000; ++i) {
        if (futures[static_cast<std::size_t>(i)].get() != i) ++wrong;
      }
    });
  }
  for (auto& t : producers) t.join();
  CHECK(ran == 40000);
  CHECK(wrong == 0);
}

TEST_CASE("shutdown while busy from another thread", "[thread_pool][stress]") {
  for (int round = 0; round < 20; ++round) {
    conc::ThreadPool pool(4);
    std::atomic<int> ran{0};
    std::vector<conc::Future<void>> futures;
    for (int i = 0; i < 2000; ++i) futures.push_back(pool.submit([&] { ++ran; }));
    pool.shutdown(round % 2 == 0 ? conc::Shutdown::Cancel : conc::Shutdown::Drain);
    int cancelled = 0;
    for (auto& f : futures) {
      try {
        f.get();
      } catch (const conc::Cancelled&) {
        ++cancelled;
      }
    }
    CHECK(ran + cancelled == 2000);
    if (round % 2 == 1) CHECK(cancelled == 0);
  }
}

// ---- faults from callbacks, detached tasks, thread starts ------------------------------------

TEST_CASE("a throwing callback on a pool's future costs nothing", "[thread_pool][faults]") {
  UnhandledLog log;
  conc::ThreadPool pool(2);
  conc::Event release;
  auto f = pool.submit([&] {
    release.wait();
    return 7;
  });
  f.then([](int&) { throw std::runtime_error("bug"); });
  release.set();
  CHECK(f.get() == 7);
  CHECK(pool.submit([] { return 8; }).get() == 8);
  pool.wait_idle();
  CHECK(pool.stats().failed == 0);
  CHECK(log.lines() == std::vector<std::string>{"a future callback: bug"});
}

TEST_CASE("detach runs a task with no future and reports its exception", "[thread_pool][faults]") {
  UnhandledLog log;
  conc::ThreadPool pool(2);
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) pool.detach([&ran](int step) { ran += step; }, 1);
  pool.detach([] { throw std::runtime_error("lost?"); });
  pool.wait_idle();
  CHECK(ran == 10);
  CHECK(pool.stats().failed == 1);
  CHECK(log.lines() == std::vector<std::string>{"a detached task: lost?"});
}

TEST_CASE("a pool whose threads cannot start reports it to the submitter", "[thread_pool][faults]") {
  pthread_attr_t saved;
  REQUIRE(::pthread_getattr_default_np(&saved) == 0);
  pthread_attr_t huge;
  ::pthread_attr_init(&huge);
  // A stack larger than any address space can map: pthread_create fails with EAGAIN or ENOMEM.
  ::pthread_attr_setstacksize(&huge, std::size_t{1} << 46);
  REQUIRE(::pthread_setattr_default_np(&huge) == 0);
  conc::ThreadPool pool(2);
  CHECK_THROWS_AS(pool.submit([] { return 1; }), std::system_error);
  REQUIRE(::pthread_setattr_default_np(&saved) == 0);
  ::pthread_attr_destroy(&huge);
  ::pthread_attr_destroy(&saved);
  CHECK(pool.submit([] { return 2; }).get() == 2);
}

// ---- sizing ------------------------------------------------------------------------------------

namespace {
// Submits n tasks that each wait until all n run at the same time (bounded: 30 s); then calls
// while_all_run(), lets them end and waits for them. False when they never all ran at once.
template <class F>
bool all_run_at_once(conc::ThreadPool& pool, int n, F while_all_run) {
  conc::Latch all_running(static_cast<std::size_t>(n));
  conc::Event release;
  std::vector<conc::Future<void>> blocked;
  for (int i = 0; i < n; ++i) {
    blocked.push_back(pool.submit([&] {
      all_running.count_down();
      release.wait();
    }));
  }
  const bool all = all_running.wait_for(30s);
  if (all) while_all_run();
  release.set();
  for (auto& f : blocked) f.get();
  return all;
}
}  // namespace

TEST_CASE("threads start as work arrives and idle ones retire after keep_alive", "[thread_pool][sizing]") {
  conc::ThreadPool pool(4, {.min_threads = 1, .keep_alive = 50ms});
  CHECK(pool.stats().threads == 0);
  // Four tasks that block at once need four threads.
  REQUIRE(all_run_at_once(pool, 4, [&] { CHECK(pool.stats().threads == 4); }));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (pool.stats().threads > 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  CHECK(pool.stats().threads == 1);
  CHECK(pool.stats().peak_threads == 4);
  CHECK(pool.submit([] { return 3; }).get() == 3);
}

TEST_CASE("Auto sizing grows for tasks that wait and stays near the cores for tasks that compute",
          "[thread_pool][sizing]") {
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  {
    conc::ThreadPool pool({.sizing = conc::Sizing::Auto, .max_threads = 64, .sample_interval = 20ms});
    std::vector<conc::Future<void>> sleeps;
    for (int i = 0; i < 600; ++i) sleeps.push_back(pool.submit([] { std::this_thread::sleep_for(20ms); }));
    for (auto& f : sleeps) f.get();
    INFO("blocking coefficient " << pool.stats().blocking_coefficient);
    CHECK(pool.stats().peak_threads >= 4 * cores);
  }
  {
    conc::ThreadPool pool({.sizing = conc::Sizing::Auto, .max_threads = 64, .sample_interval = 20ms});
    std::vector<conc::Future<void>> spins;
    for (int i = 0; i < 200; ++i) {
      spins.push_back(pool.submit([] {
        const auto start = conc::thread_cpu_time();
        volatile unsigned sink = 0;
        while (conc::thread_cpu_time() - start < 5ms) sink = sink + 1;
      }));
    }
    for (auto& f : spins) f.get();
    CHECK(pool.stats().peak_threads <= cores + 1);
    // It never sizes below the cores for work that computes.
    CHECK(pool.stats().target_threads >= cores);
    CHECK(pool.stats().target_threads <= cores + 1);
  }
}

TEST_CASE("Auto sizing grows while every task is still blocked, and nested waits do not deadlock",
          "[thread_pool][sizing]") {
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  {
    conc::ThreadPool pool({.sizing = conc::Sizing::Auto, .max_threads = 64, .sample_interval = 20ms});
    // No task finishes until all forty run at once: the pool must see them wait and grow.
    CHECK(all_run_at_once(pool, 40, [] {}));
  }
  {
    conc::ThreadPool pool({.sizing = conc::Sizing::Auto, .max_threads = 64, .sample_interval = 20ms});
    std::vector<conc::Future<int>> outer;
    for (std::size_t i = 0; i < cores + 1; ++i) {
      outer.push_back(pool.submit([&pool, i] { return pool.submit([i] { return static_cast<int>(i); }).get(); }));
    }
    for (std::size_t i = 0; i < outer.size(); ++i) {
      REQUIRE(outer[i].wait_for(30s));
      CHECK(outer[i].get() == static_cast<int>(i));
    }
  }
}
