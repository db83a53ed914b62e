// EXIF orientation in a PNG text chunk keyworded "Raw profile type exif", as ImageMagick 6 and
// exiv2 (and so GIMP) write it: "\nexif\n" and the length in 8 columns, then the bytes in hex,
// 36 to a line (ImageMagick's Magick_png_write_raw_profile). Pillow's exif_transpose reads it too.
// Each input is written here with libpng.

#include <catch2/catch.hpp>

#include <png.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "image_header.hpp"
#include "images.hpp"
#include "metadata.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

// "Exif\0\0" and a TIFF structure whose IFD0 holds `orientation`: a JPEG's APP1 payload.
std::string exif_payload(int orientation) {
  return test_images::with_exif_orientation(std::string("\xFF\xD8", 2), orientation).substr(2 + 4);
}

// The text ImageMagick writes for a raw profile of `name`.
std::string raw_profile(const std::string& name, const std::string& bytes) {
  static const char hex[] = "0123456789abcdef";
  char length[16];
  std::snprintf(length, sizeof length, "%8lu", static_cast<unsigned long>(bytes.size()));
  std::string text = "\n" + name + "\n" + length;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i % 36 == 0) text += '\n';
    text += hex[(static_cast<unsigned char>(bytes[i]) >> 4) & 0x0F];
    text += hex[static_cast<unsigned char>(bytes[i]) & 0x0F];
  }
  return text + "\n";
}

struct Text {
  std::string keyword;
  std::string text;
  int compression;  // PNG_TEXT_COMPRESSION_NONE, _zTXt, PNG_ITXT_COMPRESSION_NONE or _zTXt
  bool after_pixels = false;
};

// `bgr` as an RGB PNG with the given text chunks and, when eXIf is not empty, an eXIf chunk.
void write_png(const fs::path& path, const cv::Mat& bgr, const std::vector<Text>& texts, const std::string& exif = "") {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_infop end_info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(bgr.cols), static_cast<png_uint_32>(bgr.rows), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  std::vector<Text> chunks = texts;
  for (const bool after : {false, true}) {
    std::vector<png_text> entries;
    for (Text& t : chunks) {
      if (t.after_pixels != after) continue;
      png_text entry{};
      entry.compression = t.compression;
      entry.key = t.keyword.data();
      entry.text = t.text.data();
      if (t.compression == PNG_TEXT_COMPRESSION_NONE || t.compression == PNG_TEXT_COMPRESSION_zTXt) {
        entry.text_length = t.text.size();
      } else {
        entry.itxt_length = t.text.size();
      }
      entries.push_back(entry);
    }
    if (!entries.empty()) png_set_text(png, after ? end_info : info, entries.data(), static_cast<int>(entries.size()));
  }
  std::string exif_bytes = exif;
  if (!exif_bytes.empty()) {
    png_set_eXIf_1(png, info, static_cast<png_uint_32>(exif_bytes.size()),
                   reinterpret_cast<png_bytep>(exif_bytes.data()));
  }
  png_write_info(png, info);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  for (int y = 0; y < rgb.rows; ++y) png_write_row(png, rgb.ptr<png_byte>(y));
  png_write_end(png, end_info);
  png_destroy_info_struct(png, &end_info);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kExif = "Raw profile type exif";

}  // namespace

TEST_CASE("a PNG's EXIF orientation in a raw profile text chunk turns its thumbnail upright", "[thumbs][png]") {
  TempDir dir;
  const cv::Mat landscape = test_images::quadrants(400, 300);
  const std::string profile = raw_profile("exif", exif_payload(6));
  const std::vector<std::pair<const char*, Text>> kinds = {
      {"zTXt, as ImageMagick and exiv2 write it", {kExif, profile, PNG_TEXT_COMPRESSION_zTXt}},
      {"tEXt", {kExif, profile, PNG_TEXT_COMPRESSION_NONE}},
      {"compressed iTXt", {kExif, profile, PNG_ITXT_COMPRESSION_zTXt}},
      {"zTXt after the pixels", {kExif, profile, PNG_TEXT_COMPRESSION_zTXt, true}},
  };
  for (const auto& [name, text] : kinds) {
    INFO(name);
    write_png(dir / "phone.png", landscape, {{"Comment", "a photo", PNG_TEXT_COMPRESSION_NONE}, text});
    CHECK(imaging::read_header(read(dir / "phone.png")).orientation == 6);
    imaging::ThumbJob job;
    job.source = (dir / "phone.png").string();
    job.outputs = {{(dir / "out.png").string(), {200, 200}}};
    const auto r = imaging::make_thumbnail(job);
    REQUIRE(r.ok);
    // Pillow's exif_transpose: 150x200, the stored bottom-left (blue) now top-left.
    CHECK(r.source_width == 300);
    CHECK(r.source_height == 400);
    const cv::Mat t = cv::imread((dir / "out.png").string(), cv::IMREAD_UNCHANGED);
    REQUIRE(t.size() == cv::Size(150, 200));
    CHECK(t.at<cv::Vec3b>(10, 10) == cv::Vec3b(255, 0, 0));
    CHECK(t.at<cv::Vec3b>(10, 140) == cv::Vec3b(0, 0, 255));
  }
}

TEST_CASE("a PNG raw profile (exif, or APP1 in older ImageMagick) gives the orientation, an eXIf chunk first",
          "[thumbs][png][header]") {
  const std::string payload = exif_payload(8);
  const cv::Mat pixels = test_images::quadrants(40, 30);
  TempDir dir;
  const auto orientation = [&](const std::vector<Text>& texts, const std::string& exif = "") {
    write_png(dir / "p.png", pixels, texts, exif);
    return imaging::read_header(read(dir / "p.png")).orientation;
  };
  CHECK(orientation({{kExif, raw_profile("exif", payload), PNG_TEXT_COMPRESSION_NONE}}) == 8);
  CHECK(orientation({{"Raw profile type APP1", raw_profile("APP1", payload), PNG_TEXT_COMPRESSION_zTXt}}) == 8);
  // Other keywords, bad hex, a length beyond the hex: nothing, and the photo is still made.
  CHECK(orientation({{"Comment", raw_profile("exif", payload), PNG_TEXT_COMPRESSION_NONE}}) == 1);
  CHECK(orientation({{kExif, "\nexif\n       4\n4578zz66\n", PNG_TEXT_COMPRESSION_NONE}}) == 1);
  CHECK(orientation({{kExif, "\nexif\n      40\n45786966\n", PNG_TEXT_COMPRESSION_NONE}}) == 1);
  imaging::ThumbJob job;
  job.source = (dir / "p.png").string();
  job.outputs = {{(dir / "out.png").string(), {20, 20}}};
  CHECK(imaging::make_thumbnail(job).ok);

  CHECK(orientation({{kExif, raw_profile("exif", exif_payload(6)), PNG_TEXT_COMPRESSION_zTXt}},
                    exif_payload(3).substr(6)) == 3);
}
