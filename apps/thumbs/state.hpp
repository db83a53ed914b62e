#pragma once
// The state file at an output root (.conc-thumbs.json): the options its thumbnails were made with,
// the token of the root's temporaries, and every thumbnail made, with its source's identity then.
//
// One JSON object per line. The first: {"signature": OPTIONS, "token": TOKEN}; then, appended as
// thumbnails are made: {"made": PATH, "size": N, "mtime_ns": N, "inode": N, "ctime_ns": N}, PATH
// relative to the root and written by the name rule of apps/common/name_text.hpp (valid UTF-8 as
// is, a backslash doubled, any other byte \xHH), so that every name the filesystem allows is kept.

#include <sys/stat.h>

#include <conc/fd.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "shard.hpp"

namespace thumbs {

// The state file's first line names its kind and version (docs/schemas/conc-thumbs-state.schema.json).
inline constexpr const char* kStateSchema = "conc-thumbs-state/1";

// What tells one source file from another at the same path: a thumbnail is up to date only while
// all of it is unchanged, so a source replaced by one with an older date is still remade.
struct SourceIdentity {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t inode = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const SourceIdentity&) const = default;
};
SourceIdentity identity_of(const struct stat& st);

struct State {
  std::string signature;
  // The root's temporaries token (common::Temporaries); empty: the file records none (it is new, or
  // an older conc-thumbs wrote it).
  std::string token;
  // Relative to the output root (bytes) -> the identity of its source when it was made. A line of an
  // older conc-thumbs, without an identity, is not kept: it cannot vouch for the source it was made
  // from, so its thumbnail is made once more.
  std::map<std::string, SourceIdentity> made;
};

// A shard's state file carries the shard in its name (.conc-thumbs.shard-0002-of-0016.json).
std::filesystem::path state_file(const std::filesystem::path& out_root,
                                 const std::optional<common::Shard>& shard = std::nullopt);
State read_state(const std::filesystem::path& out_root, const std::optional<common::Shard>& shard = std::nullopt);
// Replaces the state file atomically, through a temporary of the state's token.
void write_state(const std::filesystem::path& out_root, const State& state,
                 const std::optional<common::Shard>& shard = std::nullopt);

// The gallery's facts at the output root (gallery.cpp).
inline constexpr const char* kGalleryFactsName = ".conc-gallery.json";

// Whether a file name is one that marks a conc output root: a state file (a shard's too) or a
// gallery's facts.
bool is_output_marker(const std::string& filename);

// Appends one line per thumbnail to the state file as the run makes them.
class StateJournal {
 public:
  explicit StateJournal(const std::filesystem::path& out_root,
                        const std::optional<common::Shard>& shard = std::nullopt);
  void made(const std::string& output, const SourceIdentity& source);

 private:
  std::filesystem::path out_root_;
  std::filesystem::path file_name_;
  conc::Fd file_;
};

}  // namespace thumbs
