#pragma once
// Paths named on stdin ("-"), and the place each takes below the output root, so that
// `find photos -name '*.jpg' | conc-thumbs -o thumbs -` mirrors the tree as a walk of photos/ would.

#include <cstddef>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>

namespace thumbs {

struct ListedPath {
  std::string path;        // the bytes as given; empty when refused
  std::size_t number = 0;  // its line (or NUL-separated record), from 1
  std::string error;       // why the line is refused, or empty
};

// Reads one path per line ("\r\n" taken as "\n"), or with `null_separated` one per NUL-terminated
// record (find -print0), where a name may hold any byte but NUL. A line that is empty or holds a NUL
// byte is refused with its number, never cut short or taken for another name.
class PathReader {
 public:
  PathReader(std::istream& in, bool null_separated) : in_(in), null_separated_(null_separated) {}
  std::optional<ListedPath> next();

 private:
  std::istream& in_;
  bool null_separated_;
  std::size_t number_ = 0;
};

// Where a listed path goes below the output root, and from which folder on its folders are
// mirrored: relative paths below the current folder, absolute ones by their whole path; with `root`
// (--root DIR, absolute and normal), both by their path below it.
struct Placement {
  std::filesystem::path base;      // the folder the place is relative to: ".", "/" or root
  std::filesystem::path relative;  // below base; empty for base itself
  std::string error;               // why the path has no place, or empty
};
Placement place_listed_path(const std::string& path, const std::filesystem::path& root);

}  // namespace thumbs
