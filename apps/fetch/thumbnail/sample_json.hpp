#pragma once
// A sample's JSON, as KEY.json in a WebDataset tar or STEM.json beside a thumbnail: its key, URL and
// caption, what became of it, the sizes and the body's SHA-256, and the row's saved columns; with
// img2dataset's names (status, error_message, original_width, original_height) beside conc's own,
// and its kind and version (docs/schemas/conc-fetch-sample.schema.json).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fetch {

inline constexpr const char* kSampleSchema = "conc-fetch-sample/1";

// The fields conc-fetch writes in a sample's JSON itself: no saved column may take one's name.
inline constexpr std::array<std::string_view, 14> kSampleFields = {
    "schema",        "key",           "url",          "caption",        "status",
    "error_message", "width",         "height",       "original_width", "original_height",
    "source_width",  "source_height", "source_bytes", "sha256"};

struct SampleFacts {
  std::string key;  // the row's line in the list, 9 digits
  std::string url;  // credentials redacted
  std::optional<std::string> caption;
  std::string columns;  // the saved columns, a JSON object's text (empty: none)
  int width = 0;
  int height = 0;
  int source_width = 0;
  int source_height = 0;
  std::uint64_t source_bytes = 0;
  std::string sha256;
};

// "000000042" for the row on line 42: the same in every run and every shard.
std::string sample_key(std::size_t line);

// The JSON text; the saved columns come first, so that none of them can hide a field of conc's.
std::string sample_json(const SampleFacts& facts);

}  // namespace fetch
