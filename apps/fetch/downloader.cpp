#include "downloader.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "names.hpp"
#include "scheduler.hpp"

namespace fs = std::filesystem;

namespace fetch {

namespace {

constexpr long kReceiveBuffer = 512 * 1024;          // fewer, larger reads on fast links
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;  // all response headers of one attempt
constexpr std::uint64_t kWriteDirectly = 64 * 1024;  // bodies up to here are written as they come
constexpr std::size_t kWriteBuffer = 256 * 1024;     // past it, in writes of this size

std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* const digits = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

// OpenSSL 3 looks the algorithm up on every init given EVP_sha256(); fetched once, it does not.
const EVP_MD* sha256_method() {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                  EVP_MD_free);
  return md ? md.get() : EVP_sha256();
}

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Feeds the whole of an open file to the hash and counts its bytes; false when it cannot be read.
bool hash_file(int fd, EVP_MD_CTX* sha, std::uint64_t& size) {
  std::vector<char> buf(1 << 16);
  size = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(size));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    EVP_DigestUpdate(sha, buf.data(), static_cast<size_t>(n));
    size += static_cast<std::uint64_t>(n);
  }
}

// The first byte of a Content-Range value ("bytes 100-199/200"); -1 when it is not one.
std::int64_t range_start(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.substr(0, 6) != "bytes ") return -1;
  value.remove_prefix(6);
  std::int64_t start = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), start);
  if (error != std::errc() || end == value.data() + value.size() || *end != '-') return -1;
  return start;
}

}  // namespace

std::string sha256_of_bytes(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, sha256_method(), nullptr);
  return to_hex(digest, len);
}

std::string sha256_of_file(const fs::path& file) {
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  EVP_DigestInit_ex(ctx.get(), sha256_method(), nullptr);
  const conc::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  std::uint64_t size = 0;
  if (!fd || !hash_file(fd.get(), ctx.get(), size)) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return to_hex(digest, len);
}

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

// SHA-256 of the part file as it grows: each chunk is hashed as it is written, while it is still
// in the cache, never read back from the file.
struct Attempt::Digest {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};

  Digest() { reset(); }
  void reset() { EVP_DigestInit_ex(ctx.get(), sha256_method(), nullptr); }
  void update(const char* data, size_t n) { EVP_DigestUpdate(ctx.get(), data, n); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &len);
    return to_hex(digest, len);
  }
};

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
  }
  if (options.max_size != 0) {
    curl_easy_setopt(curl_, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_size));
  }
  if (!options.proxy.empty()) curl_easy_setopt(curl_, CURLOPT_PROXY, options.proxy.c_str());
  if (options.http2) curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  if (options.compressed) curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes
  if (options.insecure) {
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  for (const std::string& h : options.headers) headers_ = curl_slist_append(headers_, h.c_str());
  if (headers_ != nullptr) curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  if (options.stop != nullptr) {
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, options.stop);
    curl_easy_setopt(
        curl_, CURLOPT_XFERINFOFUNCTION, +[](void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
          return static_cast<const std::atomic<bool>*>(stop)->load(std::memory_order_relaxed) ? 1 : 0;
        });
  }
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Attempt::on_header);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Attempt::on_body);
}

EasyHandle::~EasyHandle() {
  curl_easy_cleanup(curl_);
  curl_slist_free_all(headers_);
}

Attempt::Attempt(const TransferOptions& options, CURL* curl, const std::string& url, fs::path target,
                 std::string expected_sha256)
    : options_(options),
      curl_(curl),
      url_(url),
      target_(std::move(target)),
      part_(target_.string() + ".part"),
      expected_sha256_(std::move(expected_sha256)) {
  // A body kept in memory is hashed by whoever reads it next (the thumbnail worker).
  if (!options.to_memory && (options.hash || !expected_sha256_.empty())) sha_ = std::make_unique<Digest>();
}

Attempt::~Attempt() = default;

std::string Attempt::curl_reason(CURLcode code) const {
  // libcurl's own sentence names the host, port and time ("Failed to connect to h port 80 after 3 ms").
  return curl_error_[0] != '\0' ? std::string(curl_error_) : curl_easy_strerror(code);
}

size_t Attempt::on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Attempt*>(user);
  const std::string_view line(data, size * n);
  // Below libcurl's own limit (300 KiB), so that the failure is ours to name and not retried.
  t->header_bytes_ += line.size();
  if (t->header_bytes_ > kMaxHeaderBytes) {
    t->headers_too_large_ = true;
    return 0;
  }
  if (line.substr(0, 5) == "HTTP/") {
    t->retry_after_.clear();  // a new response (after a redirect or 100 Continue)
    t->content_range_.clear();
    t->content_disposition_.clear();
    t->status_ = 0;
  } else if (line.size() > 12 && strncasecmp(line.data(), "retry-after:", 12) == 0) {
    t->retry_after_ = line.substr(12);
  } else if (line.size() > 14 && strncasecmp(line.data(), "content-range:", 14) == 0) {
    t->content_range_ = line.substr(14);
  } else if (line.size() > 20 && strncasecmp(line.data(), "content-disposition:", 20) == 0) {
    t->content_disposition_ = line.substr(20);
  }
  return size * n;
}

size_t Attempt::on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Attempt*>(user);
  // An exception must not cross libcurl's C frames: it ends the transfer and becomes its error.
  try {
    return t->write_body(data, size * n);
  } catch (const std::exception& e) {
    t->callback_error_ = e.what();
    return 0;
  }
}

size_t Attempt::write_body(char* data, size_t bytes) {
  if (status_ == 0) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status_);
  if (status_ < 200 || status_ >= 300) return bytes;  // an error page is not the file
  if (written_ == 0 && offset_ > 0 && status_ == 200) {
    // The server ignored our Range and sends the whole body: start the part again.
    if (::ftruncate(fd_.get(), 0) != 0) {
      write_failed_ = true;
      return 0;
    }
    if (sha_) sha_->reset();
    offset_ = 0;
  }
  if (written_ == 0 && status_ == 206 && range_start(content_range_) != static_cast<std::int64_t>(offset_)) {
    range_mismatch_ = true;  // bytes from elsewhere in the file: appending them would corrupt it
    return 0;
  }
  if (options_.max_size != 0 && offset_ + written_ + bytes > options_.max_size) {
    too_large_ = true;
    return 0;
  }
  if (options_.rate != nullptr && !pay_for(bytes)) return CURL_WRITEFUNC_PAUSE;
  if (sha_) sha_->update(data, bytes);
  if (!store(data, bytes)) {
    write_failed_ = true;
    return 0;
  }
  written_ += bytes;
  return bytes;
}

bool Attempt::pay_for(size_t bytes) {
  if (options_.stop != nullptr && options_.stop->load()) return true;  // the transfer is about to end
  const std::size_t covered = std::min(prepaid_, bytes);
  prepaid_ -= covered;
  if (covered == bytes) return true;
  const auto wait = options_.rate->reserve(static_cast<double>(bytes - covered));
  if (wait.count() <= 0) return true;
  if (options_.rate_pauses) {
    // libcurl hands these bytes over again once the transfer is resumed: they are paid for.
    prepaid_ = bytes;
    paused_until_ = std::chrono::steady_clock::now() + wait;
    return false;
  }
  // Short naps, so that a stop request is seen while the cap holds the transfer back.
  const auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until && !(options_.stop != nullptr && options_.stop->load())) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - std::chrono::steady_clock::now(),
                                                                              std::chrono::milliseconds(100)));
  }
  return true;
}

void Attempt::resume() {
  paused_until_.reset();
  curl_easy_pause(curl_, CURLPAUSE_CONT);
}

bool Attempt::store(const char* data, size_t bytes) {
  // libcurl hands a body over in pieces of at most 16 KiB (CURL_MAX_WRITE_SIZE), whatever its receive
  // buffer: past the first few, they are gathered into writes of kWriteBuffer, a tenth of the system
  // calls. Small files never get the buffer.
  if (!pending_ && written_ + bytes <= kWriteDirectly) return write_all(fd_.get(), data, bytes);
  if (!pending_) pending_ = std::make_unique_for_overwrite<char[]>(kWriteBuffer);
  if (pending_size_ + bytes > kWriteBuffer && !flush()) return false;
  if (bytes >= kWriteBuffer) return write_all(fd_.get(), data, bytes);
  std::memcpy(pending_.get() + pending_size_, data, bytes);
  pending_size_ += bytes;
  return true;
}

bool Attempt::flush() {
  const bool ok = pending_size_ == 0 || write_all(fd_.get(), pending_.get(), pending_size_);
  pending_size_ = 0;
  return ok;
}

std::optional<AttemptResult> Attempt::start() {
  if (options_.to_memory) {
    // The body goes to a memfd that becomes a SharedBuffer once whole; nothing is resumed.
    offset_ = 0;
    fd_ = conc::Fd(::memfd_create("conc-fetch-body", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd_) {
      AttemptResult r;
      r.verdict = Verdict::Retry;
      r.error = std::string("cannot hold a body in memory: ") + std::strerror(errno);
      return r;
    }
  } else {
    // One open for both cases, a part left by an earlier attempt or none (the common case, where a
    // look for it first would cost a failed lookup per file). O_APPEND: after a restart (truncation
    // to 0) writes go to the new end by themselves.
    fd_ = conc::Fd(::open(part_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    struct stat st {};
    if (!fd_ || ::fstat(fd_.get(), &st) != 0) {
      AttemptResult r;
      r.error = "cannot write " + part_.string() + ": " + std::strerror(errno);
      return r;
    }
    offset_ = static_cast<std::uint64_t>(st.st_size);
    // A Range counts bytes of the encoded body, the part holds decoded ones: a compressed transfer starts over.
    if (offset_ > 0 && (options_.compressed || (sha_ && !hash_file(fd_.get(), sha_->ctx.get(), offset_)))) {
      offset_ = 0;
      if (::ftruncate(fd_.get(), 0) != 0) {
        AttemptResult r;
        r.error = "cannot write " + part_.string() + ": " + std::strerror(errno);
        return r;
      }
    }
  }
  if (offset_ == 0 && sha_) sha_->reset();
  curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
  // A plain Range header, not CURLOPT_RESUME_FROM: libcurl then fails a resume the server answers
  // with the whole file, which write_body takes instead, starting the part again.
  const std::string range = std::to_string(offset_) + "-";
  curl_easy_setopt(curl_, CURLOPT_RANGE, offset_ > 0 ? range.c_str() : nullptr);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
  curl_error_[0] = '\0';
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, curl_error_);
  return std::nullopt;
}

AttemptResult Attempt::body_in_memory(conc::Fd memory, AttemptResult r) {
  if (r.bytes == 0) {
    r.verdict = Verdict::Fail;
    r.error = "empty body";
    return r;
  }
  try {
    if (::fcntl(memory.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
      throw std::runtime_error(std::strerror(errno));
    }
    r.body = std::make_shared<conc::SharedBuffer>(conc::SharedBuffer::map(std::move(memory)));
  } catch (const std::exception& e) {
    r.verdict = Verdict::Retry;
    r.error = std::string("cannot hold a body in memory: ") + e.what();
    return r;
  }
  if (!expected_sha256_.empty()) {
    const std::string got = sha256_of_bytes(r.body->view());
    if (got != expected_sha256_) {
      r.body.reset();
      r.verdict = Verdict::Fail;
      r.error = "SHA-256 mismatch (expected " + expected_sha256_ + ", got " + got + ")";
      return r;
    }
  }
  r.verdict = Verdict::Ok;
  return r;
}

AttemptResult Downloader::attempt(const std::string& url, const fs::path& target, const std::string& expected_sha256) {
  Attempt a(options_, handle_.get(), url, target, expected_sha256);
  if (auto early = a.start()) return *early;
  return a.finish(curl_easy_perform(handle_.get()));
}

AttemptResult Attempt::finish(CURLcode code) {
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, nullptr);  // the buffer dies with this attempt
  AttemptResult r;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.http_status);
  const bool flushed = !fd_ || flush();
  conc::Fd memory = options_.to_memory ? std::move(fd_) : conc::Fd();
  const bool closed = (options_.to_memory || fd_.close()) && flushed;
  const std::uint64_t size = offset_ + written_;
  std::error_code ec;
  if (!retry_after_.empty())
    r.retry_after = parse_retry_after(retry_after_, static_cast<std::int64_t>(std::time(nullptr)));
  const long s = r.http_status;
  if (code == CURLE_ABORTED_BY_CALLBACK && options_.stop != nullptr && options_.stop->load()) {
    r.verdict = Verdict::Interrupted;
    r.error = "interrupted";
    return r;
  }
  if (!callback_error_.empty()) {
    r.verdict = Verdict::Fail;
    r.error = callback_error_;
    return r;
  }
  if (code == CURLE_OK && s >= 200 && s < 300) {
    if (sha_) r.sha256 = sha_->hex();
    r.bytes = size;
    if (!closed) {
      r.verdict = Verdict::Retry;
      r.error = "cannot write " + part_.string();
      return r;
    }
    // A body in memory is hashed, and checked, once whole (body_in_memory).
    if (options_.to_memory) return body_in_memory(std::move(memory), std::move(r));
    if (!expected_sha256_.empty() && expected_sha256_ != r.sha256) {
      fs::remove(part_, ec);
      r.verdict = Verdict::Fail;
      r.error = "SHA-256 mismatch (expected " + expected_sha256_ + ", got " + r.sha256 + ")";
      return r;
    }
    if (::rename(part_.c_str(), target_.c_str()) != 0) {
      r.verdict = Verdict::Fail;
      r.error = "cannot rename to " + target_.string() + ": " + std::strerror(errno);
      return r;
    }
    r.verdict = Verdict::Ok;
    if (options_.content_disposition) r.suggested_name = disposition_filename(content_disposition_);
    return r;
  }

  // Not whole: decide between trying again (keeping the part for a Range resume) and giving up.
  if (code == CURLE_OK || code == CURLE_HTTP_RETURNED_ERROR) {
    r.error = "HTTP " + std::to_string(s);
    if (s == 416 && offset_ > 0) {
      // The server refuses our range (the part does not fit the file any more): start again.
      r.verdict = Verdict::Retry;
      r.restart = fs::remove(part_, ec);
      r.error = "HTTP 416 for a resume from byte " + std::to_string(offset_);
      return r;
    }
    // The transient ones, as curl --retry counts them: 501 and 505 will not change on a retry.
    const bool transient = s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
    r.verdict = transient ? Verdict::Retry : Verdict::Fail;
    if (offset_ == 0 && written_ == 0) fs::remove(part_, ec);
    return r;
  }
  if (headers_too_large_) {
    r.verdict = Verdict::Fail;
    r.error = "response headers larger than " + std::to_string(kMaxHeaderBytes / 1024) + " KiB";
    if (size == 0) fs::remove(part_, ec);
    return r;
  }
  if (range_mismatch_) {
    r.verdict = Verdict::Retry;
    r.restart = fs::remove(part_, ec);
    r.error = "the server sent another range (Content-Range:" + content_range_ + ") than bytes " +
              std::to_string(offset_) + "-";
    return r;
  }
  if (too_large_ || code == CURLE_FILESIZE_EXCEEDED) {
    fs::remove(part_, ec);
    r.verdict = Verdict::Fail;
    r.error = "larger than --max-size " + std::to_string(options_.max_size) + " bytes";
    return r;
  }
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
      r.verdict = Verdict::Fail;
      r.error = "redirected to a URL that is not http or https";
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      r.verdict = Verdict::Fail;
      r.error = "too many redirects (more than " + std::to_string(options_.max_redirects) + ", --max-redirects)";
      break;
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_HOST:
      r.verdict = code == CURLE_COULDNT_RESOLVE_HOST ? Verdict::Retry : Verdict::Fail;
      r.error = curl_reason(code);
      break;
    case CURLE_WRITE_ERROR:
      r.verdict = Verdict::Fail;
      r.error = "cannot write " + part_.string();
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      r.verdict = Verdict::Fail;
      r.error = std::string(curl_easy_strerror(code)) + " (--insecure skips certificate checks)";
      break;
    default:  // cut short, timed out, reset, refused: network trouble, try again
      r.verdict = Verdict::Retry;
      r.error = curl_reason(code);
      break;
  }
  if (size == 0) fs::remove(part_, ec);
  return r;
}

}  // namespace fetch
