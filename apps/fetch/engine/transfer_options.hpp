#pragma once
// How each transfer is made: limits, request headers, TLS and proxy, hashing, and the signals
// (bandwidth cap, stop) that both engines share.

#include <atomic>
#include <chrono>
#include <conc/rate_limiter.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "atomic_file.hpp"

namespace fetch {

struct TransferOptions {
  std::chrono::seconds timeout{0};  // one attempt; 0: none
  std::chrono::seconds connect_timeout{30};
  long low_speed_bytes = 0;                 // abort below this many bytes/s ...
  std::chrono::seconds low_speed_time{30};  // ... for this long
  std::uint64_t max_size = 0;               // 0: no limit
  long max_redirects = 20;                  // as aria2c; curl follows 50
  std::vector<std::string> headers;         // "Name: value"
  std::string user_agent = "conc-fetch/0.1";
  std::string proxy;
  std::vector<std::string> resolve;  // --resolve HOST:PORT:ADDRESS[,ADDRESS...] entries, as curl's
  bool http2 = false;
  bool compressed = false;  // ask for gzip, deflate, brotli, zstd; save the decoded body (never resumed)
  bool insecure = false;
  bool content_disposition = false;   // report the Content-Disposition file name (AttemptResult::suggested_name)
  bool hash = true;                   // SHA-256 of every file (always when one is expected)
  bool to_memory = false;             // bodies go to a sealed SharedBuffer (AttemptResult::body), not a file
  conc::RateLimiter* rate = nullptr;  // global bandwidth cap, or none
  // How a transfer waits for the cap: in its own thread (threads engine), or paused, to be resumed
  // by the event loop when the cap covers it (multi engine, whose one thread must never wait).
  bool rate_pauses = false;
  // Over HTTP/2 a new transfer waits for a connection to its host that can carry it as one more
  // stream rather than opening another (CURLOPT_PIPEWAIT): the multi engine, whose transfers share
  // one connection cache.
  bool multiplex = false;
  const std::atomic<bool>* stop = nullptr;  // when it becomes true, transfers end (Verdict::Interrupted)
  // The output root's temporaries, for the validators kept beside part files; null: the process's.
  const common::Temporaries* temporaries = nullptr;
};

}  // namespace fetch
