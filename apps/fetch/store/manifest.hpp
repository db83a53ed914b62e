#pragma once
// The manifest: one JSON line per URL as it finishes, appended as results arrive. It is also
// the resume journal: a re-run skips the URLs whose records still vouch for their files.
//
// Names and URLs are bytes; in the JSON they are text by common::name_to_text() (valid UTF-8 as
// it is, other bytes as \xHH), so every line is valid JSON and every name comes back as it was.
// Each line names its kind and version (docs/schemas/conc-fetch-manifest.schema.json).

#include <conc/fd.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fetch {

inline constexpr const char* kManifestSchema = "conc-fetch-manifest/1";

// With --thumbnail: what the worker made of the downloaded body.
struct ThumbnailFacts {
  std::string
      path;  // the thumbnail, relative to the output folder (a tar member's name in a tar); empty when it failed
  int width = 0;
  int height = 0;
  int source_width = 0;
  int source_height = 0;
  std::uint64_t source_bytes = 0;
  std::string original;               // with --keep-originals: the body as downloaded
  std::uint64_t thumbnail_bytes = 0;  // the thumbnail file's size (files)
  std::uint64_t tar_bytes = 0;        // the complete tar's size (webdataset)
};

struct Record {
  std::string url;
  std::string path;  // relative to the output folder
  // "ok" or "failed"; with --thumbnail also "opted-out" (an X-Robots-Tag asked not to keep it) and
  // "filtered" (--min-image-size, --max-aspect-ratio, --max-pixels refused it): neither a failure.
  std::string status;
  long http_status = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  unsigned attempts = 0;
  std::string error;
  // When the file was finished from a part an earlier attempt left: the byte the first resume
  // continued from, and what showed it was the same remote file ("ETag", "Last-Modified", or only
  // "length" when the server gave no validator).
  std::uint64_t resumed_from = 0;
  std::string resume_check{};
  // A table's row: its caption and saved columns (a JSON object's text), kept whatever became of it.
  std::optional<std::string> caption{};
  std::string columns{};
  std::string filtered{};  // status "filtered": which filter ("too_small", "aspect_ratio", "too_many_pixels")
};

// With `thumbnail`, the line also has its fields (thumbnail, width, height, source_width, ...).
std::string to_json_line(const Record& r, const ThumbnailFacts* thumbnail = nullptr);

// A record read back from a manifest, with its thumbnail facts when it has them.
struct Recorded {
  Record record;
  std::optional<ThumbnailFacts> thumbnail;
};

class Manifest {
 public:
  // Reads what an earlier run recorded (missing file: nothing), then appends to it; "-" writes the
  // lines to standard output and reads nothing.
  explicit Manifest(const std::filesystem::path& file);
  Manifest(const Manifest&) = delete;
  Manifest& operator=(const Manifest&) = delete;

  // The record that vouches for `path` (relative to the output folder) as url's: the last "ok"
  // record of that path, when it is url's. Once another URL was saved under the same path, url's
  // older record vouches for nothing. (A URL listed twice has one record per file.)
  std::optional<Recorded> done_before(const std::string& url, const std::string& path) const;
  // url's last "ok" record, whatever its path (a name the server gave, a tar), while it still
  // vouches for that path (for a tar: for that member of it).
  std::optional<Recorded> done_before(const std::string& url) const;
  // Whether the last "ok" record that kept an original at `original` (--keep-originals) is url's.
  bool original_is(const std::string& url, const std::string& original) const;
  // The paths of every "ok" record read at the start (this manifest's and those read_also() took).
  std::vector<std::string> done_paths() const;
  // Also takes what another run recorded in `file` as done (the whole list's manifest, or a shard's);
  // its lines count as later than those read before.
  void read_also(const std::filesystem::path& file);
  // Appends one line with one write, so that a killed run loses nothing it finished; false
  // (errno set) when the line could not be written.
  [[nodiscard]] bool append(const Record& r, const ThumbnailFacts* thumbnail = nullptr);

 private:
  // What a record vouches for: its path, or for a sample in a tar the tar and the member.
  static std::string unit_of(const Recorded& r);

  std::map<std::string, Recorded> latest_;        // by unit: its last "ok" record
  std::map<std::string, std::string> url_unit_;   // by URL: the unit of its last "ok" record
  std::map<std::string, std::string> originals_;  // by original: the URL of its last "ok" record
  std::mutex mutex_;
  conc::Fd out_;
};

// A manifest line read back: Recorded, or nothing for a line that is not one (cut short by a kill,
// or naming another schema than kManifestSchema; a line without one is an older conc-fetch's).
std::optional<Recorded> parse_manifest_line(const std::string& line);

}  // namespace fetch
