// libcurl's write callback: at the first body byte the answer is checked (status, range, a
// resumed part's validators) and the part's validators kept; then body bytes are checked against
// --max-size, paid to the --rate cap, hashed and written to the part file (or the memfd of a body
// kept in memory).

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "engine/attempt.hpp"
#include "engine/sha256.hpp"

namespace fetch {

namespace {

constexpr std::uint64_t kWriteDirectly = 64 * 1024;  // bodies up to here are written as they come
constexpr std::size_t kWriteBuffer = 256 * 1024;     // past it, in writes of this size

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

}  // namespace

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

bool Attempt::begin_body() {
  body_began_ = true;
  if (offset_ > 0 && status_ == 206) {
    // A resume: the bytes must continue the part, of the same file.
    const auto range = parse_content_range(content_range_);
    if (!range || range->start != offset_) {
      range_mismatch_ = true;  // bytes from elsewhere in the file: appending them would corrupt it
      return false;
    }
    if (auto why = changed_since(*recorded_, etag_, last_modified_, range)) {
      changed_ = std::move(*why);  // a server that ignored If-Range: the tail of another file
      return false;
    }
    resumed_ = AttemptResult::Resume{offset_, recorded_->check()};
    return true;
  }
  if (const auto range = parse_content_range(content_range_); status_ == 206 && !(range && range->start == 0)) {
    range_mismatch_ = true;  // a range nobody asked for
    return false;
  }
  std::error_code ec;
  if (offset_ > 0) {
    // The whole file instead of the range (the server ignored it, or If-Range found the file
    // changed): the part starts again, and what vouched for the old one goes.
    if (validators_on_disk_) std::filesystem::remove(validators_file_, ec);
    validators_on_disk_ = false;
    if (::ftruncate(fd_.get(), 0) != 0) {
      write_failed_ = true;
      return false;
    }
    if (sha_) sha_->reset();
    offset_ = 0;
  }
  resumed_ = AttemptResult::Resume{0, ""};
  if (options_.to_memory || options_.compressed) return true;
  // This response's validators will vouch for the part. A small body's are written only if its
  // part stays (a cut, a stop): most files never need them.
  Validators v = response_validators();
  if (!v.can_vouch() || (v.length && *v.length <= kWriteDirectly)) {
    if (validators_on_disk_) std::filesystem::remove(validators_file_, ec);
    validators_on_disk_ = false;
    if (v.can_vouch()) unwritten_ = std::move(v);
    return true;
  }
  if (!save_validators(std::move(v))) {
    write_failed_ = true;
    return false;
  }
  return true;
}

size_t Attempt::write_body(char* data, size_t bytes) {
  if (status_ == 0) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status_);
  if (status_ < 200 || status_ >= 300) return bytes;  // an error page is not the file
  if (!body_began_ && !begin_body()) return 0;
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

}  // namespace fetch
