#pragma once
// The --gallery pages: a static album rendered from Mustache templates. Every folder of the output
// tree gets an index.html (its sub-albums, each with a cover photo, then a square grid of its photos
// with 1x and 2x thumbnails), and every photo a page of its own (the viewer: a display-size
// rendition, previous and next, its facts and a link to the original). No script is needed and
// nothing is fetched from the network.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <set>
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
  std::string base_url;         // empty: originals are linked relatively; else base_url + path below the input
  int cell = 256;               // a grid tile's width in CSS pixels on a wide screen: the first --size's width
  std::size_t double_size = 0;  // Entry::outputs index of the 2x thumbnail
  std::size_t viewer = 0;       // Entry::outputs index of the viewer's rendition
  GallerySort sort = GallerySort::Name;
};

// The grid's CSS column rules and the `sizes` attribute that matches them, for tiles `cell` CSS
// pixels wide: two columns on a phone, tiles of `cell` once three fit, at least four columns from
// 1024 pixels on.
struct GridLayout {
  std::string css;
  std::string sizes;
};
GridLayout grid_layout(int cell);

// The name of a photo's viewer page, beside its folder's index.html: its thumbnail's file name
// (which ends in .jpg, .png or .webp, so never is index.html) + ".html", or, when that is too long
// for a file name, "photo-" and a hash of it.
std::string viewer_page_name(std::string_view thumbnail_name);

// The photos (by their place below the output root, Entry::relative) whose facts the gallery at
// `out_root` remembers. With --gallery, a photo up to date but not among them is made again, so
// that a worker reads its metadata (never this process: a parser's crash costs one file).
std::set<std::string> photos_with_facts(const std::filesystem::path& out_root);

struct GalleryResult {
  std::size_t pages = 0;      // pages in the gallery: folder pages and viewer pages
  std::size_t rewritten = 0;  // pages whose content changed and were written
  std::size_t removed = 0;    // pages of folders or photos that are no longer there
};

// Writes the pages of every folder of the output tree that holds thumbnails, failed sources or
// such folders, and of every photo; a page is replaced atomically (through one of `temporaries`)
// and only when its content differs; the pages it wrote before for what is no longer there are
// removed. Names are shown by common::name_for_display and linked by their bytes, percent-encoded;
// the facts file (OUT/.conc-gallery.json) keeps them by common::name_to_text. Throws on a page that
// cannot be written.
GalleryResult write_gallery(const Plan& plan, const GalleryOptions& options,
                            const common::Temporaries& temporaries = common::Temporaries::process());

}  // namespace thumbs
