#pragma once
// The download scheduler: per-host connection limits and a retry queue ordered by due time.
// A worker asks for its next download and gets one whose host has room and whose retry delay
// has passed; it waits only when nothing at all can start now, never on one busy host or one
// pending retry while other work is there. A host whose download just finished goes first: its
// connection is open and idle, so its next download costs no new connection (nor TLS handshake);
// the other hosts take turns.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace fetch {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;

  struct Grant {
    std::size_t index;  // the caller's id of the download
    std::string host;
  };

  // per_host: concurrent downloads per host; 0 means no limit.
  explicit Scheduler(std::size_t per_host) : per_host_(per_host) {}

  // A download that may start at once.
  void add(std::size_t index, const std::string& host);
  // A download to try again once `due` has passed (after a failure of the grant it had); `why`
  // says what it waits for ("Retry-After from example.com"), for waiting().
  void retry(std::size_t index, const std::string& host, Clock::time_point due, std::string why = {});
  // No more add() calls will come; next() returns nothing once all work is done.
  void close_input();
  // Stops at once: next() returns nothing from now on.
  void cancel();

  // Blocks until a download may start (and returns it, its host slot taken) or everything is done.
  std::optional<Grant> next();
  // As next(), but gives up (nothing) at `deadline`; done() tells the two apart.
  std::optional<Grant> next_until(Clock::time_point deadline);
  // For an event loop: a download that may start now, if any; never blocks.
  std::optional<Grant> try_next();
  // When the earliest pending retry falls due, if one is waiting.
  std::optional<Clock::time_point> next_due() const;
  // Input closed and nothing left: nothing ready, waiting or running.
  bool done() const;
  // The grant's download finished (or failed and was passed to retry()): frees its host slot, and
  // counts the connection it leaves idle while the host has more work waiting.
  void release(const std::string& host);
  // Connections that released downloads left idle to hosts that have more work waiting: what a
  // connection cache should keep beside those in use.
  std::size_t idle_connections() const;

  std::size_t in_flight() const;

  // What holds back the work that is not running, for the progress line.
  struct Waiting {
    std::size_t running = 0;
    std::size_t held_by_host = 0;  // ready, but their host already has per_host downloads running
    std::string host;              // the host holding back the most of them
    std::size_t retries = 0;       // waiting for their retry time
    std::optional<Clock::time_point> next_due;
    std::string next_why;  // the earliest retry's `why`
  };
  Waiting waiting() const;
  std::size_t per_host() const noexcept { return per_host_; }

 private:
  struct Delayed {
    Clock::time_point due;
    std::uint64_t seq;  // ties keep submission order
    std::size_t index;
    std::string host;
    std::string why;
    bool operator>(const Delayed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  std::optional<Grant> take_ready_locked();
  bool all_done_locked() const;  // input closed, nothing ready, waiting or running

  const std::size_t per_host_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::deque<std::size_t>> ready_;  // per host, in order
  std::map<std::string, std::size_t> active_;             // per host, downloads running
  std::string last_host_;                                 // round-robin position
  std::map<std::string, std::size_t> idle_;               // per host with work waiting: its idle connections
  std::size_t idle_total_ = 0;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  std::uint64_t seq_ = 0;
  std::size_t ready_count_ = 0;
  std::size_t running_ = 0;
  bool input_closed_ = false;
  bool cancelled_ = false;
};

// Hands one grant to `attempt`. Whatever `attempt` does, the grant's host slot is released after
// it; an exception from it becomes that download's failure, passed to `on_failure` with the reason.
void work_on(Scheduler& scheduler, const Scheduler::Grant& grant,
             const std::function<void(const Scheduler::Grant&)>& attempt,
             const std::function<void(const Scheduler::Grant&, const std::string& reason)>& on_failure);

// One worker's loop: takes grants until none are left and works on each (work_on).
void work_through(Scheduler& scheduler, const std::function<void(const Scheduler::Grant&)>& attempt,
                  const std::function<void(const Scheduler::Grant&, const std::string& reason)>& on_failure);

// Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^attempt)).
std::chrono::milliseconds backoff(unsigned attempt, std::mt19937_64& rng,
                                  std::chrono::milliseconds base = std::chrono::milliseconds(500),
                                  std::chrono::milliseconds cap = std::chrono::seconds(30));

// The delay a Retry-After header asks for: delta-seconds or an HTTP date (relative to `now`,
// seconds since the epoch). Empty when the value is not understood.
std::optional<std::chrono::seconds> parse_retry_after(const std::string& value, std::int64_t now);

}  // namespace fetch
