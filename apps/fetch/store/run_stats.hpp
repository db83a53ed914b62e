#pragma once
// The counts of a run, for OUT/stats.json: lines by status, failures by class of error, bytes.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "store/manifest.hpp"

namespace fetch {

// A short, stable name for the kind of an error, to count failures by: "http_404", "not_an_image",
// "truncated", "too_many_pixels", "too_large", "decoder_crashed", "timeout", "network", ...
std::string error_class(const std::string& error);

class RunStats {
 public:
  // One manifest line; thread-safe.
  void count(const Record& r);

  struct Totals {
    std::map<std::string, std::uint64_t> by_status;
    std::map<std::string, std::uint64_t> by_error;
    std::uint64_t bytes = 0;  // downloaded, of the lines counted
  };
  Totals totals() const;

 private:
  mutable std::mutex mutex_;
  Totals totals_;
};

}  // namespace fetch
