#pragma once
// One transfer attempt with libcurl: the body streams to NAME.part (resumed with Range when a
// part is there), is checked against Content-Length and any expected SHA-256, and is renamed
// to NAME only when whole. Each worker keeps its own easy handle (keep-alive) and all share
// one DNS and TLS-session cache.

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <conc/rate_limiter.hpp>

namespace fetch {

struct TransferOptions {
  std::chrono::seconds timeout{0};          // one attempt; 0: none
  std::chrono::seconds connect_timeout{30};
  long low_speed_bytes = 0;                 // abort below this many bytes/s ...
  std::chrono::seconds low_speed_time{30};  // ... for this long
  std::uint64_t max_size = 0;               // 0: no limit
  std::vector<std::string> headers;         // "Name: value"
  std::string user_agent = "conc-fetch/0.1";
  std::string proxy;
  bool http2 = false;
  bool insecure = false;
  conc::RateLimiter* rate = nullptr;        // global bandwidth cap, or none
};

enum class Verdict { Ok, Retry, Fail };

struct AttemptResult {
  Verdict verdict = Verdict::Fail;
  long http_status = 0;
  std::uint64_t bytes = 0;   // size of the finished file
  std::string sha256;        // of the finished file
  std::string error;         // for Retry and Fail
  std::optional<std::chrono::seconds> retry_after;
};

// The cache shared by every handle; thread-safe.
class SharedCache {
 public:
  SharedCache();
  ~SharedCache();
  SharedCache(const SharedCache&) = delete;
  SharedCache& operator=(const SharedCache&) = delete;
  CURLSH* get() const { return share_; }

 private:
  CURLSH* share_;
  struct Locks;
  std::unique_ptr<Locks> locks_;
};

class Downloader {
 public:
  Downloader(const TransferOptions& options, const SharedCache& cache);
  ~Downloader();
  Downloader(const Downloader&) = delete;
  Downloader& operator=(const Downloader&) = delete;

  // One attempt at url into `target` (through target + ".part"); target's folder must exist.
  AttemptResult attempt(const std::string& url, const std::filesystem::path& target, const std::string& expected_sha256);

 private:
  const TransferOptions& options_;
  CURL* curl_;
  curl_slist* headers_ = nullptr;
};

}  // namespace fetch
