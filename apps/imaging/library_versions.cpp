#include "library_versions.hpp"

#include <gif_lib.h>
#include <jconfig.h>
#include <lcms2.h>
#include <libheif/heif.h>
#include <oneapi/tbb/version.h>
#include <png.h>
#include <tiffio.h>
#include <webp/decode.h>
#include <exiv2/version.hpp>

#include <opencv2/core/utility.hpp>

#include "raw_decode.hpp"

namespace imaging {

namespace {

#define CONC_STRINGIFY_VALUE(x) #x
#define CONC_STRINGIFY(x) CONC_STRINGIFY_VALUE(x)

// libwebp packs its version as 0xMMmmpp.
std::string webp_version(int packed) {
  return std::to_string((packed >> 16) & 0xff) + "." + std::to_string((packed >> 8) & 0xff) + "." +
         std::to_string(packed & 0xff);
}

// libtiff's version text is a banner ("LIBTIFF, Version 4.5.0\nCopyright ..."): the number alone.
std::string tiff_version() {
  const std::string banner = TIFFGetVersion();
  const auto at = banner.find("Version ");
  if (at == std::string::npos) return banner.substr(0, banner.find('\n'));
  const auto start = at + 8;
  return banner.substr(start, banner.find_first_of(" \n", start) - start);
}

// lcms2 encodes 2.14 as 2140.
std::string lcms_version(int encoded) {
  return std::to_string(encoded / 1000) + "." + std::to_string(encoded % 1000 / 10);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> library_versions() {
  return {
      {"OpenCV", cv::getVersionString()},
      {"oneTBB", TBB_runtime_version()},
      {"libjpeg-turbo", CONC_STRINGIFY(LIBJPEG_TURBO_VERSION)},
      {"libpng", png_get_libpng_ver(nullptr)},
      {"libwebp", webp_version(WebPGetDecoderVersion())},
      {"libtiff", tiff_version()},
      {"giflib",
       std::to_string(GIFLIB_MAJOR) + "." + std::to_string(GIFLIB_MINOR) + "." + std::to_string(GIFLIB_RELEASE)},
      {"libheif", heif_get_version()},
      {"lcms2", lcms_version(cmsGetEncodedCMMversion())},
      {"libexiv2", Exiv2::versionString()},
      {"LibRaw", libraw_version()},
  };
}

std::string readable_formats() {
  std::string formats = "JPEG PNG WebP TIFF GIF BMP";
  if (heif_have_decoder_for_format(heif_compression_HEVC)) formats += " HEIC";
  if (heif_have_decoder_for_format(heif_compression_AV1)) formats += " AVIF";
  return formats + " RAW";
}

}  // namespace imaging
