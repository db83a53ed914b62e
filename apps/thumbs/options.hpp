#pragma once
// conc-thumbs' options, as parsed from the command line.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geometry.hpp"
#include "image_header.hpp"
#include "shard.hpp"
#include "thumbnail.hpp"

namespace thumbs {

// The thumbnailer's core (apps/imaging) is this app's vocabulary.
using imaging::Box;
using imaging::Colour;
using imaging::detect_format;
using imaging::Fit;
using imaging::Format;
using imaging::format_extension;
using imaging::format_name;
using imaging::format_supported;
using imaging::has_image_extension;
using imaging::ImageHeader;
using imaging::make_thumbnail;
using imaging::output_format_for;
using imaging::OutputFormat;
using imaging::OutputSpec;
using imaging::read_header;
using imaging::ThumbJob;
using imaging::ThumbResult;
using imaging::to_string;

enum class Engine { Process, Thread, Serial };
// The gallery's order: by name, or by capture date (the file's time when the photo has none).
enum class GallerySort { Name, Date };

struct Options {
  std::vector<std::string> inputs;  // folders, files, or "-" for paths on stdin
  bool null_separated = false;      // paths on stdin end with NUL, not newline (-0)
  std::string root;                 // paths on stdin are placed below OUT by their path below it (--root)
  std::string out;                  // empty: <INPUT>/thumbs for a single folder
  std::vector<Box> sizes{{75, 75}};
  Fit fit = Fit::Contain;
  OutputFormat format = OutputFormat::Auto;
  int quality = 85;
  Colour colour = Colour::Srgb;
  bool embedded_preview = false;  // make thumbnails from the previews files carry, when they serve
  unsigned jobs = 0;              // 0: one per core
  Engine engine = Engine::Process;
  double timeout_seconds = 0;  // 0: none
  std::uint64_t max_pixels = 200'000'000;
  bool force = false;
  bool dry_run = false;
  std::string report;  // JSON report path, empty: none (with a shard: OUT/.conc-thumbs.report.shard-...json)
  std::optional<common::Shard> shard;  // this run's part of the sources; nothing: all of them
  bool progress = true;
  bool verbose = false;
  // The desktop's thumbnail cache (--freedesktop): the folders of the sizes to make ("normal",
  // "large", "x-large", "xx-large"), `out` being the cache; empty: an ordinary output tree.
  std::vector<std::string> freedesktop;
  bool gallery = false;  // write index.html pages beside the thumbnails
  std::string gallery_title = "Photos";
  std::string gallery_base_url;  // empty: link originals relatively
  GallerySort gallery_sort = GallerySort::Name;
};

}  // namespace thumbs
