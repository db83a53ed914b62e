#include "freedesktop.hpp"

#include <openssl/evp.h>
#include <png.h>
#include <sys/stat.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "atomic_file.hpp"
#include "name_text.hpp"
#include "profile_encode.hpp"

namespace fs = std::filesystem;

namespace thumbs::freedesktop {

namespace {

constexpr CacheSize kSizes[] = {{"normal", 128}, {"large", 256}, {"x-large", 512}, {"xx-large", 1024}};

// The bytes GLib's g_filename_to_uri() leaves as they are in a path (its UNSAFE_PATH set).
bool plain_in_path(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!$&'()*+,-./:=@_~", c) != nullptr && c != '\0';
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// libpng's errors end in a longjmp: everything it touches is set up before the setjmp.
struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::jmp_buf jump{};
  ~PngReader() {
    if (png != nullptr) png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
  }
};

void on_error(png_structp png, png_const_charp) {
  std::longjmp(static_cast<PngReader*>(png_get_error_ptr(png))->jump, 1);
}
void on_warning(png_structp, png_const_charp) {}

bool read_text(PngReader& r, std::FILE* file, Stamp& stamp, bool& has_mtime) {
  if (setjmp(r.jump) != 0) return false;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
  if (r.png == nullptr) return false;
  r.info = png_create_info_struct(r.png);
  if (r.info == nullptr) return false;
  png_init_io(r.png, file);
  // The text chunks before the pixels are all a thumbnail's stamp needs: the pixels are never read.
  png_read_info(r.png, r.info);
  png_textp texts = nullptr;
  int count = 0;
  png_get_text(r.png, r.info, &texts, &count);
  for (int i = 0; i < count; ++i) {
    const std::string key = texts[i].key;
    const std::string value(texts[i].text, texts[i].text_length != 0 ? texts[i].text_length : texts[i].itxt_length);
    if (key == "Thumb::URI") stamp.uri = value;
    if (key == "Thumb::MTime") {
      char* end = nullptr;
      errno = 0;
      const long long mtime = std::strtoll(value.c_str(), &end, 10);
      has_mtime = errno == 0 && end != value.c_str() && *end == '\0';
      stamp.mtime = mtime;
    }
  }
  return true;
}

}  // namespace

std::optional<CacheSize> cache_size(std::string_view name) {
  for (const CacheSize& size : kSizes) {
    if (name == size.folder) return size;
  }
  return std::nullopt;
}

fs::path cache_root(const common::Environment& environment) {
  const std::optional<std::string> cache = environment("XDG_CACHE_HOME");
  if (cache && !cache->empty() && fs::path(*cache).is_absolute()) return fs::path(*cache) / "thumbnails";
  const std::optional<std::string> home = environment("HOME");
  if (!home || home->empty()) {
    throw std::runtime_error("--freedesktop: neither XDG_CACHE_HOME nor HOME is set, so there is no thumbnail cache");
  }
  return fs::path(*home) / ".cache" / "thumbnails";
}

std::string file_uri(std::string_view absolute_path) {
  static const char* const hex = "0123456789ABCDEF";
  std::string uri = "file://";
  for (const char byte : absolute_path) {
    const auto c = static_cast<unsigned char>(byte);
    if (plain_in_path(c)) {
      uri += byte;
    } else {
      uri += '%';
      uri += hex[c >> 4];
      uri += hex[c & 0x0F];
    }
  }
  return uri;
}

std::string thumbnail_name(std::string_view uri) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(uri.data(), uri.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("cannot compute MD5 (OpenSSL)");
  }
  static const char* const hex = "0123456789abcdef";
  std::string name;
  for (unsigned int i = 0; i < length; ++i) {
    name += hex[digest[i] >> 4];
    name += hex[digest[i] & 0x0F];
  }
  return name + ".png";
}

std::string fail_folder(std::string_view version) { return "fail/conc-thumbs-" + std::string(version); }

std::optional<Stamp> read_stamp(const fs::path& png) {
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(png.c_str(), "rbe"));
  if (!file) return std::nullopt;
  unsigned char signature[8];
  if (std::fread(signature, 1, sizeof signature, file.get()) != sizeof signature || png_sig_cmp(signature, 0, 8) != 0) {
    return std::nullopt;
  }
  std::rewind(file.get());
  PngReader reader;
  Stamp stamp;
  bool has_mtime = false;
  if (!read_text(reader, file.get(), stamp, has_mtime) || stamp.uri.empty() || !has_mtime) return std::nullopt;
  return stamp;
}

std::vector<std::pair<std::string, std::string>> stamp_text(const std::string& uri, std::int64_t mtime,
                                                            std::uint64_t size, std::string_view software) {
  return {{"Thumb::URI", uri},
          {"Thumb::MTime", std::to_string(mtime)},
          {"Thumb::Size", std::to_string(size)},
          {"Software", std::string(software)}};
}

void write_failure(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& text) {
  const cv::Mat empty(1, 1, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  const std::vector<unsigned char> png = imaging::encode_png_with_profile(empty, "", text);
  common::write_atomically(path.string(), {reinterpret_cast<const char*>(png.data()), png.size()},
                           common::Temporaries::process(), 0600);
}

void make_private_folders(const fs::path& folder) {
  std::vector<fs::path> missing;
  for (fs::path p = folder; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  // $XDG_CACHE_HOME too, when missing: the XDG Base Directory specification asks 0700 of it.
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      throw std::runtime_error(common::name_for_display(it->string()) +
                               ": cannot create the folder: " + std::strerror(errno));
    }
  }
}

}  // namespace thumbs::freedesktop
