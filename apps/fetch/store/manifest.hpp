#pragma once
// The manifest: one JSON line per URL as it finishes, appended as results arrive. It is also
// the resume journal: a re-run skips the URLs it records as done whose files are still there.

#include <conc/fd.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fetch {

// With --thumbnail: what the worker made of the downloaded body.
struct ThumbnailFacts {
  std::string path;  // the thumbnail, relative to the output folder; empty when it failed
  int width = 0;
  int height = 0;
  int source_width = 0;
  int source_height = 0;
  std::uint64_t source_bytes = 0;
  std::string original;  // with --keep-originals: the body as downloaded
};

struct Record {
  std::string url;
  std::string path;    // relative to the output folder
  std::string status;  // "ok", "skipped" or "failed"
  long http_status = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  unsigned attempts = 0;
  std::string error;
};

// With `thumbnail`, the line also has its fields (thumbnail, width, height, source_width, ...).
std::string to_json_line(const Record& r, const ThumbnailFacts* thumbnail = nullptr);

class Manifest {
 public:
  // Reads what an earlier run recorded (missing file: nothing), then appends to it.
  explicit Manifest(const std::filesystem::path& file);
  Manifest(const Manifest&) = delete;
  Manifest& operator=(const Manifest&) = delete;

  // The last "ok" record of url saved as path (relative to the output folder) by earlier runs;
  // a URL listed twice has one record per file.
  std::optional<Record> done_before(const std::string& url, const std::string& path) const;
  // The last "ok" record of url, whatever its path (a name the server gave).
  std::optional<Record> done_before(const std::string& url) const;
  // The paths of every "ok" record read at the start (this manifest's and those read_also() took).
  std::vector<std::string> done_paths() const;
  // Also takes what another run recorded in `file` as done (the whole list's manifest, or a shard's).
  void read_also(const std::filesystem::path& file);
  // Appends one line with one write, so that a killed run loses nothing it finished; false
  // (errno set) when the line could not be written.
  [[nodiscard]] bool append(const Record& r, const ThumbnailFacts* thumbnail = nullptr);
  // The thumbnail facts of the last "ok" record of url at path (its thumbnail), if it had any.
  std::optional<ThumbnailFacts> thumbnail_before(const std::string& url, const std::string& path) const;

 private:
  std::map<std::pair<std::string, std::string>, Record> done_;  // by url and path
  std::map<std::string, Record> last_done_;                     // by url
  std::map<std::pair<std::string, std::string>, ThumbnailFacts> thumbnails_;
  std::mutex mutex_;
  conc::Fd out_;
};

}  // namespace fetch
