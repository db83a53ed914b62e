// libcurl's header callback: the response headers an attempt acts on (status line, Retry-After,
// Content-Range, Content-Disposition, the validators ETag and Last-Modified, X-Robots-Tag), within
// a bound on their total size.

#include <strings.h>

#include "engine/attempt.hpp"

namespace fetch {

namespace {

// A header's value without the spaces around it and the line's end.
std::string trimmed(std::string_view value) {
  const auto first = value.find_first_not_of(" \t");
  const auto last = value.find_last_not_of(" \t\r\n");
  return first == std::string_view::npos ? std::string() : std::string(value.substr(first, last - first + 1));
}

}  // namespace

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
    t->etag_.clear();
    t->last_modified_.clear();
    t->robots_tags_.clear();
    t->status_ = 0;
  } else if (line.size() > 12 && strncasecmp(line.data(), "retry-after:", 12) == 0) {
    t->retry_after_ = line.substr(12);
  } else if (line.size() > 14 && strncasecmp(line.data(), "content-range:", 14) == 0) {
    t->content_range_ = line.substr(14);
  } else if (line.size() > 20 && strncasecmp(line.data(), "content-disposition:", 20) == 0) {
    t->content_disposition_ = line.substr(20);
  } else if (line.size() > 5 && strncasecmp(line.data(), "etag:", 5) == 0) {
    t->etag_ = trimmed(line.substr(5));
  } else if (line.size() > 14 && strncasecmp(line.data(), "last-modified:", 14) == 0) {
    t->last_modified_ = trimmed(line.substr(14));
  } else if (line.size() > 13 && strncasecmp(line.data(), "x-robots-tag:", 13) == 0) {
    t->robots_tags_.push_back(trimmed(line.substr(13)));
  }
  return size * n;
}

}  // namespace fetch
