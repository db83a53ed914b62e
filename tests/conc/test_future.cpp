#include <catch2/catch.hpp>
#include <conc/future.hpp>
#include <conc/outcome.hpp>
#include <conc/unhandled.hpp>

#include "../support/unhandled_log.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("a promise's value reaches its future", "[future]") {
  conc::Promise<std::string> p;
  auto f = p.get_future();
  CHECK_FALSE(f.ready());
  CHECK_FALSE(f.wait_for(1ms));
  std::thread t([&] { p.set_value("done"); });
  CHECK(f.get() == "done");
  t.join();
  CHECK(f.ready());
  CHECK_FALSE(f.failed());
}

TEST_CASE("an exception travels through the future", "[future]") {
  conc::Promise<int> p;
  auto f = p.get_future();
  p.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  CHECK_THROWS_WITH(f.get(), "boom");
  CHECK(f.failed());
}

TEST_CASE("a destroyed promise breaks its future", "[future]") {
  conc::Future<int> f;
  {
    conc::Promise<int> p;
    f = p.get_future();
  }
  CHECK_THROWS_AS(f.get(), conc::BrokenPromise);
}

TEST_CASE("callbacks run on completion, or at once when already complete", "[future]") {
  conc::Promise<int> p;
  auto f = p.get_future();
  std::vector<int> seen;
  f.then([&](int& v) { seen.push_back(v); });
  CHECK(seen.empty());
  p.set_value(7);
  CHECK(seen == std::vector<int>{7});
  f.then([&](int& v) { seen.push_back(v * 2); });
  CHECK(seen == std::vector<int>{7, 14});
}

TEST_CASE("the error callback receives the exception", "[future]") {
  conc::Promise<void> p;
  auto f = p.get_future();
  std::string error;
  bool ok = false;
  f.then([&] { ok = true; },
         [&](std::exception_ptr e) {
           try {
             std::rethrow_exception(e);
           } catch (const std::exception& ex) {
             error = ex.what();
           }
         });
  p.set_exception(std::make_exception_ptr(std::runtime_error("refused")));
  CHECK_FALSE(ok);
  CHECK(error == "refused");
}

TEST_CASE("move-only values can be taken out of a future", "[future]") {
  conc::Promise<std::unique_ptr<int>> p;
  auto f = p.get_future();
  p.set_value(std::make_unique<int>(3));
  std::unique_ptr<int> v = std::move(f.get());
  CHECK(*v == 3);
}

TEST_CASE("as_completed yields futures in completion order", "[future]") {
  std::vector<conc::Promise<int>> promises(3);
  std::vector<conc::Future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  std::thread t([&] {
    for (int i : {2, 0, 1}) {
      std::this_thread::sleep_for(5ms);
      promises[static_cast<std::size_t>(i)].set_value(i);
    }
  });
  std::vector<int> order;
  for (auto& done : conc::as_completed(std::move(futures))) order.push_back(done.get());
  t.join();
  CHECK(order == std::vector<int>{2, 0, 1});
}

TEST_CASE("an empty future refuses use", "[future]") {
  conc::Future<int> f;
  CHECK_FALSE(f.valid());
  CHECK_THROWS_AS(f.get(), std::logic_error);
}

TEST_CASE("outcome holds a value or an error", "[future]") {
  conc::Outcome<int> good(5);
  conc::Outcome<int> bad(conc::Error{"truncated JPEG data", "a/b.jpg"});
  CHECK(good);
  CHECK(*good == 5);
  CHECK_FALSE(bad);
  CHECK(bad.error().what == "truncated JPEG data");
  CHECK_THROWS_WITH(bad.value(), "a/b.jpg: truncated JPEG data");
  CHECK_THROWS_AS(good.error(), std::logic_error);
}

TEST_CASE("a callback that throws is reported and harms nothing", "[future]") {
  UnhandledLog log;
  conc::Promise<int> p;
  auto f = p.get_future();
  int later = 0;
  f.then([](int&) { throw std::runtime_error("bug"); });
  f.then([&](int& v) { later = v; });
  p.set_value(3);  // the throwing callback runs here, on the completing thread
  CHECK(later == 3);
  CHECK(f.get() == 3);
  f.on_complete([](conc::Future<int>&) { throw std::logic_error("late bug"); });  // runs at once
  CHECK(log.lines() == std::vector<std::string>{"a future callback: bug", "a future callback: late bug"});
}

TEST_CASE("a promise satisfied twice raises logic_error", "[future]") {
  conc::Promise<int> p;
  auto f = p.get_future();
  p.set_value(1);
  CHECK_THROWS_AS(p.set_value(2), std::logic_error);
  CHECK_THROWS_AS(p.set_exception(std::make_exception_ptr(std::runtime_error("x"))), std::logic_error);
  CHECK(f.get() == 1);
}

TEST_CASE("the default unhandled handler writes one line and returns", "[future]") {
  conc::Promise<void> p;
  auto f = p.get_future();
  f.then([] { throw 42; });
  p.set_value();
  CHECK(f.ready());
  CHECK(conc::describe_exception(std::make_exception_ptr(42)) == "an exception not derived from std::exception");
}
