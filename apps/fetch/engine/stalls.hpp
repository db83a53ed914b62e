#pragma once
// Transfers that receive nothing, by host: what the progress line names ("no data from
// example.com for 0:12"). A transfer's progress callback reports only when it starts or stops
// stalling; the engine's thread reads the board a few times a second.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace fetch {

class Stalls {
 public:
  using Clock = std::chrono::steady_clock;

  // How long a transfer receives nothing before it is counted: half the --stall-timeout that ends
  // it (at least 1 s), at most 5 s; 5 s without a limit.
  static Clock::duration shown_after(std::chrono::seconds stall_timeout);

  // A transfer from host has received nothing since `since`; it counts until ended() with the same values.
  void began(const std::string& host, Clock::time_point since);
  void ended(const std::string& host, Clock::time_point since);

  struct Worst {
    std::string host;           // the host of the transfer stalled the longest
    std::size_t transfers = 0;  // how many of that host's transfers stall now
    Clock::time_point since;    // when the longest one last received a byte
  };
  std::optional<Worst> worst() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::multiset<Clock::time_point>> by_host_;
};

}  // namespace fetch
