#include "metadata.hpp"

#include <exiv2/bmffimage.hpp>
#include <exiv2/easyaccess.hpp>
#include <exiv2/error.hpp>
#include <exiv2/exif.hpp>
#include <exiv2/image.hpp>
#include <exiv2/xmp_exiv2.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "name_text.hpp"

namespace imaging {

namespace {

// Once per process, before any thread reads: the XMP toolkit's own set-up, HEIF, AVIF and CR3
// (ISO base media files, off in libexiv2 by default), and no warnings on stderr (the parent says
// what matters about a file, in one line).
void set_up_exiv2() {
  static std::once_flag once;
  std::call_once(once, [] {
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    Exiv2::XmpParser::initialize();
    Exiv2::enableBMFF(true);
  });
}

bool digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(at + n),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// "+02:00", "-0530" or "Z" as "+02:00", "-05:30", "Z"; empty when not an offset.
std::string utc_offset(std::string_view s) {
  if (s == "Z") return "Z";
  if (s.size() < 5 || (s[0] != '+' && s[0] != '-') || !digits(s, 1, 2)) return {};
  const std::size_t minutes = s[3] == ':' ? 4 : 3;
  if (!digits(s, minutes, 2) || s.size() != minutes + 2) return {};
  return std::string(s.substr(0, 3)) + ":" + std::string(s.substr(minutes, 2));
}

// Printable UTF-8 text without the padding cameras leave (trailing spaces and NULs); EXIF's text
// that is not UTF-8 is taken as Latin-1, what older cameras and editors wrote. Empty when it holds
// control characters.
std::string tidy(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  const auto start = text.find_first_not_of(' ');
  text.erase(0, start == std::string::npos ? text.size() : start);
  if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; })) return {};
  if (common::is_valid_utf8(text)) return text;
  std::string utf8;
  for (const unsigned char c : text) {
    if (c < 0x80) {
      utf8 += static_cast<char>(c);
    } else {
      utf8 += static_cast<char>(0xC0 | (c >> 6));
      utf8 += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return utf8;
}

std::string exif_text(const Exiv2::ExifData& exif, const char* key) {
  const auto it = exif.findKey(Exiv2::ExifKey(key));
  return it == exif.end() ? std::string() : tidy(it->toString());
}

std::string xmp_text(const Exiv2::XmpData& xmp, const char* key) {
  const auto it = xmp.findKey(Exiv2::XmpKey(key));
  return it == xmp.end() ? std::string() : tidy(it->toString());
}

int valid_orientation(long value) { return value >= 1 && value <= 8 ? static_cast<int>(value) : 0; }

int orientation_of(const Exiv2::ExifData& exif, const Exiv2::XmpData& xmp) {
  const auto tag = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation"));
  if (tag != exif.end() && tag->count() > 0) {
    if (const int o = valid_orientation(tag->toLong())) return o;
  }
  const auto property = xmp.findKey(Exiv2::XmpKey("Xmp.tiff.Orientation"));
  if (property != xmp.end() && property->count() > 0) return valid_orientation(property->toLong());
  return 0;
}

std::string captured_of(const Exiv2::ExifData& exif, const Exiv2::XmpData& xmp) {
  std::string date =
      iso_date(exif_text(exif, "Exif.Photo.DateTimeOriginal"), exif_text(exif, "Exif.Photo.OffsetTimeOriginal"));
  for (const char* key : {"Xmp.exif.DateTimeOriginal", "Xmp.photoshop.DateCreated", "Xmp.xmp.CreateDate"}) {
    if (date.empty()) date = iso_date(xmp_text(xmp, key));
  }
  return date;
}

// A lens name a person can read: not a maker's number for an unknown lens ("65535", "(0)", "n/a").
bool readable_lens(const std::string& name) {
  if (name.empty() || name[0] == '(' || name == "n/a" || name.rfind("Unknown", 0) == 0) return false;
  return std::any_of(name.begin(), name.end(), [](unsigned char c) { return std::isalpha(c); });
}

std::string lens_of(const Exiv2::ExifData& exif, const Exiv2::XmpData& xmp) {
  std::string lens = exif_text(exif, "Exif.Photo.LensModel");
  if (readable_lens(lens)) return lens;
  // The makers' own tags, as exiv2 names their lenses.
  if (const auto it = Exiv2::lensName(exif); it != exif.end()) {
    lens = tidy(it->print(&exif));
    if (readable_lens(lens)) return lens;
  }
  for (const char* key : {"Xmp.exifEX.LensModel", "Xmp.aux.Lens"}) {
    lens = xmp_text(xmp, key);
    if (readable_lens(lens)) return lens;
  }
  return {};
}

}  // namespace

std::string iso_date(std::string_view text, std::string_view offset) {
  // YYYY?MM?DD, then optionally [T ]HH:MM[:SS][.fraction][zone].
  if (!digits(text, 0, 4) || text.size() < 10 || !digits(text, 5, 2) || !digits(text, 8, 2)) return {};
  if ((text[4] != ':' && text[4] != '-') || text[7] != text[4]) return {};
  const int month = std::stoi(std::string(text.substr(5, 2)));
  const int day = std::stoi(std::string(text.substr(8, 2)));
  if (text.substr(0, 4) == "0000" || month < 1 || month > 12 || day < 1 || day > 31) return {};
  std::string out =
      std::string(text.substr(0, 4)) + "-" + std::string(text.substr(5, 2)) + "-" + std::string(text.substr(8, 2));
  if (text.size() == 10) return out;
  if ((text[10] != ' ' && text[10] != 'T') || !digits(text, 11, 2) || text.size() < 16 || text[13] != ':' ||
      !digits(text, 14, 2)) {
    return {};
  }
  if (std::stoi(std::string(text.substr(11, 2))) > 23 || std::stoi(std::string(text.substr(14, 2))) > 59) return {};
  out += "T" + std::string(text.substr(11, 5));
  std::size_t at = 16;
  if (text.size() >= 19 && text[16] == ':' && digits(text, 17, 2)) {
    out += std::string(text.substr(16, 3));
    at = 19;
  } else {
    out += ":00";
  }
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
  }
  std::string zone = at < text.size() ? utc_offset(text.substr(at)) : std::string();
  if (at < text.size() && zone.empty()) return {};
  if (zone.empty()) zone = utc_offset(offset);
  return out + zone;
}

std::string Metadata::camera() const {
  if (make.empty() || model.empty()) return make.empty() ? model : make;
  const std::string brand = make.substr(0, make.find(' '));
  const bool named =
      model.size() >= brand.size() && std::equal(brand.begin(), brand.end(), model.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      });
  return named ? model : make + " " + model;
}

Metadata read_metadata(std::string_view data, std::string* exif_thumbnail) {
  Metadata m;
  if (data.empty()) return m;
  set_up_exiv2();
  try {
    // libexiv2 reads the caller's bytes in place (its MemIo does not copy them).
    const auto image =
        Exiv2::ImageFactory::open(reinterpret_cast<const Exiv2::byte*>(data.data()), static_cast<long>(data.size()));
    image->readMetadata();
    const Exiv2::ExifData& exif = image->exifData();
    const Exiv2::XmpData& xmp = image->xmpData();
    m.orientation = orientation_of(exif, xmp);
    m.captured = captured_of(exif, xmp);
    m.make = exif_text(exif, "Exif.Image.Make");
    if (m.make.empty()) m.make = xmp_text(xmp, "Xmp.tiff.Make");
    m.model = exif_text(exif, "Exif.Image.Model");
    if (m.model.empty()) m.model = xmp_text(xmp, "Xmp.tiff.Model");
    m.lens = lens_of(exif, xmp);
    if (exif_thumbnail != nullptr) {
      const Exiv2::ExifThumbC thumbnail(exif);
      if (std::string(thumbnail.mimeType()) == "image/jpeg") {
        const Exiv2::DataBuf jpeg = thumbnail.copy();
        exif_thumbnail->assign(reinterpret_cast<const char*>(jpeg.pData_), static_cast<std::size_t>(jpeg.size_));
      }
    }
  } catch (...) {
    // Metadata never costs a photo its thumbnail: what was read before the error stays.
  }
  return m;
}

ImageHeader read_header(std::string_view data) {
  ImageHeader h = parse_header(data);
  if (const int orientation = read_metadata(data).orientation; orientation != 0) h.orientation = orientation;
  return h;
}

void to_json(nlohmann::json& j, const Metadata& m) {
  j = nlohmann::json::object();
  if (!m.captured.empty()) j["captured"] = m.captured;
  if (const std::string camera = m.camera(); !camera.empty()) j["camera"] = camera;
  if (!m.make.empty()) j["make"] = m.make;
  if (!m.model.empty()) j["model"] = m.model;
  if (!m.lens.empty()) j["lens"] = m.lens;
}

void from_json(const nlohmann::json& j, Metadata& m) {
  m = Metadata{};
  m.captured = j.value("captured", "");
  m.make = j.value("make", "");
  m.model = j.value("model", "");
  m.lens = j.value("lens", "");
}

}  // namespace imaging
