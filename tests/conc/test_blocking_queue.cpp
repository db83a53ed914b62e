#include <catch2/catch.hpp>
#include <conc/blocking_queue.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("FIFO queue returns items in insertion order", "[queue]") {
  conc::BlockingQueue<int> q;
  for (int i = 0; i < 5; ++i) REQUIRE(q.put(i));
  for (int i = 0; i < 5; ++i) CHECK(q.get() == i);
  CHECK(q.empty());
}

TEST_CASE("LIFO queue returns the newest item first", "[queue]") {
  conc::BlockingQueue<int, conc::Lifo> q;
  for (int i = 0; i < 5; ++i) q.put(i);
  for (int i = 4; i >= 0; --i) CHECK(q.get() == i);
}

TEST_CASE("priority queue orders by its comparator", "[queue]") {
  conc::BlockingQueue<int, conc::Priority<>> highest;
  conc::BlockingQueue<int, conc::Priority<std::greater<>>> lowest;
  for (int v : {5, 1, 9, 3, 7}) {
    highest.put(v);
    lowest.put(v);
  }
  for (int v : {9, 7, 5, 3, 1}) CHECK(highest.get() == v);
  for (int v : {1, 3, 5, 7, 9}) CHECK(lowest.get() == v);
}

TEST_CASE("a bounded queue refuses try_put and times out put_for when full", "[queue]") {
  conc::BlockingQueue<int> q(2);
  CHECK(q.try_put(1));
  CHECK(q.try_put(2));
  CHECK_FALSE(q.try_put(3));
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(q.put_for(3, 50ms));
  CHECK(std::chrono::steady_clock::now() - start >= 45ms);
  CHECK(q.size() == 2);
  CHECK(q.get() == 1);
  CHECK(q.put_for(3, 50ms));
}

TEST_CASE("get_for times out on an empty queue", "[queue]") {
  conc::BlockingQueue<std::string> q;
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(q.get_for(30ms).has_value());
  CHECK(std::chrono::steady_clock::now() - start >= 25ms);
  CHECK_FALSE(q.try_get().has_value());
}

TEST_CASE("put blocks while full until a consumer takes an item", "[queue]") {
  conc::BlockingQueue<int> q(1);
  q.put(1);
  std::atomic<bool> put_done{false};
  std::thread producer([&] {
    q.put(2);
    put_done = true;
  });
  std::this_thread::sleep_for(30ms);
  CHECK_FALSE(put_done.load());
  CHECK(q.get() == 1);
  producer.join();
  CHECK(put_done.load());
  CHECK(q.get() == 2);
}

TEST_CASE("close wakes blocked consumers and producers", "[queue]") {
  conc::BlockingQueue<int> empty;
  conc::BlockingQueue<int> full(1);
  full.put(0);
  std::optional<int> got = 42;
  bool put_result = true;
  std::thread consumer([&] { got = empty.get(); });
  std::thread producer([&] { put_result = full.put(1); });
  std::this_thread::sleep_for(20ms);
  empty.close();
  full.close();
  consumer.join();
  producer.join();
  CHECK_FALSE(got.has_value());
  CHECK_FALSE(put_result);
  CHECK_FALSE(empty.put(5));
  // Items queued before close can still be taken.
  CHECK(full.get() == 0);
  CHECK_FALSE(full.get().has_value());
}

TEST_CASE("a failed put leaves a move-only value with the caller", "[queue]") {
  conc::BlockingQueue<std::unique_ptr<int>> q(1);
  q.put(std::make_unique<int>(1));
  auto value = std::make_unique<int>(2);
  CHECK_FALSE(q.try_put(std::move(value)));
  REQUIRE(value != nullptr);
  CHECK(*value == 2);
}

TEST_CASE("drain removes everything queued", "[queue]") {
  conc::BlockingQueue<int> q;
  for (int i = 0; i < 4; ++i) q.put(i);
  CHECK(q.drain() == std::vector<int>{0, 1, 2, 3});
  CHECK(q.empty());
}

TEST_CASE("many producers and consumers pass every item exactly once", "[queue][stress]") {
  constexpr int kProducers = 8;
  constexpr int kConsumers = 8;
  constexpr int kPerProducer = 20000;
  conc::BlockingQueue<int> q(64);
  std::atomic<long long> sum{0};
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      while (auto v = q.get()) {
        sum += *v;
        ++count;
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) q.put(p * kPerProducer + i);
    });
  }
  for (auto& t : producers) t.join();
  q.close();
  for (auto& t : threads) t.join();
  const long long n = static_cast<long long>(kProducers) * kPerProducer;
  CHECK(count == n);
  CHECK(sum == n * (n - 1) / 2);
}
