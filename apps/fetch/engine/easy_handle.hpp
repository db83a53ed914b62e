#pragma once
// The easy-handle setup: a libcurl handle configured once from the transfer options (limits,
// headers, credentials, TLS, proxy, callbacks), kept alive between transfers so its connections are reused,
// and the cache the thread engine's handles share.

#include <curl/curl.h>

#include <memory>

#include "engine/transfer_options.hpp"

namespace fetch {

// The cache shared by the thread engine's handles; thread-safe.
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

// A libcurl easy handle set up from the transfer options; it keeps its connections alive
// between transfers.
class EasyHandle {
 public:
  explicit EasyHandle(const TransferOptions& options, const SharedCache* cache = nullptr);
  ~EasyHandle();
  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;
  CURL* get() const { return curl_; }
  // The request headers it sends (-H), or null; an attempt that adds one puts these back after.
  curl_slist* headers() const { return headers_; }

 private:
  CURL* curl_;
  curl_slist* headers_ = nullptr;
};

}  // namespace fetch
