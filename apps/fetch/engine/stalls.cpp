#include "engine/stalls.hpp"

#include <algorithm>

namespace fetch {

Stalls::Clock::duration Stalls::shown_after(std::chrono::seconds stall_timeout) {
  constexpr std::chrono::seconds kMost{5};
  if (stall_timeout.count() <= 0) return kMost;
  return std::clamp<Clock::duration>(stall_timeout / 2, std::chrono::seconds(1), kMost);
}

void Stalls::began(const std::string& host, Clock::time_point since) {
  std::lock_guard lock(mutex_);
  by_host_[host].insert(since);
}

void Stalls::ended(const std::string& host, Clock::time_point since) {
  std::lock_guard lock(mutex_);
  auto it = by_host_.find(host);
  if (it == by_host_.end()) return;
  if (auto one = it->second.find(since); one != it->second.end()) it->second.erase(one);
  if (it->second.empty()) by_host_.erase(it);
}

std::optional<Stalls::Worst> Stalls::worst() const {
  std::lock_guard lock(mutex_);
  std::optional<Worst> worst;
  for (const auto& [host, since] : by_host_) {
    if (!worst || *since.begin() < worst->since) worst = Worst{host, since.size(), *since.begin()};
  }
  return worst;
}

}  // namespace fetch
