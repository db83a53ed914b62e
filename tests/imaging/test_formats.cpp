// Formats and variants decoded by their own libraries: colour profiles, WebP orientation and
// animation, GIF, grey PNG with a transparent colour, 2-bit grey and BigTIFF, and alpha kept
// straight through every resize step. Each input is written here with the format's library.

#include <catch2/catch.hpp>

#include <gif_lib.h>
#include <jpeglib.h>
#include <lcms2.h>
#include <libheif/heif.h>
#include <png.h>
#include <tiffio.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "images.hpp"
#include "jpeg_decode.hpp"
#include "png_decode.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"
#include "webp_decode.hpp"

namespace fs = std::filesystem;

namespace {

imaging::ThumbResult thumbnail(const fs::path& source, const fs::path& out, int side, bool embedded_preview = false) {
  imaging::ThumbJob job;
  job.source = source.string();
  job.outputs = {{out.string(), {side, side}}};
  job.format = imaging::OutputFormat::Png;
  job.embedded_preview = embedded_preview;
  return imaging::make_thumbnail(job);
}

cv::Mat read_back(const fs::path& p) { return cv::imread(p.string(), cv::IMREAD_UNCHANGED); }

bool near(const cv::Vec3b& a, const cv::Vec3b& b, int tolerance) {
  for (int c = 0; c < 3; ++c) {
    if (std::abs(a[c] - b[c]) > tolerance) return false;
  }
  return true;
}

// Adobe RGB (1998) as LittleCMS builds it from its published primaries and gamma.
std::string adobe_rgb_profile() {
  cmsCIExyY white;
  cmsWhitePointFromTemp(&white, 6504);
  const cmsCIExyYTRIPLE primaries = {{0.64, 0.33, 1.0}, {0.21, 0.71, 1.0}, {0.15, 0.06, 1.0}};
  cmsToneCurve* gamma = cmsBuildGamma(nullptr, 563.0 / 256.0);
  cmsToneCurve* curves[3] = {gamma, gamma, gamma};
  cmsHPROFILE profile = cmsCreateRGBProfile(&white, &primaries, curves);
  cmsUInt32Number size = 0;
  cmsSaveProfileToMem(profile, nullptr, &size);
  std::string bytes(size, '\0');
  cmsSaveProfileToMem(profile, bytes.data(), &size);
  cmsCloseProfile(profile);
  cmsFreeToneCurve(gamma);
  return bytes;
}

std::string srgb_profile() {
  cmsHPROFILE profile = cmsCreate_sRGBProfile();
  cmsUInt32Number size = 0;
  cmsSaveProfileToMem(profile, nullptr, &size);
  std::string bytes(size, '\0');
  cmsSaveProfileToMem(profile, bytes.data(), &size);
  cmsCloseProfile(profile);
  return bytes;
}

// An RGB JPEG of one colour, with an ICC profile in APP2.
void write_jpeg(const fs::path& path, cv::Vec3b rgb, const std::string& icc) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = 320;
  cinfo.image_height = 240;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 98, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  if (!icc.empty()) {
    jpeg_write_icc_profile(&cinfo, reinterpret_cast<const JOCTET*>(icc.data()), static_cast<unsigned>(icc.size()));
  }
  std::vector<unsigned char> row(320 * 3);
  for (int x = 0; x < 320; ++x) {
    for (int c = 0; c < 3; ++c) row[static_cast<std::size_t>(x * 3 + c)] = rgb[c];
  }
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

// A WebP of `bgr` with an EXIF chunk carrying `orientation`.
std::string webp_with_exif(const cv::Mat& bgr, int orientation) {
  const std::string still = test_images::encode(bgr, ".webp", {cv::IMWRITE_WEBP_QUALITY, 100});
  // The TIFF structure of the EXIF APP1 test helper, without its JPEG framing.
  const std::string app1 = test_images::with_exif_orientation(std::string("\xFF\xD8", 2), orientation);
  const std::string tiff = app1.substr(2 + 4 + 6, app1.size() - 2 - 4 - 6);
  WebPMux* mux = WebPMuxNew();
  const WebPData image{reinterpret_cast<const uint8_t*>(still.data()), still.size()};
  const WebPData exif{reinterpret_cast<const uint8_t*>(tiff.data()), tiff.size()};
  REQUIRE(WebPMuxSetImage(mux, &image, 1) == WEBP_MUX_OK);
  REQUIRE(WebPMuxSetChunk(mux, "EXIF", &exif, 1) == WEBP_MUX_OK);
  WebPData assembled;
  WebPDataInit(&assembled);
  REQUIRE(WebPMuxAssemble(mux, &assembled) == WEBP_MUX_OK);
  std::string bytes(reinterpret_cast<const char*>(assembled.bytes), assembled.size);
  WebPDataClear(&assembled);
  WebPMuxDelete(mux);
  return bytes;
}

// A two-frame animated WebP: the first frame red, the second blue.
std::string animated_webp() {
  WebPAnimEncoderOptions options;
  REQUIRE(WebPAnimEncoderOptionsInit(&options));
  WebPAnimEncoder* encoder = WebPAnimEncoderNew(200, 100, &options);
  REQUIRE(encoder != nullptr);
  WebPConfig config;
  REQUIRE(WebPConfigInit(&config));
  config.lossless = 1;
  int timestamp = 0;
  for (const std::uint32_t argb : {0xFFFF0000u, 0xFF0000FFu}) {
    WebPPicture picture;
    REQUIRE(WebPPictureInit(&picture));
    picture.use_argb = 1;
    picture.width = 200;
    picture.height = 100;
    REQUIRE(WebPPictureAlloc(&picture));
    for (int i = 0; i < 200 * 100; ++i) picture.argb[i] = argb;
    REQUIRE(WebPAnimEncoderAdd(encoder, &picture, timestamp, &config));
    WebPPictureFree(&picture);
    timestamp += 100;
  }
  REQUIRE(WebPAnimEncoderAdd(encoder, nullptr, timestamp, nullptr));
  WebPData assembled;
  WebPDataInit(&assembled);
  REQUIRE(WebPAnimEncoderAssemble(encoder, &assembled));
  std::string bytes(reinterpret_cast<const char*>(assembled.bytes), assembled.size);
  WebPDataClear(&assembled);
  WebPAnimEncoderDelete(encoder);
  return bytes;
}

// A 120x80 GIF: left half palette entry 1 (orange), right half entry 2 (transparent).
void write_gif(const fs::path& path) {
  int error = 0;
  GifFileType* gif = EGifOpenFileName(path.c_str(), false, &error);
  REQUIRE(gif != nullptr);
  GifColorType colours[4] = {{0, 0, 0}, {255, 128, 0}, {0, 0, 255}, {255, 255, 255}};
  ColorMapObject* map = GifMakeMapObject(4, colours);
  EGifSetGifVersion(gif, true);
  REQUIRE(EGifPutScreenDesc(gif, 120, 80, 2, 0, map) == GIF_OK);
  GraphicsControlBlock control{};
  control.TransparentColor = 2;
  control.DisposalMode = DISPOSAL_UNSPECIFIED;
  GifByteType extension[4];
  const std::size_t length = EGifGCBToExtension(&control, extension);
  REQUIRE(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(length), extension) == GIF_OK);
  REQUIRE(EGifPutImageDesc(gif, 0, 0, 120, 80, false, nullptr) == GIF_OK);
  std::vector<GifPixelType> row(120);
  for (int x = 0; x < 120; ++x) row[static_cast<std::size_t>(x)] = x < 60 ? 1 : 2;
  for (int y = 0; y < 80; ++y) REQUIRE(EGifPutLine(gif, row.data(), 120) == GIF_OK);
  GifFreeMapObject(map);
  REQUIRE(EGifCloseFile(gif, &error) == GIF_OK);
}

// An 8-bit grey PNG whose value 0 is transparent (a tRNS chunk): left half 0, right half 200.
void write_grey_trns_png(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, 100, 60, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_color_16 transparent{};
  transparent.gray = 0;
  png_set_tRNS(png, info, nullptr, 0, &transparent);
  png_write_info(png, info);
  std::vector<png_byte> row(100);
  for (int x = 0; x < 100; ++x) row[static_cast<std::size_t>(x)] = x < 50 ? 0 : 200;
  for (int y = 0; y < 60; ++y) png_write_row(png, row.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

// A grey TIFF of `bits` per sample, `mode` "w" (classic) or "w8" (BigTIFF): left half black,
// right half white, 64x32.
void write_grey_tiff(const fs::path& path, int bits, const char* mode) {
  TIFF* tiff = TIFFOpen(path.c_str(), mode);
  REQUIRE(tiff != nullptr);
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 64);
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 32);
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, bits);
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, 32);
  const int max = (1 << bits) - 1;
  std::vector<unsigned char> row(static_cast<std::size_t>((64 * bits + 7) / 8), 0);
  for (int x = 0; x < 64; ++x) {
    const int value = x < 32 ? 0 : max;
    const int bit = x * bits;
    row[static_cast<std::size_t>(bit / 8)] |= static_cast<unsigned char>(value << (8 - bits - bit % 8));
  }
  for (std::uint32_t y = 0; y < 32; ++y) REQUIRE(TIFFWriteScanline(tiff, row.data(), y, 0) == 1);
  TIFFClose(tiff);
}

}  // namespace

TEST_CASE("an Adobe RGB photo becomes sRGB, an sRGB-tagged one is left as it is", "[thumbs][colour]") {
  TempDir dir;
  write_jpeg(dir / "adobe.jpg", {200, 120, 60}, adobe_rgb_profile());
  write_jpeg(dir / "srgb.jpg", {200, 120, 60}, srgb_profile());
  write_jpeg(dir / "untagged.jpg", {200, 120, 60}, "");
  for (const char* name : {"adobe", "srgb", "untagged"}) {
    REQUIRE(thumbnail(dir / (std::string(name) + ".jpg"), dir / (std::string(name) + ".png"), 64).ok);
  }
  // Pillow's ImageCms with a compatible Adobe RGB profile gives (224, 121, 53) for (200, 120, 60).
  CHECK(near(read_back(dir / "adobe.png").at<cv::Vec3b>(10, 10), cv::Vec3b(53, 121, 224), 3));
  CHECK(near(read_back(dir / "srgb.png").at<cv::Vec3b>(10, 10), cv::Vec3b(60, 120, 200), 2));
  CHECK(near(read_back(dir / "untagged.png").at<cv::Vec3b>(10, 10), cv::Vec3b(60, 120, 200), 2));
}

TEST_CASE("a WebP's EXIF orientation turns its thumbnail upright", "[thumbs][orientation]") {
  TempDir dir;
  test_images::write(dir / "phone.webp", webp_with_exif(test_images::quadrants(400, 300), 6));
  const auto r = thumbnail(dir / "phone.webp", dir / "out.png", 200);
  REQUIRE(r.ok);
  CHECK(r.width == 150);
  CHECK(r.height == 200);
  // Rotated 90 degrees clockwise: the stored bottom-left (blue) is now top-left.
  const cv::Mat t = read_back(dir / "out.png");
  CHECK(near(t.at<cv::Vec3b>(10, 10), cv::Vec3b(255, 0, 0), 20));
  CHECK(near(t.at<cv::Vec3b>(10, 140), cv::Vec3b(0, 0, 255), 20));
}

TEST_CASE("an animated WebP gives its first frame", "[thumbs][webp]") {
  TempDir dir;
  test_images::write(dir / "anim.webp", animated_webp());
  const auto r = thumbnail(dir / "anim.webp", dir / "out.png", 100);
  REQUIRE(r.ok);
  CHECK(r.width == 100);
  CHECK(r.height == 50);
  const cv::Mat t = read_back(dir / "out.png");
  CHECK(near(cv::Vec3b(t.at<cv::Vec4b>(25, 50)[0], t.at<cv::Vec4b>(25, 50)[1], t.at<cv::Vec4b>(25, 50)[2]),
             cv::Vec3b(0, 0, 255), 2));
}

TEST_CASE("a GIF gives its first frame with its transparency", "[thumbs][gif]") {
  TempDir dir;
  write_gif(dir / "a.gif");
  const auto r = thumbnail(dir / "a.gif", dir / "out.png", 60);
  REQUIRE(r.ok);
  CHECK(r.width == 60);
  CHECK(r.height == 40);
  const cv::Mat t = read_back(dir / "out.png");
  REQUIRE(t.type() == CV_8UC4);
  CHECK(t.at<cv::Vec4b>(20, 10) == cv::Vec4b(0, 128, 255, 255));
  CHECK(t.at<cv::Vec4b>(20, 50)[3] == 0);
}

TEST_CASE("a grey PNG with a transparent grey value keeps it as alpha", "[thumbs][png]") {
  TempDir dir;
  write_grey_trns_png(dir / "grey.png");
  const auto r = thumbnail(dir / "grey.png", dir / "out.png", 50);
  REQUIRE(r.ok);
  const cv::Mat t = read_back(dir / "out.png");
  REQUIRE(t.type() == CV_8UC4);
  CHECK(t.at<cv::Vec4b>(15, 5)[3] == 0);
  CHECK(t.at<cv::Vec4b>(15, 45) == cv::Vec4b(200, 200, 200, 255));
}

TEST_CASE("2- and 4-bit grey TIFFs and BigTIFF decode", "[thumbs][tiff]") {
  TempDir dir;
  write_grey_tiff(dir / "two.tif", 2, "w");
  write_grey_tiff(dir / "four.tif", 4, "w");
  write_grey_tiff(dir / "big.tif", 8, "w8");
  for (const char* name : {"two", "four", "big"}) {
    INFO(name);
    const auto r = thumbnail(dir / (std::string(name) + ".tif"), dir / (std::string(name) + ".png"), 32);
    REQUIRE(r.ok);
    CHECK(r.width == 32);
    CHECK(r.height == 16);
    const cv::Mat t = read_back(dir / (std::string(name) + ".png"));
    REQUIRE(t.channels() == 1);
    CHECK(t.at<unsigned char>(8, 4) == 0);
    CHECK(t.at<unsigned char>(8, 28) == 255);
  }
}

TEST_CASE("a 1-bit palette TIFF keeps its colours", "[thumbs][tiff]") {
  TempDir dir;
  TIFF* tiff = TIFFOpen((dir / "palette.tif").c_str(), "w");
  REQUIRE(tiff != nullptr);
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 64);
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 32);
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 1);
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_PALETTE);
  TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, 32);
  std::uint16_t red[2] = {65535, 0};  // entry 0 orange, entry 1 teal
  std::uint16_t green[2] = {32768, 32768};
  std::uint16_t blue[2] = {0, 32768};
  TIFFSetField(tiff, TIFFTAG_COLORMAP, red, green, blue);
  std::vector<unsigned char> row(8, 0);
  for (int x = 32; x < 64; ++x) row[static_cast<std::size_t>(x / 8)] |= static_cast<unsigned char>(0x80 >> (x % 8));
  for (std::uint32_t y = 0; y < 32; ++y) REQUIRE(TIFFWriteScanline(tiff, row.data(), y, 0) == 1);
  TIFFClose(tiff);
  REQUIRE(thumbnail(dir / "palette.tif", dir / "out.png", 32).ok);
  const cv::Mat t = read_back(dir / "out.png");
  REQUIRE(t.channels() == 3);
  CHECK(near(t.at<cv::Vec3b>(8, 4), cv::Vec3b(0, 128, 255), 2));
  CHECK(near(t.at<cv::Vec3b>(8, 28), cv::Vec3b(128, 128, 0), 2));
}

TEST_CASE("a TIFF with signed samples is refused, not shown with wrong pixels", "[thumbs][tiff]") {
  TempDir dir;
  TIFF* tiff = TIFFOpen((dir / "signed.tif").c_str(), "w");
  REQUIRE(tiff != nullptr);
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 16);
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 16);
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(tiff, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_INT);
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, 16);
  std::vector<signed char> row(16, -100);
  for (std::uint32_t y = 0; y < 16; ++y) REQUIRE(TIFFWriteScanline(tiff, row.data(), y, 0) == 1);
  TIFFClose(tiff);
  const auto r = thumbnail(dir / "signed.tif", dir / "out.png", 8);
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("signed") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out.png"));
}

TEST_CASE("transparent pixels lend no colour to their neighbours when shrinking", "[thumbs][alpha]") {
  TempDir dir;
  // Opaque red up to x = 205, then transparent black: the boundary falls inside an output pixel.
  cv::Mat bgra(300, 400, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  bgra(cv::Rect(0, 0, 205, 300)).setTo(cv::Scalar(0, 0, 255, 255));
  test_images::write(dir / "a.png", test_images::encode(bgra, ".png"));
  test_images::write(dir / "a.tif", test_images::encode(bgra, ".tiff"));
  for (const char* name : {"a.png", "a.tif"}) {
    INFO(name);
    REQUIRE(thumbnail(dir / name, dir / (std::string(name) + ".out.png"), 30).ok);
    const cv::Mat t = read_back(dir / (std::string(name) + ".out.png"));
    REQUIRE(t.type() == CV_8UC4);
    int partial = 0;
    for (int x = 0; x < t.cols; ++x) {
      const cv::Vec4b p = t.at<cv::Vec4b>(10, x);
      if (p[3] == 0) continue;
      if (p[3] < 255) ++partial;
      CHECK(p[2] >= 250);  // red stays red where it fades out, never darker
      CHECK(p[1] <= 5);
    }
    CHECK(partial >= 1);
  }
}

TEST_CASE("colour mode keep keeps the source's pixels and embeds its profile", "[thumbs][colour]") {
  TempDir dir;
  const std::string adobe = adobe_rgb_profile();
  write_jpeg(dir / "adobe.jpg", {200, 120, 60}, adobe);
  for (const auto format : {imaging::OutputFormat::Jpeg, imaging::OutputFormat::Png, imaging::OutputFormat::Webp}) {
    INFO(imaging::to_string(format));
    const fs::path out = dir / (std::string("out.") + imaging::to_string(format));
    imaging::ThumbJob job;
    job.source = (dir / "adobe.jpg").string();
    job.outputs = {{out.string(), {64, 64}}};
    job.format = format;
    job.quality = 95;
    job.colour = imaging::Colour::Keep;
    REQUIRE(imaging::make_thumbnail(job).ok);
    std::ifstream in(out, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const imaging::Decoded decoded = format == imaging::OutputFormat::Jpeg  ? imaging::decode_jpeg(bytes, 1)
                                     : format == imaging::OutputFormat::Png ? imaging::decode_png_shrunk(bytes, 1)
                                                                            : imaging::decode_webp(bytes, 1);
    CHECK(decoded.colour.icc == adobe);
    CHECK(near(decoded.pixels.at<cv::Vec3b>(10, 10), cv::Vec3b(60, 120, 200), 3));
  }
}

TEST_CASE("a progressive JPEG at 1/8 from its first scans is close to the full 1/8 decode", "[thumbs][jpeg]") {
  cv::Mat photo(960, 1280, CV_8UC3);
  cv::randu(photo, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(photo, photo, cv::Size(0, 0), 3);
  const std::string progressive =
      test_images::encode(photo, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90, cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  const imaging::Decoded ours = imaging::decode_jpeg(progressive, 8);
  const cv::Mat buffer(1, static_cast<int>(progressive.size()), CV_8U, const_cast<char*>(progressive.data()));
  const cv::Mat full = cv::imdecode(buffer, cv::IMREAD_REDUCED_COLOR_8);
  REQUIRE(ours.pixels.size() == full.size());
  REQUIRE(ours.pixels.type() == full.type());
  // Only the refinement bits of the first coefficients are missing: under a level on average
  // even on this noisy, colourful picture (scan order of libjpeg's default progression).
  double worst = 0;
  cv::minMaxLoc(cv::abs(ours.pixels - full) + cv::abs(full - ours.pixels), nullptr, &worst);
  CHECK(worst <= 16);
  CHECK(cv::norm(ours.pixels, full, cv::NORM_L1) / static_cast<double>(full.total() * 3) < 1.0);
  // A baseline file decodes exactly as OpenCV's libjpeg decode.
  const std::string baseline = test_images::encode(photo, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
  const cv::Mat baseline_buffer(1, static_cast<int>(baseline.size()), CV_8U, const_cast<char*>(baseline.data()));
  CHECK(cv::norm(imaging::decode_jpeg(baseline, 8).pixels, cv::imdecode(baseline_buffer, cv::IMREAD_REDUCED_COLOR_8),
                 cv::NORM_INF) == 0);
}

namespace {

// An AVIF (or HEIC, whichever encoder libheif has) whose primary image is all `primary` and whose
// thumbnail item, thumbnail_side on its long side, is all `thumbnail`: the decoder's choice shows.
bool write_heif_with_thumbnail(const fs::path& path, cv::Vec3b primary, int width, int height, cv::Vec3b thumbnail,
                               int thumbnail_side) {
  heif_context* context = heif_context_alloc();
  heif_encoder* encoder = nullptr;
  // AV1 first: Debian's x265 (HEVC) leaks a few bytes per encoder, which LeakSanitizer reports.
  if (heif_context_get_encoder_for_format(context, heif_compression_AV1, &encoder).code != heif_error_Ok &&
      heif_context_get_encoder_for_format(context, heif_compression_HEVC, &encoder).code != heif_error_Ok) {
    heif_context_free(context);
    return false;
  }
  heif_encoder_set_lossy_quality(encoder, 90);
  auto make = [](cv::Vec3b rgb, int w, int h) {
    heif_image* image = nullptr;
    heif_image_create(w, h, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &image);
    heif_image_add_plane(image, heif_channel_interleaved, w, h, 8);
    int stride = 0;
    uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        for (int c = 0; c < 3; ++c) plane[y * stride + x * 3 + c] = rgb[c];
      }
    }
    return image;
  };
  heif_image* main_image = make(primary, width, height);
  heif_image* small_image = make(thumbnail, width, height);  // scaled down to the thumbnail's size
  heif_image_handle* main_handle = nullptr;
  heif_image_handle* small_handle = nullptr;
  // encode_thumbnail scales whatever image it is given: here another picture than the primary.
  const bool ok =
      heif_context_encode_image(context, main_image, encoder, nullptr, &main_handle).code == heif_error_Ok &&
      heif_context_encode_thumbnail(context, small_image, main_handle, encoder, nullptr, thumbnail_side, &small_handle)
              .code == heif_error_Ok &&
      heif_context_write_to_file(context, path.c_str()).code == heif_error_Ok;
  heif_image_handle_release(main_handle);
  heif_image_handle_release(small_handle);
  heif_image_release(main_image);
  heif_image_release(small_image);
  heif_encoder_release(encoder);
  heif_context_free(context);
  return ok;
}

}  // namespace

TEST_CASE("with embedded previews, a HEIF's own thumbnail is used when it is at least twice the box",
          "[thumbs][heif][preview]") {
  TempDir dir;
  // Primary 640x480 red, thumbnail item 320x240 blue.
  REQUIRE(write_heif_with_thumbnail(dir / "photo.avif", {255, 0, 0}, 640, 480, {0, 0, 255}, 320));
  const auto small = thumbnail(dir / "photo.avif", dir / "small.png", 160, true);  // 320 >= 2 x 160: the thumbnail
  REQUIRE(small.ok);
  CHECK(small.made_from == "heif-thumbnail");
  const auto large = thumbnail(dir / "photo.avif", dir / "large.png", 200, true);  // 320 < 2 x 200: the primary
  REQUIRE(large.ok);
  CHECK(large.made_from == "image");
  CHECK(near(read_back(dir / "small.png").at<cv::Vec3b>(20, 20), cv::Vec3b(255, 0, 0), 12));
  CHECK(near(read_back(dir / "large.png").at<cv::Vec3b>(20, 20), cv::Vec3b(0, 0, 255), 12));
  const auto r = thumbnail(dir / "photo.avif", dir / "size.png", 160, true);
  CHECK(r.width == 160);
  CHECK(r.height == 120);
  // Off by default: a stale thumbnail never stands in for the photo.
  const auto plain = thumbnail(dir / "photo.avif", dir / "plain.png", 160);
  REQUIRE(plain.ok);
  CHECK(plain.made_from == "image");
  CHECK(near(read_back(dir / "plain.png").at<cv::Vec3b>(20, 20), cv::Vec3b(0, 0, 255), 12));
}

TEST_CASE("a HEIF in Display P3 given by nclx primaries becomes sRGB", "[thumbs][heif][colour]") {
  TempDir dir;
  heif_context* context = heif_context_alloc();
  heif_encoder* encoder = nullptr;
  REQUIRE((heif_context_get_encoder_for_format(context, heif_compression_AV1, &encoder).code == heif_error_Ok ||
           heif_context_get_encoder_for_format(context, heif_compression_HEVC, &encoder).code == heif_error_Ok));
  heif_encoder_set_lossy_quality(encoder, 95);
  heif_image* image = nullptr;
  heif_image_create(256, 192, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &image);
  heif_image_add_plane(image, heif_channel_interleaved, 256, 192, 8);
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
  for (int y = 0; y < 192; ++y) {
    for (int x = 0; x < 256; ++x) {
      plane[y * stride + x * 3] = 200;
      plane[y * stride + x * 3 + 1] = 120;
      plane[y * stride + x * 3 + 2] = 60;
    }
  }
  heif_color_profile_nclx* nclx = heif_nclx_color_profile_alloc();
  heif_nclx_color_profile_set_color_primaries(nclx, 12);  // SMPTE EG 432-1: Display P3
  heif_nclx_color_profile_set_transfer_characteristics(nclx, heif_transfer_characteristic_IEC_61966_2_1);
  heif_nclx_color_profile_set_matrix_coefficients(nclx, heif_matrix_coefficients_ITU_R_BT_601_6);
  nclx->full_range_flag = 1;
  heif_image_set_nclx_color_profile(image, nclx);
  heif_encoding_options* options = heif_encoding_options_alloc();
  options->output_nclx_profile = nclx;
  heif_image_handle* handle = nullptr;
  REQUIRE(heif_context_encode_image(context, image, encoder, options, &handle).code == heif_error_Ok);
  REQUIRE(heif_context_write_to_file(context, (dir / "p3.avif").c_str()).code == heif_error_Ok);
  heif_encoding_options_free(options);
  heif_nclx_color_profile_free(nclx);
  heif_image_handle_release(handle);
  heif_image_release(image);
  heif_encoder_release(encoder);
  heif_context_free(context);

  REQUIRE(thumbnail(dir / "p3.avif", dir / "out.png", 64).ok);
  // Display P3 (200, 120, 60) is sRGB (213, 115, 42) by the published primaries and curve.
  CHECK(near(read_back(dir / "out.png").at<cv::Vec3b>(20, 20), cv::Vec3b(42, 115, 213), 5));
}
