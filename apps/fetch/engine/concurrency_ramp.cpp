#include "engine/concurrency_ramp.hpp"

#include <algorithm>

namespace fetch {

ConcurrencyRamp::ConcurrencyRamp(std::size_t start, std::size_t most, Clock::time_point now)
    : limit_(std::max<std::size_t>(1, std::min(start, most))),
      most_(std::max<std::size_t>(1, most)),
      growing_(limit_ < most_),
      round_start_(now) {}

void ConcurrencyRamp::running(std::size_t running) {
  if (running >= limit_) full_ = true;
}

void ConcurrencyRamp::finished(std::size_t n, Clock::time_point now) {
  if (!growing_) return;
  finished_ += n;
  if (finished_ < limit_) return;
  const double seconds = std::chrono::duration<double>(now - round_start_).count();
  const double rate = static_cast<double>(finished_) / std::max(seconds, 1e-6);
  if (full_ && rounds_++ > 0) {
    if (last_rate_ > 0 && rate < last_rate_ * kGain) {
      growing_ = false;
    } else {
      limit_ = std::min(most_, limit_ + limit_ / 2);
      growing_ = limit_ < most_;
    }
    last_rate_ = rate;
  }
  round_start_ = now;
  finished_ = 0;
  full_ = false;
}

}  // namespace fetch
