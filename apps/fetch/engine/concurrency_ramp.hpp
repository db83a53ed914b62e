#pragma once
// -j auto: how many transfers may run at once, grown only while it pays.
// A round lasts until as many transfers have finished as the limit allows, so its length follows
// the servers' response time. Of the rounds in which every allowed transfer was running, the first
// (every connection new) is not judged and the second is the baseline; after each, the limit grows
// by half, and a round that did not finish at least kGain times as many transfers a second as the
// one before stops the growth for good. Every transfer above what the servers and the loop's one
// core can serve costs a connection (and a TLS handshake) and serves nobody; a step that does not
// pay has opened at most half as many connections again as the limit that did.

#include <chrono>
#include <cstddef>

namespace fetch {

class ConcurrencyRamp {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kGain = 1.2;

  // From `start` up to `most` transfers at once; start == most: a fixed limit (-j N).
  ConcurrencyRamp(std::size_t start, std::size_t most, Clock::time_point now = Clock::now());

  std::size_t limit() const { return limit_; }
  // `running` transfers run now (after new ones started).
  void running(std::size_t running);
  // `n` transfers finished at `now`.
  void finished(std::size_t n, Clock::time_point now = Clock::now());

 private:
  std::size_t limit_;
  const std::size_t most_;
  bool growing_;
  Clock::time_point round_start_;
  std::size_t finished_ = 0;  // in this round
  bool full_ = false;         // every allowed transfer ran at some point in this round
  std::size_t rounds_ = 0;    // full ones so far
  double last_rate_ = 0;      // transfers a second in the last full round after the first
};

}  // namespace fetch
