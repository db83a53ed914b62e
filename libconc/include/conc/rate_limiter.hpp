#pragma once
/// @file
/// RateLimiter: a token bucket. `rate` tokens per second refill a bucket of `burst`;
/// acquire(n) takes n tokens, waiting as long as needed. Requests larger than the
/// bucket are served by going into debt, so a 1 MiB write under a 100 KiB/s cap
/// waits about ten seconds rather than forever.
///
/// ```
/// conc::RateLimiter bandwidth(10 * 1024 * 1024);   // 10 MiB/s
/// bandwidth.acquire(chunk.size());
/// ```
///
/// reserve(n) takes the tokens and returns how long the caller should wait, for
/// schedulers that must not sleep.

#include <chrono>
#include <functional>
#include <mutex>

namespace conc {

/// A token bucket shared by any number of threads; it starts full.
class RateLimiter {
 public:
  /// The clock that refills the bucket.
  using Clock = std::chrono::steady_clock;
  /// A source of the current time (tests pass a fake one).
  using Now = std::function<Clock::time_point()>;

  /// rate_per_second tokens a second into a bucket of burst (0: one second's worth of tokens).
  /// Throws std::invalid_argument when the rate is not positive.
  explicit RateLimiter(double rate_per_second, double burst = 0, Now now = Clock::now);

  /// Takes tokens, sleeping until the bucket covers them.
  void acquire(double tokens = 1);
  /// Takes tokens if the bucket holds them now; false (nothing taken) otherwise.
  bool try_acquire(double tokens = 1);
  /// Takes the tokens now and returns the delay after which they are covered (0 when available).
  std::chrono::nanoseconds reserve(double tokens = 1);
  /// Tokens per second.
  double rate() const noexcept { return rate_; }
  /// Tokens in the bucket now; negative while in debt.
  double available();

 private:
  void refill(Clock::time_point now);

  const double rate_;
  const double burst_;
  const Now now_;
  std::mutex mutex_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace conc
