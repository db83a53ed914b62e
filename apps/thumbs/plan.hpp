#pragma once
// Planning a run: walk the inputs, recognise images by content, decide every output path,
// refuse collisions, leave the output tree out, and skip thumbnails that are up to date.

#include <cstdint>
#include <filesystem>
#include <istream>
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
  std::vector<std::string> outputs;  // absolute paths, one per size
  Format format = Format::Unknown;
  std::uint64_t bytes = 0;          // source file size
  Status status = Status::Pending;  // Pending: to be made
  std::string note;                 // why it failed or was skipped
  int width = 0;
  int height = 0;
};

struct Plan {
  std::filesystem::path out_root;  // absolute
  std::string signature;           // the options that shape a thumbnail
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

// What shapes a thumbnail: sizes, fit, format and quality.
std::string options_signature(const Options& options);

// The state file at the output root that records the signature of the last run.
std::filesystem::path state_file(const std::filesystem::path& out_root);
std::string read_state_signature(const std::filesystem::path& out_root);
void write_state_signature(const std::filesystem::path& out_root, const std::string& signature);

// Plans the run; paths for "-" are read from `paths_in`.
Plan make_plan(const Options& options, std::istream& paths_in);

// Removes temporary files a killed run left in the output tree; returns how many.
std::size_t remove_stale_temporaries(const std::filesystem::path& out_root);

}  // namespace thumbs
