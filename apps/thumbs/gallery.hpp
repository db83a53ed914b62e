#pragma once
// The --gallery pages: a static index.html at the output root and one per subfolder, a grid of
// the thumbnails linking to their originals, rendered from a Mustache template.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>

#include "plan.hpp"

namespace thumbs {

// Text made safe inside HTML elements and quoted attributes: & < > " ' become entities.
std::string html_escape(std::string_view text);

// A path made into a URL path: every byte but the unreserved ones and '/' percent-encoded
// (UTF-8 names stay UTF-8 once decoded; '#', '?', '%' and spaces no longer end or break the URL).
std::string url_escape_path(std::string_view path);

// The URL of `target` as seen from a page in folder `page_folder`: a relative, escaped path
// ("../../photos/a%20b.jpg"). Both must be absolute and normal.
std::string relative_url(const std::filesystem::path& page_folder, const std::filesystem::path& target);

struct GalleryOptions {
  std::string title = "Photos";
  std::string base_url;  // empty: originals are linked relatively; else base_url + path below the input
  int cell = 256;        // grid cell width in CSS pixels: the thumbnail box
};

struct GalleryResult {
  std::size_t pages = 0;      // pages in the gallery
  std::size_t rewritten = 0;  // pages whose content changed and were written
  std::size_t removed = 0;    // pages of folders that no longer hold anything to show
};

// Writes index.html into every folder of the output tree that holds thumbnails, failed sources or
// such folders; a page is replaced atomically (through one of `temporaries`) and only when its
// content differs; the pages it wrote before for folders with nothing left to show are removed.
// Names are shown by common::name_for_display and linked by their bytes, percent-encoded; the
// facts file keeps them by common::name_to_text. Throws on a page that cannot be written.
GalleryResult write_gallery(const Plan& plan, const GalleryOptions& options,
                            const common::Temporaries& temporaries = common::Temporaries::process());

}  // namespace thumbs
