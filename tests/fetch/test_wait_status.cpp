// What the progress line says a run is waiting for: the scheduler's account of what is held back,
// and the note made of it.

#include <catch2/catch.hpp>

#include <conc/progress.hpp>

#include <cstdio>
#include <string>

#include "engine/scheduler.hpp"
#include "engine/transfer_options.hpp"
#include "engine/wait_status.hpp"

using namespace std::chrono_literals;
using fetch::Scheduler;

TEST_CASE("the scheduler tells what holds its work back", "[fetch][wait-status]") {
  Scheduler s(2);
  for (std::size_t i = 0; i < 5; ++i) s.add(i, "a.example");
  s.add(10, "b.example");
  Scheduler::Waiting w = s.waiting();
  CHECK(w.held_by_host == 0);  // nothing runs yet: every host has room
  CHECK(w.retries == 0);
  CHECK_FALSE(w.next_due);
  auto g1 = s.try_next();
  auto g2 = s.try_next();
  auto g3 = s.try_next();
  REQUIRE((g1 && g2 && g3));
  w = s.waiting();
  CHECK(w.running == 3);
  CHECK(w.held_by_host == 3);  // a.example has its 2 running, 3 more wait; b.example's one runs
  CHECK(w.host == "a.example");
  const auto now = Scheduler::Clock::now();
  s.retry(g3->index, g3->host, now + 30s, "Retry-After from " + g3->host);
  s.release(g3->host);
  s.retry(99, "c.example", now + 60s, "HTTP 502");
  w = s.waiting();
  CHECK(w.retries == 2);
  REQUIRE(w.next_due);
  CHECK(*w.next_due == now + 30s);  // the earliest
  CHECK(w.next_why == "Retry-After from " + g3->host);
}

TEST_CASE("the wait note names the retry, the host limit and the rate cap", "[fetch][wait-status]") {
  const auto now = Scheduler::Clock::now();
  fetch::WaitFacts f;
  f.per_host = 8;
  CHECK(fetch::wait_status(f, now).empty());

  // Nothing runs: the run waits for its retry, however near.
  f.scheduler.retries = 1;
  f.scheduler.next_due = now + 26400ms;
  f.scheduler.next_why = "Retry-After from example.com";
  CHECK(fetch::wait_status(f, now) == "next retry in 0:27 (Retry-After from example.com)");

  // Transfers run: a near retry is not news, a far one is.
  f.scheduler.running = 4;
  f.scheduler.next_due = now + 2s;
  CHECK(fetch::wait_status(f, now).empty());
  f.scheduler.retries = 3;
  f.scheduler.next_due = now + 90s;
  f.scheduler.next_why = "HTTP 429";
  CHECK(fetch::wait_status(f, now) == "3 retries waiting, next in 1:30 (HTTP 429)");

  f.scheduler = {};
  f.scheduler.running = 8;
  f.scheduler.held_by_host = 12;
  f.scheduler.host = "example.com";
  CHECK(fetch::wait_status(f, now) == "12 wait for example.com (--per-host 8)");

  f.rate = 1e6;
  CHECK(fetch::wait_status(f, now) == "12 wait for example.com (--per-host 8)");  // the cap is not holding anyone
  f.rate_held = true;
  CHECK(fetch::wait_status(f, now) == "12 wait for example.com (--per-host 8); held to --rate 1.00 MB/s");
}

TEST_CASE("the wait note shows on the progress line", "[fetch][wait-status]") {
  std::FILE* stream = std::tmpfile();
  REQUIRE(stream != nullptr);
  {
    conc::Progress bar(10, {.label = "fetch",
                            .unit = "files",
                            .stream = stream,
                            .mode = conc::ProgressOptions::Mode::Always,
                            .width = 200});
    fetch::WaitFacts f;
    f.scheduler.retries = 1;
    f.scheduler.next_due = Scheduler::Clock::now() + 3600s;
    f.scheduler.next_why = "Retry-After from example.com";
    bar.set_status(fetch::wait_status(f, Scheduler::Clock::now()));
  }
  std::rewind(stream);
  std::string drawn;
  char buf[512];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, stream)) > 0;) drawn.append(buf, n);
  std::fclose(stream);
  CHECK(drawn.find("0/10 files") != std::string::npos);
  CHECK(drawn.find("| next retry in 1:00:00 (Retry-After from example.com)") != std::string::npos);
}

TEST_CASE("the stall board names the host whose transfer has been silent the longest", "[fetch][wait-status]") {
  fetch::Stalls stalls;
  CHECK_FALSE(stalls.worst());
  const auto now = fetch::Stalls::Clock::now();
  stalls.began("a.example", now - 3s);
  stalls.began("b.example", now - 9s);
  stalls.began("b.example", now - 4s);
  auto worst = stalls.worst();
  REQUIRE(worst);
  CHECK(worst->host == "b.example");
  CHECK(worst->transfers == 2);
  CHECK(worst->since == now - 9s);
  stalls.ended("b.example", now - 9s);
  worst = stalls.worst();
  REQUIRE(worst);
  CHECK(worst->host == "b.example");  // its other transfer, silent for longer than a.example's
  CHECK(worst->transfers == 1);
  CHECK(worst->since == now - 4s);
  stalls.ended("b.example", now - 4s);
  CHECK(stalls.worst()->host == "a.example");
  stalls.ended("a.example", now - 3s);
  CHECK_FALSE(stalls.worst());

  // A transfer counts once half its limit has passed in silence, between 1 and 5 s; 5 s without one.
  CHECK(fetch::Stalls::shown_after(60s) == 5s);
  CHECK(fetch::Stalls::shown_after(4s) == 2s);
  CHECK(fetch::Stalls::shown_after(1s) == 1s);
  CHECK(fetch::Stalls::shown_after(0s) == 5s);
  CHECK(fetch::TransferOptions{}.stall_timeout == 60s);  // on by default
}

TEST_CASE("the wait note names the host that sends nothing", "[fetch][wait-status]") {
  const auto now = Scheduler::Clock::now();
  fetch::WaitFacts f;
  f.scheduler.running = 3;
  f.stalled = fetch::Stalls::Worst{"cdn.example", 1, now - 12500ms};
  f.stall_timeout = 60s;
  CHECK(fetch::wait_status(f, now) == "no data from cdn.example for 0:12 (--stall-timeout 1:00)");
  f.stalled->transfers = 3;
  f.stall_timeout = 0s;
  CHECK(fetch::wait_status(f, now) == "no data from cdn.example for 0:12 (3 transfers)");
}
