#include "tiff_decode.hpp"

#include <lcms2.h>
#include <tiffio.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace imaging {

namespace {

struct Source {
  std::string_view data;
  toff_t pos = 0;
  std::string error;
};

tmsize_t read_proc(thandle_t h, void* buf, tmsize_t size) {
  auto* s = static_cast<Source*>(h);
  if (s->pos >= s->data.size()) return 0;
  const auto n = static_cast<tmsize_t>(std::min<toff_t>(static_cast<toff_t>(size), s->data.size() - s->pos));
  std::memcpy(buf, s->data.data() + s->pos, static_cast<std::size_t>(n));
  s->pos += static_cast<toff_t>(n);
  return n;
}
tmsize_t write_proc(thandle_t, void*, tmsize_t) { return -1; }
toff_t seek_proc(thandle_t h, toff_t offset, int whence) {
  auto* s = static_cast<Source*>(h);
  const toff_t base = whence == SEEK_CUR ? s->pos : whence == SEEK_END ? s->data.size() : 0;
  s->pos = base + offset;
  return s->pos;
}
int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t h) { return static_cast<Source*>(h)->data.size(); }

// libtiff's messages go to the failure reason, never to stderr.
int on_error(TIFF*, void* user, const char*, const char* format, va_list args) {
  auto* s = static_cast<Source*>(user);
  if (s->error.empty()) {
    char line[256];
    std::vsnprintf(line, sizeof line, format, args);
    s->error = line;
  }
  return 1;
}
int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

// Copies 8-bit CMYK or CIELab samples into the raster as they are (four bytes a pixel), for
// LittleCMS to convert: libtiff's own conversions are naive (CMYK) or approximate (Lab).
void put_raw_contig(TIFFRGBAImage* img, std::uint32_t* cp, std::uint32_t, std::uint32_t, std::uint32_t w,
                    std::uint32_t h, std::int32_t fromskew, std::int32_t toskew, unsigned char* pp) {
  const int samples = img->samplesperpixel;
  for (; h > 0; --h) {
    for (std::uint32_t i = 0; i < w; ++i, pp += samples) {
      const unsigned char bytes[4] = {pp[0], pp[1], pp[2], samples > 3 ? pp[3] : static_cast<unsigned char>(255)};
      std::memcpy(cp++, bytes, 4);
    }
    cp += toskew;
    pp += static_cast<std::ptrdiff_t>(fromskew) * samples;
  }
}

// CIELab (signed a and b) to sRGB through LittleCMS's D50 Lab profile.
cv::Mat lab_to_srgb(const std::vector<std::uint32_t>& raster, int rows, int cols) {
  cv::Mat lab(rows, cols, CV_8UC3);
  for (int y = 0; y < rows; ++y) {
    auto* d = lab.ptr<cv::Vec3b>(y);
    for (int x = 0; x < cols; ++x) {
      unsigned char bytes[4];
      std::memcpy(bytes,
                  &raster[static_cast<std::size_t>(y) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(x)],
                  4);
      d[x] =
          cv::Vec3b(bytes[0], static_cast<unsigned char>(bytes[1] ^ 0x80), static_cast<unsigned char>(bytes[2] ^ 0x80));
    }
  }
  cmsHPROFILE lab_profile = cmsCreateLab4Profile(nullptr);
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  cmsHTRANSFORM t = cmsCreateTransform(lab_profile, TYPE_Lab_8, srgb, TYPE_BGR_8, INTENT_RELATIVE_COLORIMETRIC, 0);
  cmsCloseProfile(lab_profile);
  cmsCloseProfile(srgb);
  if (t == nullptr) throw std::runtime_error("cannot convert CIELab");
  cv::Mat bgr(rows, cols, CV_8UC3);
  cmsDoTransform(t, lab.data, bgr.data, static_cast<cmsUInt32Number>(lab.total()));
  cmsDeleteTransform(t);
  return bgr;
}

struct OptionsDeleter {
  void operator()(TIFFOpenOptions* o) const { TIFFOpenOptionsFree(o); }
};
struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};

}  // namespace

Decoded decode_tiff(std::string_view data, std::uint64_t max_pixels) {
  Source source{data, 0, {}};
  const std::unique_ptr<TIFFOpenOptions, OptionsDeleter> options(TIFFOpenOptionsAlloc());
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), on_error, &source);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), on_warning, &source);
  auto fail = [&](const char* fallback) {
    return std::runtime_error(source.error.empty() ? std::string(fallback) : source.error);
  };
  const std::unique_ptr<TIFF, TiffCloser> tiff(TIFFClientOpenExt("image", "rm", &source, read_proc, write_proc,
                                                                 seek_proc, close_proc, size_proc, nullptr, nullptr,
                                                                 options.get()));
  if (!tiff) throw fail("cannot read the TIFF header");
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  TIFFGetField(tiff.get(), TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tiff.get(), TIFFTAG_IMAGELENGTH, &height);
  if (width == 0 || height == 0) throw fail("TIFF image without dimensions");
  if (std::uint64_t{width} * height > max_pixels) {
    throw std::runtime_error("too many pixels (" + std::to_string(width) + "x" + std::to_string(height) +
                             " is more than the limit of " + std::to_string(max_pixels) + ")");
  }
  Decoded out;
  // The tag when the page has one (BigTIFF and later pages too); else the file's XMP may say.
  std::uint16_t orientation = 0;
  if (TIFFGetField(tiff.get(), TIFFTAG_ORIENTATION, &orientation) && orientation >= 1 && orientation <= 8) {
    out.orientation = orientation;
  }
  std::uint32_t icc_size = 0;
  void* icc = nullptr;
  if (TIFFGetField(tiff.get(), TIFFTAG_ICCPROFILE, &icc_size, &icc) && icc != nullptr) {
    out.colour.icc.assign(static_cast<const char*>(icc), icc_size);
  }
  std::uint16_t photometric = PHOTOMETRIC_RGB;
  std::uint16_t samples = 1;
  TIFFGetFieldDefaulted(tiff.get(), TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tiff.get(), TIFFTAG_SAMPLESPERPIXEL, &samples);

  // The RGBA interface reads every sample as unsigned: signed or floating-point samples would
  // come out as wrong pixels, so they are refused.
  std::uint16_t sample_format = SAMPLEFORMAT_UINT;
  TIFFGetFieldDefaulted(tiff.get(), TIFFTAG_SAMPLEFORMAT, &sample_format);
  if (sample_format == SAMPLEFORMAT_INT) throw std::runtime_error("unsupported TIFF samples (signed integers)");
  if (sample_format == SAMPLEFORMAT_IEEEFP) throw std::runtime_error("unsupported TIFF samples (floating point)");

  char message[1024] = {};
  TIFFRGBAImage image{};
  if (!TIFFRGBAImageOK(tiff.get(), message) || !TIFFRGBAImageBegin(&image, tiff.get(), 0, message)) {
    throw std::runtime_error(message[0] != 0 ? message : "unsupported TIFF layout");
  }
  // Rows in the order they are stored; the orientation tag is applied later with EXIF's.
  image.req_orientation = image.orientation;
  const bool raw =
      image.isContig && image.bitspersample == 8 && image.alpha == 0 &&
      ((photometric == PHOTOMETRIC_SEPARATED && samples == 4) || (photometric == PHOTOMETRIC_CIELAB && samples == 3));
  if (raw) image.put.contig = put_raw_contig;
  std::vector<std::uint32_t> raster(std::size_t{width} * height);
  const int ok = TIFFRGBAImageGet(&image, raster.data(), width, height);
  const bool alpha = image.alpha != 0;
  TIFFRGBAImageEnd(&image);
  if (!ok) throw fail("cannot decode TIFF data");

  const int rows = static_cast<int>(height);
  const int cols = static_cast<int>(width);
  if (raw && photometric == PHOTOMETRIC_CIELAB) {
    out.pixels = lab_to_srgb(raster, rows, cols);
    out.colour.icc.clear();
    return out;
  }
  if (raw) {
    out.pixels.create(rows, cols, CV_8UC4);
    std::memcpy(out.pixels.data, raster.data(), raster.size() * 4);
    out.colour.cmyk = true;  // through its own CMYK profile, or the default one
    return out;
  }
  const bool grey =
      !alpha && samples == 1 && (photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE);
  out.pixels.create(rows, cols, grey ? CV_8UC1 : alpha ? CV_8UC4 : CV_8UC3);
  for (int y = 0; y < rows; ++y) {
    const std::uint32_t* src = raster.data() + std::size_t{width} * static_cast<std::size_t>(y);
    unsigned char* dst = out.pixels.ptr<unsigned char>(y);
    for (int x = 0; x < cols; ++x) {
      const std::uint32_t p = src[x];
      const unsigned r = TIFFGetR(p), g = TIFFGetG(p), b = TIFFGetB(p), a = TIFFGetA(p);
      if (grey) {
        dst[x] = static_cast<unsigned char>(g);
      } else if (alpha) {
        // The RGBA interface always gives premultiplied colour; the pipeline wants it straight.
        auto straight = [a](unsigned c) {
          return static_cast<unsigned char>(a == 0 ? 0 : std::min(255u, (c * 255 + a / 2) / a));
        };
        dst[4 * x] = straight(b);
        dst[4 * x + 1] = straight(g);
        dst[4 * x + 2] = straight(r);
        dst[4 * x + 3] = static_cast<unsigned char>(a);
      } else {
        dst[3 * x] = static_cast<unsigned char>(b);
        dst[3 * x + 1] = static_cast<unsigned char>(g);
        dst[3 * x + 2] = static_cast<unsigned char>(r);
      }
    }
  }
  // CMYK and Lab are already RGB here: their profile no longer describes the pixels.
  if (!grey && photometric != PHOTOMETRIC_RGB && photometric != PHOTOMETRIC_YCBCR &&
      photometric != PHOTOMETRIC_PALETTE) {
    out.colour.icc.clear();
  }
  return out;
}

}  // namespace imaging
