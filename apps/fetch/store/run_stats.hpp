#pragma once
// The counts of a run, for OUT/stats.json and --summary: lines by status, failures by class of
// error and by stage, refusals by filter, the most frequent messages, bytes. stats.json names its
// kind and version (docs/schemas/conc-fetch-stats.schema.json).

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "store/manifest.hpp"

namespace fetch {

inline constexpr const char* kStatsSchema = "conc-fetch-stats/1";

// A short, stable name for the kind of an error, to count failures by: "http_404", "not_an_image",
// "truncated", "too_many_pixels", "too_large", "decoder_crashed", "timeout", "network", ...
std::string error_class(const std::string& error);

class RunStats {
 public:
  // One manifest line; `thumbnail_stage`: a failure of its thumbnail (failed to resize, as
  // img2dataset says), not of its download. Thread-safe.
  void count(const Record& r, bool thumbnail_stage = false);

  struct Totals {
    std::map<std::string, std::uint64_t> by_status;
    std::map<std::string, std::uint64_t> by_error;
    std::map<std::string, std::uint64_t> filtered;  // by filter
    std::map<std::string, std::uint64_t> messages;  // what each line that is not "ok" said
    std::uint64_t failed_to_download = 0;
    std::uint64_t failed_to_resize = 0;
    std::uint64_t bytes = 0;  // downloaded, of the lines counted
  };
  Totals totals() const;

  // The counts as img2dataset writes them in its stats files: count, successes, failed_to_download,
  // failed_to_resize, and conc's opted_out, filtered (and by filter), duration, and status_dict
  // ("success" and the most frequent messages).
  static nlohmann::json dataset_view(const Totals& totals, double duration_seconds);

 private:
  mutable std::mutex mutex_;
  Totals totals_;
};

}  // namespace fetch
