#pragma once
// Planning a run: walk the inputs, recognise images by content, decide every output path,
// refuse collisions, leave the output tree out, and skip thumbnails that are up to date.

#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "image_header.hpp"
#include "metadata.hpp"
#include "options.hpp"
#include "state.hpp"

namespace thumbs {

enum class Status { Pending, Ok, Skipped, Failed };
const char* to_string(Status s);

struct Entry {
  std::string source;                // absolute path
  std::string display;               // the path as the user named it, for messages (raw bytes)
  std::string relative;              // its place in the output tree: the path below its input folder
  std::vector<std::string> outputs;  // absolute paths, one per size
  Format format = Format::Unknown;
  std::uint64_t bytes = 0;          // source file size
  std::int64_t mtime = 0;           // source modification time, seconds since the epoch
  SourceIdentity identity;          // the source as planned: what the state file records once it is made
  Status status = Status::Pending;  // Pending: to be made
  std::string note;                 // why it failed or was skipped: text, names in it by name_for_display
  int width = 0;                    // of the first thumbnail, when made
  int height = 0;
  imaging::Metadata metadata;  // of a source made in this run: capture date, camera, lens
  int source_width = 0;        // of a source made in this run, upright
  int source_height = 0;
  std::string made_from;  // of a source made in this run: ThumbResult::made_from
};

// What a source is made into: the --size boxes and, with --gallery, the grid's 2x thumbnail (twice
// the first --size, with the run's fit) and the viewer's rendition (kViewerBox, fitting inside), each
// only when no --size is already that box. All are made from one decode, in one task.
inline constexpr Box kViewerBox{1600, 1600};
struct Rendition {
  Box box;
  std::optional<Fit> fit;  // none: the run's --fit
};
struct Renditions {
  std::vector<Rendition> list;  // list[i] is Entry::outputs[i]; the --size boxes first, in their order
  std::size_t double_size = 0;  // the grid's 2x thumbnail (with --gallery)
  std::size_t viewer = 0;       // the viewer's rendition (with --gallery)
};
Renditions renditions_for(const Options& options);

struct Plan {
  std::filesystem::path out_root;        // absolute
  Renditions renditions;                 // what every source is made into
  std::string signature;                 // the options that shape a thumbnail
  State state;                           // as read before the run
  std::string token;                     // the root's temporaries token: the state file's, or a new one
  std::vector<Entry> entries;            // one per source image, in a stable order
  std::set<std::string> output_folders;  // conc output folders found among the inputs and left out (absolute)
  std::vector<std::string> notes;        // one line each, for the user: inputs left out and why
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

// What shapes a thumbnail: sizes, fit, format, quality, colour and embedded previews, and the version
// of the pixels (2: colour managed; 3: XMP orientation, RAW files through LibRaw, a HEIF's thumbnail
// only with --embedded-preview), so thumbnails an older conc-thumbs made are made again.
std::string options_signature(const Options& options);

// Plans the run; paths for "-" are read from `paths_in` and placed below the output root by
// place_listed_path(). Folders that are conc output roots (they hold a state file or a gallery's
// facts), and the run's own output folder, are never walked: a thumbnail is never taken for a
// source. With a shard, every source is planned (so that all shards agree on names and collisions)
// and only the shard's own are kept: those whose relative path hashes to it. Without one,
// thumbnails the shards' state files list are trusted too.
Plan make_plan(const Options& options, std::istream& paths_in);

// Removes the temporaries a killed run of this root left beside the planned outputs (in their
// folders and those folders' parents up to the root): only files `ours` proves are its own, never
// any other file, whatever its name. Returns how many.
std::size_t remove_stale_temporaries(const std::filesystem::path& out_root, const common::Temporaries& ours,
                                     const std::vector<std::string>& planned_outputs);

}  // namespace thumbs
