#pragma once
// The note on the progress line that says what a run is waiting for: a retry's time (a server's
// Retry-After or the backoff), a host at its --per-host limit, the --rate cap, a host that sends
// nothing.

#include <optional>
#include <string>

#include "engine/scheduler.hpp"
#include "engine/stalls.hpp"

namespace fetch {

struct WaitFacts {
  Scheduler::Waiting scheduler;
  std::size_t per_host = 0;               // --per-host; 0: no limit
  double rate = 0;                        // --rate in bytes/s; 0: no cap
  bool rate_held = false;                 // transfers are being held back to the cap right now
  std::optional<Stalls::Worst> stalled;   // the host whose transfer has received nothing the longest
  std::chrono::seconds stall_timeout{0};  // --stall-timeout; 0: none
};

// "next retry in 0:27 (Retry-After from example.com); 12 wait for example.com
// (--per-host 8); held to --rate 1.00 MB/s; no data from cdn.example for 0:12 (--stall-timeout 1:00)";
// empty when nothing waits. A pending retry is named when nothing else runs or when it is at least
// `long_wait` away.
std::string wait_status(const WaitFacts& facts, Scheduler::Clock::time_point now,
                        std::chrono::seconds long_wait = std::chrono::seconds(5));

}  // namespace fetch
