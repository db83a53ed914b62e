// One attempt at one URL: the part file opened (or the memfd of a body kept in memory), the
// request pointed at it (Range for a resume), and once libcurl is done, the verdict: renamed into
// place, retried, or failed with its reason.

#include "engine/attempt.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "engine/scheduler.hpp"
#include "engine/sha256.hpp"
#include "engine/shared_trust_store.hpp"
#include "plan/names.hpp"
#include "redact.hpp"

namespace fs = std::filesystem;

namespace fetch {

Attempt::Attempt(const TransferOptions& options, const EasyHandle& handle, const std::string& url, fs::path target,
                 std::string expected_sha256)
    : options_(options),
      curl_(handle.get()),
      handle_headers_(handle.headers()),
      url_(url),
      target_(std::move(target)),
      part_(target_.string() + ".part"),
      validators_file_(validators_file(part_)),
      expected_sha256_(std::move(expected_sha256)) {
  // A body kept in memory is hashed by whoever reads it next (the thumbnail worker).
  if (!options.to_memory && (options.hash || !expected_sha256_.empty())) sha_ = std::make_unique<Sha256>();
  curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
}

Attempt::~Attempt() {
  stall_over();
  restore_headers();
}

void Attempt::restore_headers() {
  if (request_headers_ == nullptr) return;
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, handle_headers_);
  curl_slist_free_all(request_headers_);
  request_headers_ = nullptr;
}

Validators Attempt::response_validators() const {
  Validators v;
  // If-Range takes only a strong ETag; a weak one (W/"...") cannot vouch for bytes.
  if (etag_.size() >= 2 && etag_.front() == '"') v.etag = etag_;
  v.last_modified = last_modified_;
  if (status_ == 206) {
    if (const auto range = parse_content_range(content_range_)) v.length = range->total;
  } else {
    curl_off_t length = -1;
    if (curl_easy_getinfo(curl_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length >= 0)
      v.length = static_cast<std::uint64_t>(length);
  }
  return v;
}

bool Attempt::drop_part() {
  std::error_code ec;
  fs::remove(validators_file_, ec);
  validators_on_disk_ = false;
  unwritten_.reset();
  return fs::remove(part_, ec);
}

bool Attempt::save_validators(Validators v) {
  // Of the URL without its credentials: a hash of a password written beside the part could be guessed back.
  v.url_sha256 = sha256_of_bytes(common::redact_urls(url_));
  const common::Temporaries& temporaries =
      options_.temporaries != nullptr ? *options_.temporaries : common::Temporaries::process();
  validators_on_disk_ = write_validators(validators_file_, v, temporaries);
  return validators_on_disk_;
}

void Attempt::keep_part() {
  if (options_.to_memory) return;
  if (unwritten_) save_validators(std::move(*unwritten_));
  unwritten_.reset();
  // A part with bytes that nothing vouches for would only be started again: it goes now.
  std::error_code ec;
  if (!validators_on_disk_ && fs::file_size(part_, ec) > 0 && !ec) drop_part();
}

std::string Attempt::curl_reason(CURLcode code) const {
  // libcurl's own sentence names the host, port and time ("Failed to connect to h port 80 after 3 ms").
  return curl_error_[0] != '\0' ? std::string(curl_error_) : curl_easy_strerror(code);
}

std::string Attempt::refused_redirect() const {
  // libcurl counts the redirect it refused: its Location is in the response of the request before.
  long redirects = 0;
  curl_easy_getinfo(curl_, CURLINFO_REDIRECT_COUNT, &redirects);
  curl_header* location = nullptr;
  if (redirects == 0 ||
      curl_easy_header(curl_, "Location", 0, CURLH_HEADER, static_cast<int>(redirects - 1), &location) != CURLHE_OK) {
    return "";
  }
  // Its scheme (RFC 3986: a letter, then letters, digits, '+', '-', '.', up to ':'); a relative one has none.
  const std::string_view target = location->value;
  const auto colon = target.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(target[0]))) return "";
  std::string scheme;
  for (const char c : target.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return "";
    scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (scheme == "http" || scheme == "https") return "";
  return "redirected to " + common::redact_urls(target) + ", which is not http or https";
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
    if (offset_ > 0) {
      // A part is continued only from the URL that started it, with what vouches for it: else it
      // starts again. A Range counts bytes of the encoded body, the part holds decoded ones: a
      // compressed transfer starts over too.
      recorded_ = read_validators(validators_file_);
      validators_on_disk_ = recorded_.has_value() || fs::exists(validators_file_);
      if (options_.compressed || !recorded_ || recorded_->url_sha256 != sha256_of_bytes(common::redact_urls(url_)) ||
          (sha_ && !sha_->update_from_file(fd_.get(), offset_))) {
        recorded_.reset();
        offset_ = 0;
        std::error_code ec;
        if (validators_on_disk_) fs::remove(validators_file_, ec);
        validators_on_disk_ = false;
        if (::ftruncate(fd_.get(), 0) != 0) {
          AttemptResult r;
          r.error = "cannot write " + part_.string() + ": " + std::strerror(errno);
          return r;
        }
      }
    }
  }
  if (offset_ == 0 && sha_) sha_->reset();
  curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
  // A plain Range header, not CURLOPT_RESUME_FROM: libcurl then fails a resume the server answers
  // with the whole file, which write_body takes instead, starting the part again.
  const std::string range = std::to_string(offset_) + "-";
  curl_easy_setopt(curl_, CURLOPT_RANGE, offset_ > 0 ? range.c_str() : nullptr);
  if (offset_ > 0 && !recorded_->if_range().empty()) {
    // The range only if the file is still the part's; otherwise the server sends the whole new one.
    for (curl_slist* h = handle_headers_; h != nullptr; h = h->next)
      request_headers_ = curl_slist_append(request_headers_, h->data);
    request_headers_ = curl_slist_append(request_headers_, ("If-Range: " + recorded_->if_range()).c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, request_headers_);
  }
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
  restore_headers();
  AttemptResult r;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.http_status);
  if (status_ == 0) status_ = r.http_status;
  // A 206 without a body: the resume is checked all the same.
  if (code == CURLE_OK && !body_began_ && status_ == 206 && offset_ > 0) begin_body();
  const bool flushed = !fd_ || flush();
  conc::Fd memory = options_.to_memory ? std::move(fd_) : conc::Fd();
  const bool closed = (options_.to_memory || fd_.close()) && flushed;
  const std::uint64_t size = offset_ + written_;
  std::error_code ec;
  if (!retry_after_.empty())
    r.retry_after = parse_retry_after(retry_after_, static_cast<std::int64_t>(std::time(nullptr)));
  const long s = r.http_status;
  r.resumed = resumed_;
  r.robots_tags = robots_tags_;
  if (code == CURLE_ABORTED_BY_CALLBACK && options_.stop != nullptr && options_.stop->load()) {
    keep_part();
    r.verdict = Verdict::Interrupted;
    r.error = "interrupted";
    return r;
  }
  if (!callback_error_.empty()) {
    keep_part();
    r.verdict = Verdict::Fail;
    r.error = callback_error_;
    return r;
  }
  if (!changed_.empty()) {
    // The part is of another version of the file: the new one is downloaded from zero.
    r.verdict = Verdict::Retry;
    r.restart = drop_part();
    r.error = "the file changed on the server since byte " + std::to_string(offset_) + " was saved (" + changed_ + ")";
    return r;
  }
  if (code == CURLE_OK && s == 200 && offset_ > 0 && !options_.to_memory) {
    // The whole file, without a body, for a resume: what the part holds is not vouched for.
    r.verdict = Verdict::Retry;
    r.restart = drop_part();
    r.error = "HTTP 200 without a body for a resume from byte " + std::to_string(offset_);
    return r;
  }
  if (code == CURLE_OK && s >= 200 && s < 300 && !range_mismatch_) {
    if (sha_) r.sha256 = sha_->hex();
    r.bytes = size;
    if (!closed) {
      keep_part();
      r.verdict = Verdict::Retry;
      r.error = "cannot write " + part_.string();
      return r;
    }
    // A body in memory is hashed, and checked, once whole (body_in_memory).
    if (options_.to_memory) return body_in_memory(std::move(memory), std::move(r));
    if (!expected_sha256_.empty() && expected_sha256_ != r.sha256) {
      drop_part();
      r.verdict = Verdict::Fail;
      r.error = "SHA-256 mismatch (expected " + expected_sha256_ + ", got " + r.sha256 + ")";
      return r;
    }
    // The validators first: a file renamed into place leaves no part for them to vouch for.
    if (validators_on_disk_) fs::remove(validators_file_, ec);
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
  if (range_mismatch_) {
    // A part is started again; a range from elsewhere with no part to continue is a broken answer.
    r.verdict = Verdict::Retry;
    r.restart = drop_part() && offset_ > 0;
    r.error = "the server sent another range (Content-Range:" + content_range_ + ") than bytes " +
              std::to_string(offset_) + "-";
    return r;
  }
  if (code == CURLE_OK || code == CURLE_HTTP_RETURNED_ERROR) {
    r.error = "HTTP " + std::to_string(s);
    if (s == 416 && offset_ > 0) {
      // The server refuses our range (the part does not fit the file any more): start again.
      r.verdict = Verdict::Retry;
      r.restart = drop_part();
      r.error = "HTTP 416 for a resume from byte " + std::to_string(offset_);
      return r;
    }
    // The transient ones, as curl --retry counts them: 501 and 505 will not change on a retry.
    const bool transient = s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
    r.verdict = transient ? Verdict::Retry : Verdict::Fail;
    if (offset_ == 0 && written_ == 0) {
      drop_part();
    } else {
      keep_part();
    }
    return r;
  }
  if (headers_too_large_) {
    r.verdict = Verdict::Fail;
    r.error = "response headers larger than " + std::to_string(kMaxHeaderBytes / 1024) + " KiB";
    if (size == 0) {
      drop_part();
    } else {
      keep_part();
    }
    return r;
  }
  if (too_large_ || code == CURLE_FILESIZE_EXCEEDED) {
    drop_part();
    r.verdict = Verdict::Fail;
    r.error = "larger than --max-size " + std::to_string(options_.max_size) + " bytes";
    return r;
  }
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:  // a redirect refused (REDIR_PROTOCOLS), or a response that is not HTTP/1.x
      r.verdict = Verdict::Fail;
      r.error = refused_redirect();
      if (r.error.empty()) r.error = curl_reason(code);
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
    case CURLE_PEER_FAILED_VERIFICATION: {  // libcurl's words name the cause: expired, name, issuer
      long verify_result = 0;
      curl_easy_getinfo(curl_, CURLINFO_SSL_VERIFYRESULT, &verify_result);
      r.verdict = Verdict::Fail;
      r.error = curl_reason(code) + verification_hint(verify_result, options_.trust);
      break;
    }
    case CURLE_SSL_CACERT_BADFILE: {
      r.verdict = Verdict::Fail;
      const std::string problem = options_.shared_trust != nullptr ? options_.shared_trust->problem() : "";
      r.error = (problem.empty() ? curl_reason(code) : problem) + " (" + options_.trust.describe() + ")";
      break;
    }
    case CURLE_SSL_CONNECT_ERROR:  // the handshake itself (a protocol or version mismatch): no certificate to skip
      r.verdict = Verdict::Fail;
      r.error = curl_reason(code);
      break;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_ABORTED_BY_CALLBACK:  // the progress callback's --stall-timeout (a stop is Interrupted above)
      r.verdict = Verdict::Retry;
      r.error = stall_reason();
      if (r.error.empty()) r.error = curl_reason(code);
      break;
    default:  // cut short, timed out, reset, refused: network trouble, try again
      r.verdict = Verdict::Retry;
      r.error = curl_reason(code);
      break;
  }
  if (size == 0) {
    drop_part();
  } else {
    keep_part();
  }
  return r;
}

}  // namespace fetch
