// One attempt at one URL: the part file opened (or the memfd of a body kept in memory), the
// request pointed at it (Range for a resume), and once libcurl is done, the verdict: renamed into
// place, retried, or failed with its reason.

#include "engine/attempt.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "engine/scheduler.hpp"
#include "engine/sha256.hpp"
#include "plan/names.hpp"

namespace fs = std::filesystem;

namespace fetch {

Attempt::Attempt(const TransferOptions& options, CURL* curl, const std::string& url, fs::path target,
                 std::string expected_sha256)
    : options_(options),
      curl_(curl),
      url_(url),
      target_(std::move(target)),
      part_(target_.string() + ".part"),
      expected_sha256_(std::move(expected_sha256)) {
  // A body kept in memory is hashed by whoever reads it next (the thumbnail worker).
  if (!options.to_memory && (options.hash || !expected_sha256_.empty())) sha_ = std::make_unique<Sha256>();
}

Attempt::~Attempt() = default;

std::string Attempt::curl_reason(CURLcode code) const {
  // libcurl's own sentence names the host, port and time ("Failed to connect to h port 80 after 3 ms").
  return curl_error_[0] != '\0' ? std::string(curl_error_) : curl_easy_strerror(code);
}

void Attempt::resume() {
  paused_until_.reset();
  curl_easy_pause(curl_, CURLPAUSE_CONT);
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
    if (offset_ > 0 && (options_.compressed || (sha_ && !sha_->update_from_file(fd_.get(), offset_)))) {
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
