// Files from public test suites (tests/data/README.md) against thumbnails made by Pillow or
// vipsthumbnail: the same size, and a mean difference no larger than two resamplers' own.

#include <catch2/catch.hpp>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

// Composited on white, so that fully transparent pixels compare equal whatever their colour.
cv::Mat on_white(const cv::Mat& image) {
  if (image.channels() == 3) return image;
  cv::Mat bgr(image.size(), CV_8UC3);
  if (image.channels() == 1) {
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
    return bgr;
  }
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      const cv::Vec4b p = image.at<cv::Vec4b>(y, x);
      for (int c = 0; c < 3; ++c)
        bgr.at<cv::Vec3b>(y, x)[c] = static_cast<uchar>((p[c] * p[3] + 255 * (255 - p[3]) + 127) / 255);
    }
  }
  return bgr;
}

}  // namespace

TEST_CASE("public test-suite files match Pillow's or vips' thumbnails", "[thumbs][suites]") {
  const fs::path data = CONC_TEST_DATA;
  struct Case {
    const char* file;
    const char* reference;
    const char* what;
  };
  const Case cases[] = {
      {"rgb32bf.bmp", "rgb32bf.png", "BMP 32-bit bit fields (bmpsuite g/)"},
      {"rgb16-565.bmp", "rgb16-565.png", "BMP 16-bit 5-6-5 (bmpsuite g/)"},
      {"pal8os2.bmp", "pal8os2.png", "BMP OS/2 1.x header, 3-byte palette (bmpsuite g/)"},
      {"tbbn0g04.png", "tbbn0g04.png", "PNG 4-bit grey with tRNS (PngSuite)"},
      {"hopper_orientation_6.webp", "hopper_orientation_6.png", "WebP with EXIF orientation 6 (Pillow)"},
      {"rot1mir0.avif", "rot1mir0.png", "AVIF rotated by irot (Pillow)"},
      {"pil_sample_cmyk.jpg", "pil_sample_cmyk.png", "CMYK JPEG without a profile (Pillow)"},
      {"xmp_tags_orientation.png", "xmp_tags_orientation.png",
       "PNG with a ColorMatch RGB iCCP, turned by XMP alone (Pillow)"},
      {"tiff_16bit_RGBa.tiff", "tiff_16bit_RGBa.png", "TIFF 16-bit associated alpha (Pillow)"},
      {"tiff_strip_planar_16bit_RGBa.tiff", "tiff_16bit_RGBa.png", "TIFF 16-bit planar, associated alpha (Pillow)"},
      {"hopper.Lab.tif", "hopper.Lab.png", "TIFF CIELab (Pillow)"},
      {"no_palette.gif", "no_palette.png", "GIF without any colour table (Pillow)"},
      {"tiff_strip_cmyk_jpeg.tif", "tiff_strip_cmyk_jpeg.png", "TIFF CMYK, JPEG-compressed strips (Pillow)"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    INFO(c.file << ": " << c.what);
    imaging::ThumbJob job;
    job.source = (data / c.file).string();
    job.outputs = {{(dir / (std::string(c.file) + ".png")).string(), {64, 64}}};
    job.format = imaging::OutputFormat::Png;
    const imaging::ThumbResult r = imaging::make_thumbnail(job);
    INFO(r.error);
    REQUIRE(r.ok);
    const cv::Mat ours = on_white(cv::imread(job.outputs[0].path, cv::IMREAD_UNCHANGED));
    const cv::Mat theirs = on_white(cv::imread((data / "ref" / c.reference).string(), cv::IMREAD_UNCHANGED));
    REQUIRE(ours.size() == theirs.size());
    // Lanczos (Pillow) or vips' kernels against INTER_AREA differ by 1 to 5 on average; a wrong
    // colour space, orientation or pixel layout differs by 15 and more.
    const double mean_difference = cv::norm(ours, theirs, cv::NORM_L1) / static_cast<double>(ours.total() * 3);
    CHECK(mean_difference < 6.0);
  }
}
