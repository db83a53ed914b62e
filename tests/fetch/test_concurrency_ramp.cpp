#include <catch2/catch.hpp>

#include "engine/concurrency_ramp.hpp"

using namespace std::chrono_literals;
using fetch::ConcurrencyRamp;

namespace {

// One round at the ramp's limit that takes `round` and keeps every allowed transfer running.
void full_round(ConcurrencyRamp& ramp, ConcurrencyRamp::Clock::time_point& now, std::chrono::milliseconds round) {
  ramp.running(ramp.limit());
  now += round;
  ramp.finished(ramp.limit(), now);
}

}  // namespace

TEST_CASE("jobs auto: the limit grows by half while a round finishes 20% more a second", "[fetch][ramp]") {
  auto now = ConcurrencyRamp::Clock::now();
  ConcurrencyRamp ramp(100, 400, now);
  CHECK(ramp.limit() == 100);
  full_round(ramp, now, 500ms);  // the first round opens every connection: not judged
  CHECK(ramp.limit() == 100);
  full_round(ramp, now, 50ms);  // the baseline, which grows unjudged
  CHECK(ramp.limit() == 150);
  full_round(ramp, now, 50ms);  // 1.5x the transfers in the same time: latency-bound, more helps
  CHECK(ramp.limit() == 225);
  full_round(ramp, now, 50ms);
  CHECK(ramp.limit() == 337);
  // The same rate as before: the core (or the server) is the limit; growth stops for good.
  full_round(ramp, now, 75ms);
  CHECK(ramp.limit() == 337);
  full_round(ramp, now, 10ms);
  CHECK(ramp.limit() == 337);
}

TEST_CASE("jobs auto: no growth while the limit holds nothing back, never past the most", "[fetch][ramp]") {
  auto now = ConcurrencyRamp::Clock::now();
  ConcurrencyRamp ramp(100, 120, now);
  ramp.running(40);  // a short list: never 100 at once
  now += 50ms;
  ramp.finished(100, now);
  CHECK(ramp.limit() == 100);
  full_round(ramp, now, 50ms);
  CHECK(ramp.limit() == 100);
  full_round(ramp, now, 50ms);
  CHECK(ramp.limit() == 120);
  full_round(ramp, now, 10ms);
  CHECK(ramp.limit() == 120);
  // A fixed -j is a ramp that starts at its end.
  ConcurrencyRamp fixed(64, 64, now);
  full_round(fixed, now, 10ms);
  CHECK(fixed.limit() == 64);
}
