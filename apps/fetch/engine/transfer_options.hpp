#pragma once
// How each transfer is made: limits, request headers, credentials, TLS and proxy, hashing, and the
// signals (bandwidth cap, stop, stalls) that both engines share.

#include <atomic>
#include <chrono>
#include <conc/rate_limiter.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "engine/stalls.hpp"
#include "engine/trust_store.hpp"

namespace fetch {

// --http1.1 forces HTTP/1.1; by default (libcurl's) HTTP/2 is used over TLS where the server offers it.
enum class HttpVersion { Default, Http1_1 };

struct TransferOptions {
  std::chrono::seconds timeout{0};  // one attempt; 0: none
  std::chrono::seconds connect_timeout{30};
  // An attempt that receives no byte for this long ends, and is retried with Range; 0: never.
  std::chrono::seconds stall_timeout{60};
  long low_speed_bytes = 0;                 // abort below this many bytes/s (replaces the stall limit) ...
  std::chrono::seconds low_speed_time{30};  // ... for this long
  std::uint64_t max_size = 0;               // 0: no limit
  long max_redirects = 20;                  // as aria2c; curl follows 50
  std::vector<std::string> headers;         // "Name: value"
  std::string user_agent = "conc-fetch/0.1";
  // Credentials (never written anywhere): --user USER[:PASSWORD], and the .netrc file (empty: ~/.netrc)
  // when netrc is set. A URL's own user:password wins over the .netrc's.
  std::string user;
  bool netrc = false;
  std::string netrc_file;
  std::string proxy;
  HttpVersion http_version = HttpVersion::Default;
  bool compressed = false;  // ask for gzip, deflate, brotli, zstd; save the decoded body (never resumed)
  bool insecure = false;
  TrustStore trust;                   // the CA certificates that verify servers
  bool content_disposition = false;   // report the Content-Disposition file name (AttemptResult::suggested_name)
  bool hash = true;                   // SHA-256 of every file (always when one is expected)
  bool to_memory = false;             // bodies go to a sealed SharedBuffer (AttemptResult::body), not a file
  conc::RateLimiter* rate = nullptr;  // global bandwidth cap, or none
  // How a transfer waits for the cap: in its own thread (threads engine), or paused, to be resumed
  // by the event loop when the cap covers it (multi engine, whose one thread must never wait).
  bool rate_pauses = false;
  const std::atomic<bool>* stop = nullptr;  // when it becomes true, transfers end (Verdict::Interrupted)
  Stalls* stalls = nullptr;                 // where transfers that receive nothing are counted, or nowhere
  // The output root's temporaries, for the validators kept beside part files; null: the process's.
  const common::Temporaries* temporaries = nullptr;
};

}  // namespace fetch
