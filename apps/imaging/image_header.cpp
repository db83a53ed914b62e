#include "image_header.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace imaging {

namespace {

std::uint16_t be16(std::string_view d, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(d[at]) << 8) | static_cast<unsigned char>(d[at + 1]));
}
std::uint32_t be32(std::string_view d, std::size_t at) { return (std::uint32_t{be16(d, at)} << 16) | be16(d, at + 2); }
std::uint16_t le16(std::string_view d, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(d[at]) | (static_cast<unsigned char>(d[at + 1]) << 8));
}
std::uint32_t le32(std::string_view d, std::size_t at) { return le16(d, at) | (std::uint32_t{le16(d, at + 2)} << 16); }
std::uint32_t le24(std::string_view d, std::size_t at) {
  return le16(d, at) | (std::uint32_t{static_cast<unsigned char>(d[at + 2])} << 16);
}

bool starts_with(std::string_view d, std::string_view prefix) { return d.substr(0, prefix.size()) == prefix; }

// The dimensions in a TIFF file's IFD0.
struct TiffInfo {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

TiffInfo read_tiff(std::string_view t) {
  TiffInfo info;
  if (t.size() < 8) return info;
  const bool little = t[0] == 'I' && t[1] == 'I';
  const bool big = t[0] == 'M' && t[1] == 'M';
  if (!little && !big) return info;
  auto u16 = [&](std::size_t at) { return little ? le16(t, at) : be16(t, at); };
  auto u32 = [&](std::size_t at) { return little ? le32(t, at) : be32(t, at); };
  if (u16(2) != 42) return info;
  const std::uint32_t ifd = u32(4);
  if (ifd > t.size() || t.size() - ifd < 2) return info;
  const std::uint16_t count = u16(ifd);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t entry = ifd + 2 + std::size_t{i} * 12;
    if (entry > t.size() || t.size() - entry < 12) break;
    const std::uint16_t tag = u16(entry);
    const std::uint16_t type = u16(entry + 2);
    // SHORT values sit in the first two bytes of the value field, LONG in all four.
    const std::uint32_t value = type == 3 ? u16(entry + 8) : type == 4 ? u32(entry + 8) : 0;
    if (tag == 0x0100) info.width = value;
    if (tag == 0x0101) info.height = value;
  }
  return info;
}

void read_jpeg(std::string_view d, ImageHeader& h) {
  std::size_t pos = 2;
  bool scan_started = false;
  while (pos + 4 <= d.size()) {
    if (static_cast<unsigned char>(d[pos]) != 0xFF) return;  // lost sync: malformed
    const auto marker = static_cast<unsigned char>(d[pos + 1]);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    if (marker == 0xD9) return;  // EOI before any scan
    const std::uint16_t length = be16(d, pos + 2);
    if (length < 2) return;
    const std::size_t body = pos + 4;
    const std::size_t body_size = length - 2u;
    const bool whole = body_size <= d.size() - body;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC && whole &&
        body_size >= 6) {
      h.bit_depth = static_cast<unsigned char>(d[body]);
      h.height = be16(d, body + 1);
      h.width = be16(d, body + 3);
      h.channels = static_cast<unsigned char>(d[body + 5]);
    }
    if (marker == 0xDA) {
      scan_started = true;
      break;
    }
    pos = body + body_size;
  }
  if (!scan_started) {
    h.complete = false;
    return;
  }
  // Entropy-coded data never holds FF D9 (an FF there is followed by 00 or a restart marker),
  // so the image is complete exactly when an EOI marker follows the first scan.
  const std::string_view rest = d.substr(pos);
  h.complete = rest.find(std::string_view("\xFF\xD9", 2)) != std::string_view::npos;
}

void read_png(std::string_view d, ImageHeader& h) {
  if (d.size() < 33 || d.substr(12, 4) != "IHDR") {
    h.complete = false;
    return;
  }
  h.width = be32(d, 16);
  h.height = be32(d, 20);
  h.bit_depth = static_cast<unsigned char>(d[24]);
  switch (static_cast<unsigned char>(d[25])) {
    case 0:
      h.channels = 1;
      break;  // grey
    case 2:
      h.channels = 3;
      break;  // RGB
    case 3:
      h.channels = 3;
      break;  // palette
    case 4:
      h.channels = 2;
      break;  // grey + alpha
    case 6:
      h.channels = 4;
      break;  // RGBA
    default:
      h.channels = 0;
  }
  // Walk the chunks to IEND: a file cut short ends inside or before one.
  std::size_t pos = 8;
  h.complete = false;
  while (pos + 12 <= d.size()) {
    const std::uint32_t length = be32(d, pos);
    if (length > d.size() - pos - 12) break;
    if (d.substr(pos + 4, 4) == "IEND") {
      h.complete = true;
      break;
    }
    pos += 12 + std::size_t{length};
  }
}

void read_webp(std::string_view d, ImageHeader& h) {
  if (d.size() < 30) return;
  const std::uint32_t riff_size = le32(d, 4);
  h.complete = std::size_t{riff_size} + 8 <= d.size();
  const std::string_view chunk = d.substr(12, 4);
  if (chunk == "VP8 " && d.size() >= 30) {
    h.width = le16(d, 26) & 0x3FFF;
    h.height = le16(d, 28) & 0x3FFF;
    h.channels = 3;
  } else if (chunk == "VP8L" && d.size() >= 25) {
    const std::uint32_t bits = le32(d, 21);
    h.width = (bits & 0x3FFF) + 1;
    h.height = ((bits >> 14) & 0x3FFF) + 1;
    h.channels = 4;
  } else if (chunk == "VP8X") {
    h.width = le24(d, 24) + 1;
    h.height = le24(d, 27) + 1;
    h.channels = (static_cast<unsigned char>(d[20]) & 0x10) ? 4 : 3;
  }
}

void read_bmp(std::string_view d, ImageHeader& h) {
  if (d.size() < 26) return;
  h.complete = le32(d, 2) <= d.size();
  if (le32(d, 14) == 12) {  // OS/2 1.x BITMAPCOREHEADER: 16-bit dimensions
    h.width = le16(d, 18);
    h.height = le16(d, 20);
    return;
  }
  const auto width = static_cast<std::int32_t>(le32(d, 18));
  h.width = width > 0 ? static_cast<std::uint32_t>(width) : 0;  // negative: invalid, the decoder says so
  const auto height = static_cast<std::int32_t>(le32(d, 22));   // negative: top-down rows
  h.height = static_cast<std::uint32_t>(height < 0 ? -static_cast<std::int64_t>(height) : height);
}

// Camera RAW signatures, as LibRaw and ExifTool know them.
bool raw_signature(std::string_view d) {
  if (d.size() >= 12 && starts_with(d, std::string_view("II*\0", 4)) && d.substr(8, 3) == std::string_view("CR\2", 3))
    return true;  // Canon CR2
  if (d.size() >= 14 && starts_with(d, std::string_view("II\x1A\0", 4)) && d.substr(6, 8) == "HEAPCCDR")
    return true;                                                                                // Canon CRW
  if (d.size() >= 12 && d.substr(4, 8) == "ftypcrx ") return true;                              // Canon CR3
  if (starts_with(d, "FUJIFILMCCD-RAW")) return true;                                           // Fujifilm RAF
  if (starts_with(d, std::string_view("\0MRM", 4))) return true;                                // Minolta MRW
  if (starts_with(d, "IIRO") || starts_with(d, "IIRS") || starts_with(d, "MMOR")) return true;  // Olympus ORF
  if (starts_with(d, std::string_view("IIU\0", 4))) return true;  // Panasonic RW2, Leica RWL
  if (starts_with(d, "FOVb")) return true;                        // Sigma X3F
  return d.size() >= 32 && d.substr(25, 7) == "ARECOYK";          // Kyocera (Contax N Digital)
}

}  // namespace

const char* format_name(Format f) {
  switch (f) {
    case Format::Jpeg:
      return "JPEG";
    case Format::Png:
      return "PNG";
    case Format::Webp:
      return "WebP";
    case Format::Tiff:
      return "TIFF";
    case Format::Bmp:
      return "BMP";
    case Format::Gif:
      return "GIF";
    case Format::Heic:
      return "HEIC";
    case Format::Raw:
      return "RAW";
    case Format::Unknown:
      break;
  }
  return "unknown";
}

const char* format_extension(Format f) {
  switch (f) {
    case Format::Jpeg:
      return "jpg";
    case Format::Png:
      return "png";
    case Format::Webp:
      return "webp";
    case Format::Tiff:
      return "tif";
    case Format::Bmp:
      return "bmp";
    case Format::Gif:
      return "gif";
    case Format::Heic:
      return "heic";
    case Format::Raw:
      return "raw";
    case Format::Unknown:
      break;
  }
  return "";
}

bool format_supported(Format f) { return f != Format::Unknown; }

Format detect_format(std::string_view d) {
  if (raw_signature(d)) return Format::Raw;
  if (starts_with(d, "\xFF\xD8\xFF")) return Format::Jpeg;
  if (starts_with(d, "\x89PNG\r\n\x1A\n")) return Format::Png;
  if (d.size() >= 12 && starts_with(d, "RIFF") && d.substr(8, 4) == "WEBP") return Format::Webp;
  if (starts_with(d, std::string_view("II*\0", 4)) || starts_with(d, std::string_view("MM\0*", 4))) return Format::Tiff;
  if (starts_with(d, std::string_view("II+\0", 4)) || starts_with(d, std::string_view("MM\0+", 4))) return Format::Tiff;
  if (starts_with(d, "BM") && d.size() >= 26) return Format::Bmp;
  if (starts_with(d, "GIF87a") || starts_with(d, "GIF89a")) return Format::Gif;
  if (d.size() >= 12 && d.substr(4, 4) == "ftyp") {
    const std::string_view brand = d.substr(8, 4);
    for (std::string_view b : {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"}) {
      if (brand == b) return Format::Heic;
    }
  }
  return Format::Unknown;
}

bool has_image_extension(const std::string& filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = filename.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<std::string_view, 38> known = {
      "jpg", "jpeg", "jpe", "jfif", "png", "webp", "tif", "tiff", "bmp", "gif", "heic", "heif", "avif",
      "dib", "cr2",  "cr3", "crw",  "nef", "nrw",  "arw", "srf",  "sr2", "raf", "rw2",  "rwl",  "orf",
      "pef", "dng",  "srw", "mrw",  "x3f", "iiq",  "3fr", "erf",  "mef", "mos", "kdc",  "dcr"};
  return std::find(known.begin(), known.end(), ext) != known.end();
}

ImageHeader parse_header(std::string_view data) {
  ImageHeader h;
  h.format = detect_format(data);
  switch (h.format) {
    case Format::Jpeg:
      read_jpeg(data, h);
      break;
    case Format::Png:
      read_png(data, h);
      break;
    case Format::Webp:
      read_webp(data, h);
      break;
    case Format::Bmp:
      read_bmp(data, h);
      break;
    case Format::Tiff: {
      const TiffInfo info = read_tiff(data);
      h.width = info.width;
      h.height = info.height;
      break;
    }
    default:
      break;
  }
  return h;
}

}  // namespace imaging
