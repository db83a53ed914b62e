#pragma once
// What shows that a part file and the remote file are still the same file: the validators of
// the response that started the part (a strong ETag, Last-Modified, the total length), kept
// beside it in NAME.part.json. A resume sends If-Range with them and checks the answer against
// them; a part without them is started again from zero. The file names its kind and version
// (docs/schemas/conc-fetch-part.schema.json).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "atomic_file.hpp"

namespace fetch {

inline constexpr const char* kPartSchema = "conc-fetch-part/1";

struct Validators {
  std::string url_sha256;  // of the URL the part was started from: another URL never continues it
  std::string etag;        // a strong ETag ("..."), as the server wrote it; empty when none
  std::string last_modified;
  std::optional<std::uint64_t> length;  // of the whole file

  // Whether anything here can tell the same file from another.
  bool can_vouch() const { return !etag.empty() || !last_modified.empty() || length.has_value(); }
  // The If-Range value: the ETag, else Last-Modified; empty when there is neither.
  const std::string& if_range() const { return etag.empty() ? last_modified : etag; }
  // What a resume relies on, for the manifest: "ETag", "Last-Modified" or "length".
  std::string check() const;
};

// NAME.part.json for NAME.part.
std::filesystem::path validators_file(const std::filesystem::path& part);

// The validators kept beside a part; nothing when there are none, they cannot be read, or the file
// names another schema than kPartSchema (one that names none is an older conc-fetch's).
std::optional<Validators> read_validators(const std::filesystem::path& file);

// Writes them atomically (through one of `temporaries`' names); false when they cannot be written.
bool write_validators(const std::filesystem::path& file, const Validators& v, const common::Temporaries& temporaries);

// "bytes 100-199/200": the first byte and the total (nothing for "*"); nothing when it is not one.
struct ContentRange {
  std::uint64_t start = 0;
  std::optional<std::uint64_t> total;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

// Why a 206 answer to a resume is not the file the part was started from (its ETag, Last-Modified
// or total length differ from the recorded ones); nothing when it is the same.
std::optional<std::string> changed_since(const Validators& recorded, const std::string& etag,
                                         const std::string& last_modified, const std::optional<ContentRange>& range);

}  // namespace fetch
