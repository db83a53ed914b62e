#include "thumbnail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <conc/fd.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <stdexcept>

#include "atomic_file.hpp"
#include "bmp_decode.hpp"
#include "colour.hpp"
#include "gif_decode.hpp"
#include "heif_decode.hpp"
#include "jpeg_decode.hpp"
#include "mpf.hpp"
#include "name_text.hpp"
#include "orientation.hpp"
#include "png_decode.hpp"
#include "preview_rule.hpp"
#include "profile_encode.hpp"
#include "raw_decode.hpp"
#include "tiff_decode.hpp"
#include "webp_decode.hpp"

namespace fs = std::filesystem;

namespace imaging {

namespace {

// A failure with the reason the user sees.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string read_file(const std::string& path) {
  const conc::Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) throw Failure(std::string("cannot read: ") + std::strerror(errno));
  std::string data;
  struct stat st {};
  if (::fstat(file.get(), &st) == 0 && st.st_size > 0) data.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Failure(std::string("cannot read: ") + std::strerror(errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

// RLE-compressed BMP, the one kind of image left to OpenCV.
cv::Mat decode_with_opencv(std::string_view data, const ImageHeader& h) {
  const cv::Mat buffer(1, static_cast<int>(data.size()), CV_8U, const_cast<char*>(data.data()));
  cv::Mat image;
  try {
    image = cv::imdecode(buffer, cv::IMREAD_IGNORE_ORIENTATION | cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception&) {
    throw Failure(std::string("cannot decode ") + format_name(h.format) + " data");
  }
  if (image.empty()) throw Failure(std::string("cannot decode ") + format_name(h.format) + " data");
  return image;
}

// Resizes BGRA with premultiplied alpha: transparent pixels lend no colour to their neighbours.
cv::Mat resize_premultiplied(const cv::Mat& bgra, cv::Size size, int interpolation) {
  cv::Mat premultiplied;
  bgra.convertTo(premultiplied, CV_32FC4, 1.0 / 255.0);
  for (int y = 0; y < premultiplied.rows; ++y) {
    auto* p = premultiplied.ptr<cv::Vec4f>(y);
    for (int x = 0; x < premultiplied.cols; ++x) {
      for (int c = 0; c < 3; ++c) p[x][c] *= p[x][3];
    }
  }
  cv::Mat small;
  cv::resize(premultiplied, small, size, 0, 0, interpolation);
  cv::Mat out(small.size(), CV_8UC4);
  for (int y = 0; y < small.rows; ++y) {
    const auto* p = small.ptr<cv::Vec4f>(y);
    auto* d = out.ptr<cv::Vec4b>(y);
    for (int x = 0; x < small.cols; ++x) {
      const float a = std::clamp(p[x][3], 0.0f, 1.0f);
      for (int c = 0; c < 3; ++c) d[x][c] = cv::saturate_cast<uchar>(a > 0 ? p[x][c] / a * 255.0f : 0.0f);
      d[x][3] = cv::saturate_cast<uchar>(a * 255.0f);
    }
  }
  return out;
}

// 8-bit, and 1, 3 or 4 channels (grey, BGR, BGRA).
cv::Mat normalise(cv::Mat image) {
  if (image.depth() == CV_16U) {
    image.convertTo(image, CV_8U, 1.0 / 257.0);
  } else if (image.depth() == CV_32F || image.depth() == CV_64F) {
    image.convertTo(image, CV_8U, 255.0);
  } else if (image.depth() != CV_8U) {
    image.convertTo(image, CV_8U);
  }
  if (image.channels() == 2) cv::cvtColor(image, image, cv::COLOR_GRAY2BGR);  // unusual; drop nothing
  return image;
}

// JPEG has no alpha: composite on white.
cv::Mat flatten_on_white(const cv::Mat& bgra) {
  cv::Mat out(bgra.size(), CV_8UC3);
  for (int y = 0; y < bgra.rows; ++y) {
    const auto* src = bgra.ptr<cv::Vec4b>(y);
    auto* dst = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgra.cols; ++x) {
      const int a = src[x][3];
      for (int c = 0; c < 3; ++c) dst[x][c] = static_cast<unsigned char>((src[x][c] * a + 255 * (255 - a) + 127) / 255);
    }
  }
  return out;
}

// `icc`: the profile to embed (--colour keep); empty: none, the pixels are sRGB.
using PngText = std::vector<std::pair<std::string, std::string>>;

// The MIME type of a source format, as the desktop's cache records it; nullptr for a camera RAW,
// whose type names its maker.
const char* mime_type(Format f) {
  switch (f) {
    case Format::Jpeg:
      return "image/jpeg";
    case Format::Png:
      return "image/png";
    case Format::Webp:
      return "image/webp";
    case Format::Tiff:
      return "image/tiff";
    case Format::Bmp:
      return "image/bmp";
    case Format::Gif:
      return "image/gif";
    case Format::Heic:
      return "image/heif";
    case Format::Raw:
    case Format::Unknown:
      break;
  }
  return nullptr;
}

std::vector<unsigned char> encode(const cv::Mat& image, Format format, int quality, const std::string& icc,
                                  const PngText& png_text) {
  std::vector<unsigned char> bytes;
  std::vector<int> params;
  const char* ext = ".jpg";
  cv::Mat pixels = image;
  switch (format) {
    case Format::Png:
      ext = ".png";
      params = {cv::IMWRITE_PNG_COMPRESSION, 6};
      break;
    case Format::Webp:
      ext = ".webp";
      params = {cv::IMWRITE_WEBP_QUALITY, quality};
      break;
    default:
      if (pixels.channels() == 4) pixels = flatten_on_white(pixels);
      params = {cv::IMWRITE_JPEG_QUALITY, quality, cv::IMWRITE_JPEG_OPTIMIZE, 0};
      break;
  }
  if (!icc.empty() && format == Format::Jpeg) return encode_jpeg_with_profile(pixels, quality, icc);
  if ((!icc.empty() || !png_text.empty()) && format == Format::Png) {
    return encode_png_with_profile(pixels, icc, png_text);
  }
  if (!cv::imencode(ext, pixels, bytes, params)) throw Failure(std::string("cannot encode ") + format_name(format));
  if (!icc.empty() && format == Format::Webp) return add_webp_profile(bytes, icc);
  return bytes;
}

}  // namespace

Colour parse_colour(const std::string& text) {
  if (text == "srgb") return Colour::Srgb;
  if (text == "keep") return Colour::Keep;
  throw std::invalid_argument("invalid colour '" + text + "' (srgb or keep)");
}

const char* to_string(Colour c) { return c == Colour::Keep ? "keep" : "srgb"; }

OutputFormat parse_output_format(const std::string& text) {
  if (text == "auto") return OutputFormat::Auto;
  if (text == "jpeg" || text == "jpg") return OutputFormat::Jpeg;
  if (text == "png") return OutputFormat::Png;
  if (text == "webp") return OutputFormat::Webp;
  throw std::invalid_argument("invalid format '" + text + "' (auto, jpeg, png or webp)");
}

const char* to_string(OutputFormat f) {
  switch (f) {
    case OutputFormat::Jpeg:
      return "jpeg";
    case OutputFormat::Png:
      return "png";
    case OutputFormat::Webp:
      return "webp";
    case OutputFormat::Auto:
      break;
  }
  return "auto";
}

Format output_format_for(Format source, OutputFormat requested) {
  switch (requested) {
    case OutputFormat::Jpeg:
      return Format::Jpeg;
    case OutputFormat::Png:
      return Format::Png;
    case OutputFormat::Webp:
      return Format::Webp;
    case OutputFormat::Auto:
      break;
  }
  return source == Format::Png || source == Format::Webp ? source : Format::Jpeg;
}

namespace {

// What a thumbnail is made with, whichever front door the image came in by.
struct Recipe {
  const std::vector<Box>& boxes;
  const std::vector<Fit>& fits;  // one per box
  OutputFormat format;
  int quality;
  Colour colour;
  std::uint64_t max_pixels;
  bool embedded_preview;
  const PngText& png_text;
  bool enlarge;
  std::uint32_t border_rgb;
  bool skip_reencode;
};

struct Facts {
  int width = 0;  // of the first output
  int height = 0;
  int source_width = 0;  // upright, as shown
  int source_height = 0;
  Metadata metadata;
  std::string made_from = "image";
  bool reencoded = true;
};

// A JPEG's own preview (its EXIF thumbnail, or an MPF preview) that serves every box, the smallest
// that does, decoded at its scale; `made_from` says which. shown_w x shown_h: the main image upright.
std::optional<Decoded> jpeg_preview(std::string_view data, const std::string& exif_thumbnail, int shown_w, int shown_h,
                                    bool swap, const Recipe& job, std::string& made_from) {
  struct Candidate {
    std::string_view jpeg;
    const char* kind;
    ImageHeader header;
  };
  std::vector<Candidate> candidates;
  if (!exif_thumbnail.empty()) candidates.push_back({exif_thumbnail, "exif-thumbnail", {}});
  for (const std::string_view image : mpf_images(data)) candidates.push_back({image, "mpf-preview", {}});
  const Candidate* best = nullptr;
  for (Candidate& c : candidates) {
    c.header = parse_header(c.jpeg);
    const ImageHeader& p = c.header;
    if (p.format != Format::Jpeg || !p.complete || p.width == 0 || p.height == 0) continue;
    // Previews are stored as the main image is, and turned by its orientation.
    const int w = static_cast<int>(swap ? p.height : p.width);
    const int h = static_cast<int>(swap ? p.width : p.height);
    if (!preview_serves(w, h, shown_w, shown_h, job.boxes, job.fits)) continue;
    if (best == nullptr ||
        std::uint64_t{p.width} * p.height < std::uint64_t{best->header.width} * best->header.height) {
      best = &c;
    }
  }
  if (best == nullptr) return std::nullopt;
  const int width = static_cast<int>(best->header.width);
  const int height = static_cast<int>(best->header.height);
  const DecodeNeed need = decode_need(width, height, swap, job.boxes, job.fits);
  Decoded decoded;
  try {
    decoded = decode_jpeg(best->jpeg, jpeg_scale_denominator(width, height, need.width, need.height));
  } catch (const std::exception&) {
    return std::nullopt;  // a broken preview costs nothing: the main image is still there
  }
  made_from = best->kind;
  return decoded;
}

// The one pipeline: header (limits checked before any decoding), decode at the smallest scale that
// serves the largest box, colour, orientation, resize, encode. `emit(i, format, bytes)` takes
// output i's encoded bytes. Throws Failure (or another exception) with the reason.
Facts thumbnail_of(std::string_view data, const Recipe& job,
                   const std::function<void(std::size_t, Format, std::vector<unsigned char>&&)>& emit) {
  Facts result;
  if (data.empty()) throw Failure("empty file");
  ImageHeader h = parse_header(data);
  if (h.format == Format::Unknown) throw Failure("not an image (unrecognised content)");
  if (!format_supported(h.format)) throw Failure(std::string("unsupported format (") + format_name(h.format) + ")");
  if (!h.complete) throw Failure(std::string("truncated ") + format_name(h.format) + " data");
  const std::uint64_t pixels = std::uint64_t{h.width} * h.height;
  if (pixels > job.max_pixels) {
    throw Failure("too many pixels (" + std::to_string(h.width) + "x" + std::to_string(h.height) +
                  " is more than the limit of " + std::to_string(job.max_pixels) + ")");
  }
  // One libexiv2 pass: the facts, the orientation, and a JPEG's EXIF thumbnail when asked for.
  std::string exif_thumbnail;
  const bool jpeg_previews = job.embedded_preview && h.format == Format::Jpeg;
  result.metadata = read_metadata(data, jpeg_previews ? &exif_thumbnail : nullptr);
  if (result.metadata.orientation != 0) h.orientation = result.metadata.orientation;

  Decoded decoded;
  try {
    // A RAW by its signature, or one of the many TIFF-based ones (NEF, ARW, DNG, PEF, IIQ...):
    // LibRaw says, and leaves a plain TIFF to libtiff.
    if (h.format == Format::Raw || h.format == Format::Tiff) {
      if (std::optional<RawDecoded> raw = decode_raw(data, job.max_pixels, job.boxes, job.fits)) {
        h.format = Format::Raw;
        h.width = static_cast<std::uint32_t>(raw->width);
        h.height = static_cast<std::uint32_t>(raw->height);
        decoded = std::move(raw->image);
        result.made_from = raw->from_preview ? "raw-preview" : "raw-half-size";
        Metadata& m = result.metadata;
        if (m.captured.empty()) m.captured = raw->metadata.captured;
        if (m.make.empty() && m.model.empty()) {
          m.make = raw->metadata.make;
          m.model = raw->metadata.model;
        }
        if (m.lens.empty()) m.lens = raw->metadata.lens;
      } else if (h.format == Format::Raw) {
        throw Failure("cannot read RAW data: LibRaw " + libraw_version() +
                      " does not read it (a camera it does not know, or a damaged file)");
      }
    }
    // The largest thumbnail decides the decode scale (decode_need).
    const bool swap = swaps_axes(h.orientation);
    const int shown_w = static_cast<int>(swap ? h.height : h.width);
    const int shown_h = static_cast<int>(swap ? h.width : h.height);
    const DecodeNeed need =
        decode_need(static_cast<int>(h.width), static_cast<int>(h.height), swap, job.boxes, job.fits, job.enlarge);
    const int factor =
        h.width > 0 && h.height > 0
            ? std::max(1, std::min(static_cast<int>(h.width) / need.width, static_cast<int>(h.height) / need.height))
            : 1;
    switch (h.format) {
      case Format::Raw:
        break;
      case Format::Jpeg:
        if (jpeg_previews) {
          if (std::optional<Decoded> preview =
                  jpeg_preview(data, exif_thumbnail, shown_w, shown_h, swap, job, result.made_from)) {
            decoded = std::move(*preview);
            break;
          }
        }
        decoded = decode_jpeg(data, jpeg_scale_denominator(static_cast<int>(h.width), static_cast<int>(h.height),
                                                           need.width, need.height));
        break;
      case Format::Png:
        decoded = decode_png_shrunk(data, factor);
        break;
      case Format::Webp:
        decoded = decode_webp(data, factor);
        break;
      case Format::Tiff:
        decoded = decode_tiff(data, job.max_pixels);
        break;
      case Format::Gif:
        decoded = decode_gif(data, job.max_pixels);
        break;
      case Format::Heic:
        decoded = decode_heif(data, job.max_pixels, [&](int w, int h2, int primary_w, int primary_h) {
          return job.embedded_preview && preview_serves(w, h2, primary_w, primary_h, job.boxes, job.fits);
        });
        if (decoded.preview) result.made_from = "heif-thumbnail";
        break;
      default:
        if (auto bmp = decode_bmp(data, job.max_pixels)) {
          decoded = std::move(*bmp);
        } else {
          decoded.pixels = normalise(decode_with_opencv(data, h));
        }
        break;
    }
  } catch (const Failure&) {
    throw;
  } catch (const std::exception& e) {
    const std::string why = e.what();
    throw Failure(why.rfind("too many pixels", 0) == 0 || why.rfind("cannot decode", 0) == 0 ||
                          why.rfind("cannot read", 0) == 0 || why.rfind("truncated", 0) == 0
                      ? why
                      : std::string("cannot decode ") + format_name(h.format) + " data: " + why);
  }
  const int orientation = decoded.orientation != 0 ? decoded.orientation : h.orientation;
  const bool turned = swaps_axes(orientation);
  // --colour keep: the source's pixels and profile, but CMYK still becomes sRGB (no CMYK thumbnails).
  const bool keep = job.colour == Colour::Keep && !decoded.colour.cmyk;
  const std::string embedded = keep ? decoded.colour.icc : std::string();
  const cv::Mat stored = keep ? std::move(decoded.pixels) : to_srgb(std::move(decoded.pixels), decoded.colour);
  const int width = turned ? stored.rows : stored.cols;
  const int height = turned ? stored.cols : stored.rows;

  // The source's own size (the decoder may have shrunk it on load), upright.
  const bool known = h.width > 0 && h.height > 0;
  result.source_width = known ? static_cast<int>(turned ? h.height : h.width) : width;
  result.source_height = known ? static_cast<int>(turned ? h.width : h.height) : height;

  const Format out_format = output_format_for(h.format, job.format);
  PngText text = job.png_text;
  if (!text.empty()) {
    if (const char* mime = mime_type(h.format)) text.emplace_back("Thumb::Mime", mime);
    text.emplace_back("Thumb::Image::Width", std::to_string(result.source_width));
    text.emplace_back("Thumb::Image::Height", std::to_string(result.source_height));
  }
  for (std::size_t i = 0; i < job.boxes.size(); ++i) {
    // The fit of the source's own size (the decoder may have shrunk it): sizes exact whatever the decode.
    const Geometry g = fit_geometry(result.source_width, result.source_height, job.boxes[i], job.fits[i], job.enlarge);
    // --skip-reencode: an upright sRGB JPEG left at its own size is its own thumbnail.
    const bool unchanged = g.resize_width == width && g.resize_height == height && g.canvas_width == width &&
                           g.canvas_height == height && width == result.source_width && height == result.source_height;
    if (job.skip_reencode && job.boxes.size() == 1 && unchanged && h.format == Format::Jpeg &&
        out_format == Format::Jpeg && orientation <= 1 && !decoded.colour.cmyk &&
        (decoded.colour.icc.empty() || is_srgb_profile(decoded.colour.icc))) {
      result.width = width;
      result.height = height;
      result.reencoded = false;
      emit(i, out_format, std::vector<unsigned char>(data.begin(), data.end()));
      break;
    }
    // Resize in stored axes, then turn the small image upright.
    const cv::Size size(turned ? g.resize_height : g.resize_width, turned ? g.resize_width : g.resize_height);
    cv::Mat small;
    const int interpolation = size.area() < stored.size().area() ? cv::INTER_AREA : cv::INTER_CUBIC;
    if (size == stored.size()) {
      small = stored;
    } else if (stored.channels() == 4) {
      small = resize_premultiplied(stored, size, interpolation);
    } else {
      cv::resize(stored, small, size, 0, 0, interpolation);
    }
    cv::Mat upright = apply_orientation(small, orientation);
    if (g.crop_width != upright.cols || g.crop_height != upright.rows) {
      upright = upright(cv::Rect(g.crop_x, g.crop_y, g.crop_width, g.crop_height));
    }
    if (g.canvas_width != upright.cols || g.canvas_height != upright.rows) {
      const double b = job.border_rgb & 0xFF, gr = (job.border_rgb >> 8) & 0xFF, r = (job.border_rgb >> 16) & 0xFF;
      cv::copyMakeBorder(upright, upright, g.pad_y, g.canvas_height - upright.rows - g.pad_y, g.pad_x,
                         g.canvas_width - upright.cols - g.pad_x, cv::BORDER_CONSTANT,
                         upright.channels() == 1 ? cv::Scalar((r + gr + b) / 3) : cv::Scalar(b, gr, r, 255));
    }
    if (i == 0) {
      result.width = upright.cols;
      result.height = upright.rows;
    }
    emit(i, out_format, encode(upright, out_format, job.quality, embedded, text));
  }
  return result;
}

}  // namespace

const char* extension_for(Format thumbnail_format) {
  switch (thumbnail_format) {
    case Format::Png:
      return ".png";
    case Format::Webp:
      return ".webp";
    default:
      break;
  }
  return ".jpg";
}

ThumbResult make_thumbnail(const ThumbJob& job) {
  ThumbResult result;
  try {
    const common::Temporaries temporaries =
        job.temporaries.empty() ? common::Temporaries::process() : common::Temporaries(job.temporaries);
    std::vector<Box> boxes;
    std::vector<Fit> fits;
    for (const OutputSpec& out : job.outputs) {
      boxes.push_back(out.box);
      fits.push_back(out.fit.value_or(job.fit));
    }
    const Recipe recipe{boxes,       fits,           job.format,           job.quality,
                        job.colour,  job.max_pixels, job.embedded_preview, job.png_text,
                        job.enlarge, job.border_rgb, job.skip_reencode};
    const Facts facts =
        thumbnail_of(read_file(job.source), recipe, [&](std::size_t i, Format, std::vector<unsigned char>&& bytes) {
          common::write_atomically(job.outputs[i].path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                                   temporaries, job.private_files ? 0600 : 0644);
        });
    result.width = facts.width;
    result.height = facts.height;
    result.source_width = facts.source_width;
    result.source_height = facts.source_height;
    result.metadata = facts.metadata;
    result.made_from = facts.made_from;
    result.ok = true;
  } catch (const std::exception& e) {
    result.ok = false;
    // A message may carry a path's raw bytes (a write's error names the file).
    result.error = common::name_for_display(e.what());
  } catch (...) {
    result.ok = false;
    result.error = "failed with an exception that says nothing";
  }
  return result;
}

BufferThumbResult make_thumbnail(std::string_view encoded, const BufferThumbJob& job) {
  BufferThumbResult result;
  try {
    const std::vector<Box> boxes{job.box};
    const std::vector<Fit> fits{job.fit};
    const PngText no_text;
    const Recipe recipe{boxes,       fits,           job.format,           job.quality,
                        job.colour,  job.max_pixels, job.embedded_preview, no_text,
                        job.enlarge, job.border_rgb, job.skip_reencode};
    const Facts facts =
        thumbnail_of(encoded, recipe, [&](std::size_t, Format format, std::vector<unsigned char>&& bytes) {
          result.extension = extension_for(format);
          const std::string_view view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          if (job.output_stem.empty()) {
            result.encoded.assign(view);
          } else {
            result.path = job.output_stem + result.extension;
            common::write_atomically(result.path, view);
          }
        });
    result.width = facts.width;
    result.height = facts.height;
    result.source_width = facts.source_width;
    result.source_height = facts.source_height;
    result.reencoded = facts.reencoded;
    result.ok = true;
  } catch (const std::exception& e) {
    result = BufferThumbResult{};
    result.error = e.what();
  }
  return result;
}

void to_json(nlohmann::json& j, const OutputSpec& o) {
  j = {{"path", common::name_to_text(o.path)}, {"w", o.box.width}, {"h", o.box.height}};
  if (o.fit) j["fit"] = static_cast<int>(*o.fit);
}
void from_json(const nlohmann::json& j, OutputSpec& o) {
  o.path = common::name_from_text(j.at("path").get<std::string>());
  o.box = {j.at("w").get<int>(), j.at("h").get<int>()};
  if (j.contains("fit")) o.fit = static_cast<Fit>(j.at("fit").get<int>());
}
namespace {
void settings_to_json(nlohmann::json& j, const ThumbSettings& s) {
  j["fit"] = static_cast<int>(s.fit);
  j["format"] = static_cast<int>(s.format);
  j["quality"] = s.quality;
  j["colour"] = static_cast<int>(s.colour);
  j["max_pixels"] = s.max_pixels;
  j["preview"] = s.embedded_preview;
  j["enlarge"] = s.enlarge;
  j["border_rgb"] = s.border_rgb;
  j["skip_reencode"] = s.skip_reencode;
}
void settings_from_json(const nlohmann::json& j, ThumbSettings& s) {
  s.fit = static_cast<Fit>(j.at("fit").get<int>());
  s.format = static_cast<OutputFormat>(j.at("format").get<int>());
  s.quality = j.at("quality").get<int>();
  s.colour = static_cast<Colour>(j.at("colour").get<int>());
  s.max_pixels = j.at("max_pixels").get<std::uint64_t>();
  s.embedded_preview = j.value("preview", false);
  s.enlarge = j.value("enlarge", false);
  s.border_rgb = j.value("border_rgb", std::uint32_t{0xFFFFFF});
  s.skip_reencode = j.value("skip_reencode", false);
}
}  // namespace

void to_json(nlohmann::json& j, const ThumbJob& job) {
  j = {{"source", common::name_to_text(job.source)}, {"outputs", job.outputs}, {"temporaries", job.temporaries}};
  if (!job.png_text.empty()) j["text"] = job.png_text;
  if (job.private_files) j["private"] = true;
  settings_to_json(j, job);
}
void from_json(const nlohmann::json& j, ThumbJob& job) {
  job.source = common::name_from_text(j.at("source").get<std::string>());
  job.outputs = j.at("outputs").get<std::vector<OutputSpec>>();
  job.temporaries = j.value("temporaries", "");
  job.png_text = j.value("text", PngText{});
  job.private_files = j.value("private", false);
  settings_from_json(j, job);
}
void to_json(nlohmann::json& j, const ThumbResult& r) {
  j = {{"ok", r.ok},    {"error", r.error},     {"w", r.width},
       {"h", r.height}, {"sw", r.source_width}, {"sh", r.source_height}};
  if (!r.metadata.empty()) j["meta"] = r.metadata;
  if (r.ok) j["from"] = r.made_from;
}
void from_json(const nlohmann::json& j, ThumbResult& r) {
  r.ok = j.at("ok").get<bool>();
  r.error = j.at("error").get<std::string>();
  r.width = j.at("w").get<int>();
  r.height = j.at("h").get<int>();
  r.source_width = j.value("sw", 0);
  r.source_height = j.value("sh", 0);
  r.metadata = j.contains("meta") ? j.at("meta").get<Metadata>() : Metadata{};
  r.made_from = j.value("from", "image");
}

void to_json(nlohmann::json& j, const BufferThumbJob& job) {
  j = {{"stem", common::name_to_text(job.output_stem)}, {"w", job.box.width}, {"h", job.box.height}};
  settings_to_json(j, job);
}
void from_json(const nlohmann::json& j, BufferThumbJob& job) {
  job.output_stem = common::name_from_text(j.at("stem").get<std::string>());
  job.box = {j.at("w").get<int>(), j.at("h").get<int>()};
  settings_from_json(j, job);
}

}  // namespace imaging
