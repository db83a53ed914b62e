#include "store/run_stats.hpp"

#include <string_view>

namespace fetch {

namespace {

bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

std::string error_class(const std::string& error) {
  const std::string_view e(error);
  if (e.rfind("HTTP ", 0) == 0) {
    const auto end = e.find_first_not_of("0123456789", 5);
    return "http_" + std::string(e.substr(5, end == std::string_view::npos ? end : end - 5));
  }
  if (has(e, "not an image")) return "not_an_image";
  if (has(e, "unsupported format")) return "unsupported_format";
  if (e.rfind("truncated", 0) == 0) return "truncated";
  if (has(e, "too many pixels")) return "too_many_pixels";
  if (has(e, "larger than --max-size")) return "too_large";
  if (has(e, "empty body") || has(e, "empty file")) return "empty";
  if (has(e, "timed out after") || has(e, "task timeout") || has(e, "timeout")) return "timeout";
  if (has(e, "worker killed by") || has(e, "worker exited") || has(e, "worker")) return "decoder_crashed";
  if (has(e, "cannot decode") || has(e, "cannot encode")) return "decode_error";
  if (has(e, "SHA-256 mismatch")) return "checksum";
  if (has(e, "cannot write") || has(e, "cannot create") || has(e, "cannot rename")) return "write_error";
  if (has(e, "redirect")) return "redirect";
  if (has(e, "line ") || has(e, "out=") || has(e, "URL")) return "bad_list_entry";
  return "network";
}

void RunStats::count(const Record& r) {
  std::lock_guard lock(mutex_);
  ++totals_.by_status[r.status];
  totals_.bytes += r.bytes;
  if (r.status == "failed") ++totals_.by_error[error_class(r.error)];
}

RunStats::Totals RunStats::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

}  // namespace fetch
