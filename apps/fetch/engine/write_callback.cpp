// libcurl's write callback: body bytes checked (status, range, --max-size), paid to the --rate
// cap, hashed and written to the part file (or the memfd of a body kept in memory).

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
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
