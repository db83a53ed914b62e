#include "engine/easy_handle.hpp"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <stdexcept>

#include "engine/attempt.hpp"

namespace fetch {

namespace {
constexpr long kReceiveBuffer = 512 * 1024;  // fewer, larger reads on fast links
}  // namespace

struct SharedCache::Locks {
  std::mutex m[CURL_LOCK_DATA_LAST];
};

SharedCache::SharedCache() : share_(curl_share_init()), locks_(std::make_unique<Locks>()) {
  // DNS and TLS sessions only: libcurl does not support sharing connections between concurrent
  // threads (CURLSHOPT_SHARE); each worker's handle keeps its own connections alive instead.
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, locks_.get());
  curl_share_setopt(
      share_, CURLSHOPT_LOCKFUNC,
      +[](CURL*, curl_lock_data data, curl_lock_access, void* user) { static_cast<Locks*>(user)->m[data].lock(); });
  curl_share_setopt(
      share_, CURLSHOPT_UNLOCKFUNC,
      +[](CURL*, curl_lock_data data, void* user) { static_cast<Locks*>(user)->m[data].unlock(); });
}

SharedCache::~SharedCache() { curl_share_cleanup(share_); }

EasyHandle::EasyHandle(const TransferOptions& options, const SharedCache* cache) : curl_(curl_easy_init()) {
  if (curl_ == nullptr) throw std::runtime_error("cannot create a libcurl handle");
  if (cache != nullptr) curl_easy_setopt(curl_, CURLOPT_SHARE, cache->get());
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl_, CURLOPT_MAXREDIRS, options.max_redirects);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");  // never file:// or ftp://
  curl_easy_setopt(curl_, CURLOPT_BUFFERSIZE, kReceiveBuffer);
  curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl_, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout.count()));
  if (options.timeout.count() > 0) curl_easy_setopt(curl_, CURLOPT_TIMEOUT, static_cast<long>(options.timeout.count()));
  if (options.low_speed_bytes > 0) {
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_bytes);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_time.count()));
  } else if (options.stall_timeout.count() > 0) {
    // Less than a byte a second over the limit's time: nothing at all came (libcurl skips a paused transfer).
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_timeout.count()));
  }
  if (options.max_size != 0) {
    curl_easy_setopt(curl_, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(std::min<std::uint64_t>(options.max_size, INT64_MAX)));
  }
  if (!options.proxy.empty()) curl_easy_setopt(curl_, CURLOPT_PROXY, options.proxy.c_str());
  if (options.http_version == HttpVersion::Http1_1)
    curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  if (options.compressed) curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes
  if (!options.user.empty()) curl_easy_setopt(curl_, CURLOPT_USERPWD, options.user.c_str());
  if (options.netrc) {
    curl_easy_setopt(curl_, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
    if (!options.netrc_file.empty()) curl_easy_setopt(curl_, CURLOPT_NETRC_FILE, options.netrc_file.c_str());
  }
  options.trust.apply(curl_);
  if (options.insecure) {
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  for (const std::string& h : options.headers) headers_ = curl_slist_append(headers_, h.c_str());
  if (headers_ != nullptr) curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  // Each attempt points XFERINFODATA at itself: the callback ends a stopped run's transfers and watches for stalls.
  curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &Attempt::on_progress);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Attempt::on_header);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Attempt::on_body);
}

EasyHandle::~EasyHandle() {
  curl_easy_cleanup(curl_);
  curl_slist_free_all(headers_);
}

}  // namespace fetch
