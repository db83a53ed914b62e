#pragma once
// Planning a run: walk the inputs, recognise images by content, decide every output path,
// refuse collisions, leave the output tree out, and skip thumbnails that are up to date.

#include <conc/fd.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "image_header.hpp"
#include "options.hpp"

namespace thumbs {

enum class Status { Pending, Ok, Skipped, Failed };
const char* to_string(Status s);

struct Entry {
  std::string source;                // absolute path
  std::string display;               // the path as the user named it, for messages
  std::string relative;              // its place in the output tree: the path below its input folder
  std::vector<std::string> outputs;  // absolute paths, one per size
  Format format = Format::Unknown;
  std::uint64_t bytes = 0;          // source file size
  std::int64_t mtime = 0;           // source modification time, seconds since the epoch
  Status status = Status::Pending;  // Pending: to be made
  std::string note;                 // why it failed or was skipped
  int width = 0;
  int height = 0;
};

// The state file at the output root: its first line holds the options signature, every further
// line one thumbnail made with those options ({"made": "path relative to the root"}). A thumbnail
// is trusted only when it is listed, so a run interrupted after other options never vouches for
// thumbnails it did not make.
struct State {
  std::string signature;
  std::set<std::string> made;  // relative to the output root
};
struct Plan {
  std::filesystem::path out_root;  // absolute
  std::string signature;           // the options that shape a thumbnail
  State state;                     // as read before the run
  std::vector<Entry> entries;      // one per source image, in a stable order
};

// Thrown for problems with the command line itself (exit code 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The output root: --out, or <INPUT>/thumbs when the only input is a folder.
std::filesystem::path output_root(const Options& options);

// The file name of a thumbnail: the source's name when its extension already names the output
// format, else the name with the output extension appended ("scan.tiff" -> "scan.tiff.jpg").
std::string output_name(const std::string& source_name, Format output);

// What shapes a thumbnail: sizes, fit, format, quality and colour, and the version of the pixels
// (2: colour managed), so thumbnails an older conc-thumbs made are made again.
std::string options_signature(const Options& options);

// A shard's state file carries the shard in its name (.conc-thumbs.shard-0002-of-0016.json).
std::filesystem::path state_file(const std::filesystem::path& out_root,
                                 const std::optional<common::Shard>& shard = std::nullopt);
State read_state(const std::filesystem::path& out_root, const std::optional<common::Shard>& shard = std::nullopt);
// Replaces the state file atomically.
void write_state(const std::filesystem::path& out_root, const State& state,
                 const std::optional<common::Shard>& shard = std::nullopt);

// Appends one line per thumbnail to the state file as the run makes them.
class StateJournal {
 public:
  explicit StateJournal(const std::filesystem::path& out_root,
                        const std::optional<common::Shard>& shard = std::nullopt);
  void made(const std::string& output);

 private:
  std::filesystem::path out_root_;
  std::filesystem::path file_name_;
  conc::Fd file_;
};

// Plans the run; paths for "-" are read from `paths_in`. With a shard, every source is planned
// (so that all shards agree on names and collisions) and only the shard's own are kept: those whose
// relative path hashes to it. Without one, thumbnails the shards' state files list are trusted too.
Plan make_plan(const Options& options, std::istream& paths_in);

// Removes temporary files a killed run left in the output tree; returns how many. With `ours`, only
// the temporaries of the final paths it accepts (a shard leaves the other shards' alone).
std::size_t remove_stale_temporaries(const std::filesystem::path& out_root,
                                     const std::function<bool(const std::string& final_path)>& ours = {});

}  // namespace thumbs
