#include "store/run_stats.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace fetch {

namespace {

bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Distinct messages kept; past that, others are counted together (a message may name a URL).
constexpr std::size_t kMaxMessages = 1000;
constexpr const char* kOtherMessages = "(other messages)";
// How many of the most frequent messages status_dict lists.
constexpr std::size_t kListedMessages = 20;

// What a line that is not "ok" said, without what varies from one URL to the next.
std::string message_of(const Record& r) {
  if (r.status == "filtered") return "filtered: " + r.filtered;
  std::string m = r.error;
  // A table's bad row names its line: the kind of fault is what counts.
  if (m.starts_with("line ")) {
    if (const auto colon = m.find(": "); colon != std::string::npos) m.erase(0, colon + 2);
  }
  if (const auto after = m.rfind(" after "); after != std::string::npos && m.ends_with(" attempts")) m.resize(after);
  return r.status == "opted-out" ? "opted out: " + m : m;
}

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

void RunStats::count(const Record& r, bool thumbnail_stage) {
  std::lock_guard lock(mutex_);
  ++totals_.by_status[r.status];
  totals_.bytes += r.bytes;
  if (r.status == "failed") {
    ++totals_.by_error[error_class(r.error)];
    ++(thumbnail_stage ? totals_.failed_to_resize : totals_.failed_to_download);
  }
  if (r.status == "filtered") ++totals_.filtered[r.filtered];
  if (r.status == "ok") return;
  std::string message = message_of(r);
  if (totals_.messages.size() >= kMaxMessages && totals_.messages.count(message) == 0) message = kOtherMessages;
  ++totals_.messages[message];
}

RunStats::Totals RunStats::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

nlohmann::json RunStats::dataset_view(const Totals& t, double duration_seconds) {
  const auto status = [&](const char* name) {
    const auto it = t.by_status.find(name);
    return it == t.by_status.end() ? std::uint64_t{0} : it->second;
  };
  std::uint64_t count = 0;
  for (const auto& [name, n] : t.by_status) count += n;
  std::vector<std::pair<std::string, std::uint64_t>> messages(t.messages.begin(), t.messages.end());
  std::stable_sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (messages.size() > kListedMessages) messages.resize(kListedMessages);
  nlohmann::json status_dict = nlohmann::json::object();
  if (status("ok") > 0) status_dict["success"] = status("ok");
  for (const auto& [message, n] : messages) status_dict[message] = n;
  return {{"count", count},
          {"successes", status("ok")},
          {"failed_to_download", t.failed_to_download},
          {"failed_to_resize", t.failed_to_resize},
          {"opted_out", status("opted-out")},
          {"filtered", status("filtered")},
          {"filtered_by", t.filtered},
          {"duration", duration_seconds},
          {"status_dict", status_dict}};
}

}  // namespace fetch
