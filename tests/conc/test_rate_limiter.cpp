#include <catch2/catch.hpp>
#include <conc/rate_limiter.hpp>

#include <chrono>
#include <stdexcept>

using namespace std::chrono_literals;

namespace {
struct FakeClock {
  conc::RateLimiter::Clock::time_point now{};
  conc::RateLimiter::Now fn() {
    return [this] { return now; };
  }
};
}  // namespace

TEST_CASE("a full bucket serves a burst at once", "[rate]") {
  FakeClock clock;
  conc::RateLimiter limiter(100, 10, clock.fn());
  for (int i = 0; i < 10; ++i) CHECK(limiter.try_acquire());
  CHECK_FALSE(limiter.try_acquire());
}

TEST_CASE("tokens refill at the rate, up to the burst", "[rate]") {
  FakeClock clock;
  conc::RateLimiter limiter(100, 10, clock.fn());
  CHECK(limiter.try_acquire(10));
  clock.now += 50ms;  // 5 tokens
  CHECK(limiter.available() == Approx(5));
  CHECK_FALSE(limiter.try_acquire(6));
  CHECK(limiter.try_acquire(5));
  clock.now += 10s;
  CHECK(limiter.available() == Approx(10));
}

TEST_CASE("reserve goes into debt and says how long to wait", "[rate]") {
  FakeClock clock;
  conc::RateLimiter limiter(1000, 100, clock.fn());
  CHECK(limiter.reserve(100) == 0ns);
  // 500 more tokens at 1000/s: half a second.
  const auto wait = limiter.reserve(500);
  CHECK(std::chrono::duration<double>(wait).count() == Approx(0.5));
  // The next caller queues behind the debt.
  const auto next = limiter.reserve(100);
  CHECK(std::chrono::duration<double>(next).count() == Approx(0.6));
  clock.now += 600ms;
  CHECK(limiter.available() == Approx(0).margin(1e-6));
}

TEST_CASE("acquire paces real time", "[rate]") {
  conc::RateLimiter limiter(200, 10);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) limiter.acquire();
  // 10 from the burst, 20 more at 200/s = 100 ms.
  CHECK(std::chrono::steady_clock::now() - start >= 90ms);
}

TEST_CASE("a non-positive rate is refused", "[rate]") { CHECK_THROWS_AS(conc::RateLimiter(0), std::invalid_argument); }
