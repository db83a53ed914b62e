#include "png_raw_profile.hpp"

#include <zlib.h>

#include <cctype>
#include <limits>

namespace imaging {

namespace {

// An EXIF block is at most 64 KiB in a JPEG; its hex text, with room to spare.
constexpr std::size_t kMaxText = std::size_t{4} << 20;

struct Inflater {
  z_stream stream{};
  bool started = false;
  ~Inflater() {
    if (started) inflateEnd(&stream);
  }
};

// The zlib stream of a zTXt or compressed iTXt chunk, whole; nullopt when corrupt, cut or too large.
std::optional<std::string> inflate_text(std::string_view compressed) {
  if (compressed.size() > std::numeric_limits<uInt>::max()) return std::nullopt;
  Inflater z;
  if (inflateInit(&z.stream) != Z_OK) return std::nullopt;
  z.started = true;
  z.stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.stream.avail_in = static_cast<uInt>(compressed.size());
  std::string text;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK && text.size() <= kMaxText) {
    z.stream.next_out = reinterpret_cast<Bytef*>(buffer);
    z.stream.avail_out = sizeof buffer;
    rc = inflate(&z.stream, Z_NO_FLUSH);
    text.append(buffer, sizeof buffer - z.stream.avail_out);
  }
  if (rc != Z_STREAM_END || text.size() > kMaxText) return std::nullopt;
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "\n<name>\n<length>\n<hex>", the hex broken into lines: the bytes, exactly `length` of them.
std::optional<std::string> profile_bytes(std::string_view text) {
  std::size_t pos = text.find_first_not_of(" \t\r\n");
  if (pos == std::string_view::npos) return std::nullopt;
  pos = text.find('\n', pos);  // past the name line
  if (pos == std::string_view::npos) return std::nullopt;
  pos = text.find_first_not_of(" \t\r\n", pos);
  std::size_t length = 0;
  bool digits = false;
  for (; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0; ++pos) {
    length = length * 10 + static_cast<std::size_t>(text[pos] - '0');
    if (length > text.size() / 2) return std::nullopt;
    digits = true;
  }
  if (!digits) return std::nullopt;
  std::string bytes;
  bytes.reserve(length);
  int high = -1;
  for (; pos < text.size() && bytes.size() < length; ++pos) {
    if (std::isspace(static_cast<unsigned char>(text[pos])) != 0) continue;
    const int v = hex_value(text[pos]);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  if (bytes.size() != length) return std::nullopt;
  return bytes;
}

}  // namespace

std::optional<std::string> exif_from_png_text(std::string_view chunk_type, std::string_view data) {
  const std::size_t end_of_keyword = data.find('\0');
  if (end_of_keyword == std::string_view::npos) return std::nullopt;
  const std::string_view keyword = data.substr(0, end_of_keyword);
  const bool app1 = keyword == "Raw profile type APP1";
  if (keyword != "Raw profile type exif" && !app1) return std::nullopt;
  std::string_view rest = data.substr(end_of_keyword + 1);

  std::optional<std::string> text;
  if (chunk_type == "tEXt") {
    text.emplace(rest);
  } else if (chunk_type == "zTXt") {
    if (rest.empty() || rest[0] != 0) return std::nullopt;  // method 0, zlib, is the only one
    text = inflate_text(rest.substr(1));
  } else if (chunk_type == "iTXt") {
    if (rest.size() < 2) return std::nullopt;
    const bool compressed = rest[0] != 0;
    rest.remove_prefix(2);
    for (int field = 0; field < 2; ++field) {  // language tag and translated keyword
      const std::size_t end = rest.find('\0');
      if (end == std::string_view::npos) return std::nullopt;
      rest.remove_prefix(end + 1);
    }
    text = compressed ? inflate_text(rest) : std::optional<std::string>(rest);
  }
  if (!text) return std::nullopt;
  std::optional<std::string> exif = profile_bytes(*text);
  if (!exif) return std::nullopt;
  const std::string_view jpeg_header("Exif\0\0", 6);
  if (std::string_view(*exif).substr(0, 6) == jpeg_header) {
    exif->erase(0, 6);
  } else if (app1) {
    return std::nullopt;  // an APP1 profile that is not EXIF: XMP
  }
  return exif;
}

}  // namespace imaging
