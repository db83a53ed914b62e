#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/scheduler.hpp"

using namespace std::chrono_literals;
using fetch::Scheduler;

TEST_CASE("the per-host limit is never exceeded and other hosts are served meanwhile", "[fetch][scheduler]") {
  Scheduler s(2);
  for (std::size_t i = 0; i < 6; ++i) s.add(i, "a");
  s.add(100, "b");
  s.close_input();
  auto g1 = s.next();
  auto g2 = s.next();
  auto g3 = s.next();
  REQUIRE(g1);
  REQUIRE(g2);
  REQUIRE(g3);
  std::multiset<std::string> hosts{g1->host, g2->host, g3->host};
  CHECK(hosts.count("a") == 2);
  CHECK(hosts.count("b") == 1);  // host a is full, so b's download is handed out
  // Nothing may start now: a is full, b is empty; a release frees a slot.
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto g = s.next();
    got = g.has_value() && g->host == "a";
  });
  std::this_thread::sleep_for(30ms);
  CHECK_FALSE(got.load());
  s.release("a");
  waiter.join();
  CHECK(got.load());
}

TEST_CASE("a host whose download just finished goes next while it has work: its connection is idle",
          "[fetch][scheduler]") {
  Scheduler s(2);
  for (std::size_t i = 0; i < 3; ++i) {
    s.add(i, "a");
    s.add(10 + i, "b");
    s.add(20 + i, "c");
  }
  s.close_input();
  auto g = s.try_next();
  REQUIRE(g);
  CHECK(g->host == "a");
  g = s.try_next();
  REQUIRE(g);
  CHECK(g->host == "b");
  CHECK(s.idle_connections() == 0);
  s.release("a");
  CHECK(s.idle_connections() == 1);
  g = s.try_next();  // a, not c: a's freed connection carries it
  REQUIRE(g);
  CHECK(g->host == "a");
  CHECK(s.idle_connections() == 0);
  // A host with nothing left leaves no idle connection worth keeping.
  Scheduler t(2);
  t.add(0, "x");
  t.add(1, "y");
  REQUIRE(t.try_next());
  t.release("x");
  CHECK(t.idle_connections() == 0);
}

TEST_CASE("a host with nothing running goes before a second connection to a busy host", "[fetch][scheduler]") {
  Scheduler s(2);
  s.add(0, "a");
  s.add(1, "a");
  s.add(2, "c");
  s.add(3, "d");
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) order.push_back(s.try_next()->host);
  CHECK(order == std::vector<std::string>{"a", "c", "d"});
  s.release("c");
  s.release("d");
  s.add(4, "b");
  // Round-robin from d comes to a first, which has room for a second connection; b has none yet.
  auto g = s.try_next();
  REQUIRE(g);
  CHECK(g->host == "b");
  g = s.try_next();
  REQUIRE(g);
  CHECK(g->host == "a");
}

TEST_CASE("retries wait for their due time while fresh work goes first", "[fetch][scheduler]") {
  Scheduler s(0);
  const auto start = Scheduler::Clock::now();
  s.retry(1, "h", start + 80ms);
  s.retry(2, "h", start + 40ms);
  s.add(3, "h");
  s.close_input();
  auto g = s.next();
  REQUIRE(g);
  CHECK(g->index == 3);
  s.release("h");
  g = s.next();
  REQUIRE(g);
  CHECK(g->index == 2);  // earliest due first
  CHECK(Scheduler::Clock::now() - start >= 40ms);
  s.release("h");
  g = s.next();
  REQUIRE(g);
  CHECK(g->index == 1);
  CHECK(Scheduler::Clock::now() - start >= 80ms);
  s.release("h");
  CHECK_FALSE(s.next());  // all done
}

TEST_CASE("a worker waiting for a retry's due time survives retries queued meanwhile", "[fetch][scheduler]") {
  // Waiting workers wake on every retry queued; each push may move the queue's storage, which the
  // wait's deadline must not point into (AddressSanitizer: a read of freed memory on waking).
  Scheduler s(0);
  const auto far = Scheduler::Clock::now() + 10min;
  s.retry(0, "h", far);
  std::atomic<std::size_t> got{0};
  std::thread waiting([&] {
    if (auto g = s.next()) got += g->index;
  });
  std::thread waiting_until([&] {
    if (auto g = s.next_until(Scheduler::Clock::now() + 5min)) got += g->index;
  });
  std::this_thread::sleep_for(50ms);  // both asleep, most likely; if not, the test proves less
  for (std::size_t i = 1; i <= 200; ++i) {
    s.retry(i, "h", far + std::chrono::seconds(i));
    if (i % 10 == 0) std::this_thread::sleep_for(1ms);  // let the waiters wake between pushes
  }
  s.add(1000, "a");
  s.add(2000, "b");
  waiting.join();
  waiting_until.join();
  CHECK(got == 3000);
}

TEST_CASE("workers all finish once the input is closed and nothing is left", "[fetch][scheduler]") {
  Scheduler s(3);
  std::atomic<int> done{0};
  std::map<std::string, int> peak;
  std::mutex m;
  std::map<std::string, int> now;
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      while (auto g = s.next()) {
        {
          std::lock_guard lock(m);
          peak[g->host] = std::max(peak[g->host], ++now[g->host]);
        }
        std::this_thread::sleep_for(1ms);
        {
          std::lock_guard lock(m);
          --now[g->host];
        }
        // Every third download fails once and comes back later.
        if (g->index % 3 == 0 && g->index < 1000) {
          s.retry(g->index + 1000, g->host, Scheduler::Clock::now() + 2ms);
        } else {
          ++done;
        }
        s.release(g->host);
      }
    });
  }
  for (std::size_t i = 0; i < 90; ++i) s.add(i, "host" + std::to_string(i % 3));
  s.close_input();
  for (auto& t : workers) t.join();
  CHECK(done == 90);
  for (auto& [host, p] : peak) CHECK(p <= 3);
}

TEST_CASE("cancel stops every worker", "[fetch][scheduler]") {
  Scheduler s(1);
  s.add(1, "h");
  s.add(2, "h");
  REQUIRE(s.next());
  std::thread waiter([&] { CHECK_FALSE(s.next()); });
  std::this_thread::sleep_for(10ms);
  s.cancel();
  waiter.join();
}

TEST_CASE("backoff grows exponentially with full jitter, capped", "[fetch][scheduler]") {
  std::mt19937_64 rng(7);
  for (unsigned attempt = 0; attempt < 12; ++attempt) {
    const auto ceiling = std::min<long long>(30000, 500LL << attempt);
    long long max_seen = 0;
    for (int i = 0; i < 200; ++i) {
      const auto d = fetch::backoff(attempt, rng).count();
      CHECK(d >= 0);
      CHECK(d < ceiling);
      max_seen = std::max<long long>(max_seen, d);
    }
    CHECK(max_seen > ceiling / 2);  // jitter spreads over the whole range
  }
}

TEST_CASE("Retry-After as seconds or as an HTTP date", "[fetch][scheduler]") {
  CHECK(fetch::parse_retry_after("120", 0) == std::chrono::seconds(120));
  CHECK(fetch::parse_retry_after(" 0 ", 0) == std::chrono::seconds(0));
  // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480
  CHECK(fetch::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30) == std::chrono::seconds(30));
  CHECK(fetch::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30) == std::chrono::seconds(0));
  CHECK_FALSE(fetch::parse_retry_after("soon", 0).has_value());
  CHECK_FALSE(fetch::parse_retry_after("", 0).has_value());
}

TEST_CASE("an event loop polls without blocking: try_next, next_due and done", "[fetch][scheduler]") {
  Scheduler s(1);
  const auto due = Scheduler::Clock::now() + 1h;
  s.add(1, "a");
  s.add(2, "a");
  s.retry(3, "b", due);
  s.close_input();
  auto g = s.try_next();
  REQUIRE(g);
  CHECK(g->index == 1);
  CHECK_FALSE(s.try_next());  // host a is full and b's retry is not due: no grant, no wait
  REQUIRE(s.next_due());
  CHECK(*s.next_due() == due);
  CHECK_FALSE(s.done());
  s.release("a");
  g = s.try_next();
  REQUIRE(g);
  CHECK(g->index == 2);
  s.release("a");
  CHECK_FALSE(s.done());  // the retry still waits
  s.cancel();
  CHECK(s.done());
  CHECK_FALSE(s.try_next());
}

TEST_CASE("a download whose attempt throws is reported and frees its host slot", "[fetch][scheduler]") {
  Scheduler s(1);
  s.add(0, "h");
  s.add(1, "h");
  s.add(2, "h");
  s.close_input();
  std::mutex m;
  std::map<std::size_t, std::string> failures;
  std::set<std::size_t> attempted;
  auto attempt = [&](const Scheduler::Grant& g) {
    {
      std::lock_guard lock(m);
      attempted.insert(g.index);
    }
    if (g.index == 0) throw std::runtime_error("cannot create a libcurl handle");
  };
  auto on_failure = [&](const Scheduler::Grant& g, const std::string& reason) {
    std::lock_guard lock(m);
    failures[g.index] = reason;
  };
  std::atomic<int> finished{0};
  auto worker = [&] {
    try {
      fetch::work_through(s, attempt, on_failure);
    } catch (...) {
    }
    ++finished;
  };
  std::thread a(worker);
  std::thread b(worker);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (finished < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  const bool both_finished = finished == 2;
  s.cancel();  // frees a worker stuck on a lost slot, so that the test fails instead of hanging
  a.join();
  b.join();
  CHECK(both_finished);
  CHECK(attempted == std::set<std::size_t>{0, 1, 2});
  CHECK(failures == std::map<std::size_t, std::string>{{0, "cannot create a libcurl handle"}});
  CHECK(s.done());
  CHECK(s.in_flight() == 0);
}
