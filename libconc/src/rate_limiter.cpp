#include "conc/rate_limiter.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace conc {

RateLimiter::RateLimiter(double rate_per_second, double burst, Now now)
    : rate_(rate_per_second), burst_(burst > 0 ? burst : rate_per_second), now_(std::move(now)) {
  if (!(rate_ > 0)) throw std::invalid_argument("conc::RateLimiter: rate must be positive");
  tokens_ = burst_;
  last_ = now_();
}

void RateLimiter::refill(Clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
}

std::chrono::nanoseconds RateLimiter::reserve(double tokens) {
  std::lock_guard lock(mutex_);
  refill(now_());
  tokens_ -= tokens;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(-tokens_ / rate_));
}

void RateLimiter::acquire(double tokens) {
  const auto wait = reserve(tokens);
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

bool RateLimiter::try_acquire(double tokens) {
  std::lock_guard lock(mutex_);
  refill(now_());
  if (tokens_ < tokens) return false;
  tokens_ -= tokens;
  return true;
}

double RateLimiter::available() {
  std::lock_guard lock(mutex_);
  refill(now_());
  return tokens_;
}

}  // namespace conc
