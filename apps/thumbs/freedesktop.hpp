#pragma once
// The desktop's thumbnail cache, by the freedesktop.org Thumbnail Managing Standard (0.9.0): where
// file managers (GNOME's, KDE's, Xfce's) look before they make a thumbnail of their own.
// $XDG_CACHE_HOME/thumbnails/{normal,large,x-large,xx-large}/MD5(URI).png, PNG with Thumb::URI and
// Thumb::MTime, current while both still describe the file; fail/conc-thumbs-VERSION/MD5(URI).png for
// a file that could not be made.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shard.hpp"

namespace thumbs::freedesktop {

// The cache has no state file to keep an output root's temporaries token in: its temporaries have
// this one, so that a run removes what a killed run left there.
inline constexpr const char* kTemporariesToken = "freedesk";

struct CacheSize {
  const char* folder;  // "normal", "large", "x-large", "xx-large"
  int pixels;          // 128, 256, 512, 1024: the square a thumbnail fits in
};

// The size named "normal", "large", "x-large" or "xx-large"; nullopt for any other name.
std::optional<CacheSize> cache_size(std::string_view name);

// $XDG_CACHE_HOME/thumbnails, or $HOME/.cache/thumbnails (XDG_CACHE_HOME unset, empty or relative,
// as the XDG Base Directory specification says). std::runtime_error when neither can be had.
std::filesystem::path cache_root(const common::Environment& environment);

// The file's URI as GLib writes it (g_filename_to_uri): "file://" and the absolute path, its bytes
// outside GLib's set for paths percent-encoded ("/photos/a b.jpg" -> "file:///photos/a%20b.jpg").
std::string file_uri(std::string_view absolute_path);

// MD5(uri) in lower-case hex and ".png": the thumbnail's file name in every size's folder.
std::string thumbnail_name(std::string_view uri);

// The fail folder of this program: "fail/conc-thumbs-VERSION".
std::string fail_folder(std::string_view version);

// What a thumbnail in the cache says of its source (its tEXt chunks Thumb::URI and Thumb::MTime);
// nullopt when the file is missing or not a PNG that says both.
struct Stamp {
  std::string uri;
  std::int64_t mtime = 0;
};
std::optional<Stamp> read_stamp(const std::filesystem::path& png);

// The tEXt chunks a thumbnail of the file at `uri` carries: Thumb::URI, Thumb::MTime, Thumb::Size
// and Software. (Thumb::Mime and the image's size are added by the worker that knows them.)
std::vector<std::pair<std::string, std::string>> stamp_text(const std::string& uri, std::int64_t mtime,
                                                            std::uint64_t size, std::string_view software);

// A failure entry: a 1x1 transparent PNG with the stamp, written atomically with mode 0600 (its
// folder made 0700). Throws std::runtime_error naming the file.
void write_failure(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& text);

// Makes the folder and its missing parents with mode 0700, as the standard asks of the cache's
// folders; an existing folder is left as it is. Throws std::runtime_error naming the folder.
void make_private_folders(const std::filesystem::path& folder);

}  // namespace thumbs::freedesktop
