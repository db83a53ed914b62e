#include <catch2/catch.hpp>

#include <conc/json_codec.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "files.hpp"
#include "images.hpp"
#include "name_text.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;
using imaging::OutputFormat;

namespace {
imaging::ThumbJob job(const fs::path& source, const fs::path& out, imaging::Box box = {75, 75}) {
  imaging::ThumbJob j;
  j.source = source.string();
  j.outputs = {{out.string(), box}};
  return j;
}
cv::Mat read_back(const fs::path& p) { return cv::imread(p.string(), cv::IMREAD_UNCHANGED); }
}  // namespace

using test_support::slurp;

TEST_CASE("a JPEG becomes a thumbnail inside the box", "[thumbs][thumbnail]") {
  TempDir dir;
  test_images::write(dir / "big.jpg", test_images::encode(test_images::quadrants(1600, 1200), ".jpg"));
  auto r = imaging::make_thumbnail(job(dir / "big.jpg", dir / "out/big.jpg"));
  REQUIRE(r.ok);
  CHECK(r.width == 75);
  CHECK(r.height == 56);
  const cv::Mat t = read_back(dir / "out/big.jpg");
  CHECK(t.cols == 75);
  CHECK(t.rows == 56);
  CHECK(t.channels() == 3);
  // The top-left quadrant stays red.
  const cv::Vec3b tl = t.at<cv::Vec3b>(5, 5);
  CHECK(tl[2] > 200);
  CHECK(tl[1] < 60);
}

TEST_CASE("a portrait photo tagged by EXIF gives a portrait thumbnail", "[thumbs][thumbnail]") {
  TempDir dir;
  const std::string landscape = test_images::encode(test_images::quadrants(800, 600), ".jpg");
  test_images::write(dir / "phone.jpg", test_images::with_exif_orientation(landscape, 6));
  auto r = imaging::make_thumbnail(job(dir / "phone.jpg", dir / "out.jpg", {256, 256}));
  REQUIRE(r.ok);
  CHECK(r.width == 192);
  CHECK(r.height == 256);
  // Rotated 90 degrees clockwise: the stored bottom-left (blue) is now top-left.
  const cv::Mat t = read_back(dir / "out.jpg");
  CHECK(t.at<cv::Vec3b>(5, 5)[0] > 200);
  // The thumbnail carries no EXIF (no GPS, no second rotation by viewers).
  CHECK(slurp(dir / "out.jpg").find("Exif") == std::string::npos);
}

TEST_CASE("alpha is kept for PNG and composited on white for JPEG", "[thumbs][thumbnail]") {
  TempDir dir;
  cv::Mat rgba(100, 100, CV_8UC4, cv::Scalar(0, 0, 255, 0));        // fully transparent red
  rgba(cv::Rect(0, 0, 50, 100)).setTo(cv::Scalar(255, 0, 0, 255));  // left half opaque blue
  test_images::write(dir / "a.png", test_images::encode(rgba, ".png"));
  auto png = imaging::make_thumbnail(job(dir / "a.png", dir / "a_out.png", {50, 50}));
  REQUIRE(png.ok);
  cv::Mat t = read_back(dir / "a_out.png");
  REQUIRE(t.channels() == 4);
  CHECK(t.at<cv::Vec4b>(25, 45)[3] == 0);
  CHECK(t.at<cv::Vec4b>(25, 5)[3] == 255);

  auto j = job(dir / "a.png", dir / "a_out.jpg", {50, 50});
  j.format = OutputFormat::Jpeg;
  REQUIRE(imaging::make_thumbnail(j).ok);
  t = read_back(dir / "a_out.jpg");
  REQUIRE(t.channels() == 3);
  const cv::Vec3b right = t.at<cv::Vec3b>(25, 45);
  CHECK(right[0] > 230);  // white where it was transparent
  CHECK(right[1] > 230);
  CHECK(right[2] > 230);
}

TEST_CASE("16-bit and grey sources give 8-bit thumbnails", "[thumbs][thumbnail]") {
  TempDir dir;
  cv::Mat deep(200, 300, CV_16UC3, cv::Scalar(65535, 32768, 0));
  test_images::write(dir / "deep.png", test_images::encode(deep, ".png"));
  REQUIRE(imaging::make_thumbnail(job(dir / "deep.png", dir / "deep_out.png")).ok);
  const cv::Mat t = read_back(dir / "deep_out.png");
  CHECK(t.depth() == CV_8U);
  CHECK(t.at<cv::Vec3b>(10, 10)[0] == 255);
  CHECK(std::abs(t.at<cv::Vec3b>(10, 10)[1] - 128) <= 1);

  test_images::write(dir / "grey.jpg", test_images::encode(test_images::quadrants(640, 480, CV_8UC1), ".jpg"));
  REQUIRE(imaging::make_thumbnail(job(dir / "grey.jpg", dir / "grey_out.jpg")).ok);
  CHECK(read_back(dir / "grey_out.jpg").channels() == 1);
}

TEST_CASE("TIFF, BMP and WebP sources", "[thumbs][thumbnail]") {
  TempDir dir;
  const cv::Mat img = test_images::quadrants(300, 200);
  for (const char* ext : {".tiff", ".bmp", ".webp"}) {
    INFO(ext);
    const fs::path src = dir / (std::string("src") + ext);
    test_images::write(src, test_images::encode(img, ext));
    auto r = imaging::make_thumbnail(job(src, dir / (std::string("out") + ext)));
    REQUIRE(r.ok);
    CHECK(r.width == 75);
    CHECK(r.height == 50);
  }
}

TEST_CASE("several sizes from one decode", "[thumbs][thumbnail]") {
  TempDir dir;
  test_images::write(dir / "x.jpg", test_images::encode(test_images::quadrants(1000, 500), ".jpg"));
  imaging::ThumbJob j = job(dir / "x.jpg", dir / "small.jpg", {50, 50});
  j.outputs.push_back({(dir / "large.jpg").string(), {400, 400}});
  j.fit = imaging::Fit::Cover;
  REQUIRE(imaging::make_thumbnail(j).ok);
  CHECK(read_back(dir / "small.jpg").size() == cv::Size(50, 50));
  CHECK(read_back(dir / "large.jpg").size() == cv::Size(400, 400));
}

TEST_CASE("an output with a fit of its own: a viewer's rendition is never cropped", "[thumbs][thumbnail]") {
  TempDir dir;
  test_images::write(dir / "x.jpg", test_images::encode(test_images::quadrants(1000, 500), ".jpg"));
  imaging::ThumbJob j = job(dir / "x.jpg", dir / "square.jpg", {100, 100});
  j.outputs.push_back({(dir / "whole.jpg").string(), {400, 400}, imaging::Fit::Contain});
  j.fit = imaging::Fit::Cover;
  const imaging::ThumbResult r = imaging::make_thumbnail(j);
  REQUIRE(r.ok);
  CHECK(r.width == 100);
  CHECK(read_back(dir / "square.jpg").size() == cv::Size(100, 100));
  CHECK(read_back(dir / "whole.jpg").size() == cv::Size(400, 200));
}

TEST_CASE("bad input is reported, never written", "[thumbs][thumbnail]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(400, 300), ".jpg");
  test_images::write(dir / "truncated.jpg", jpeg.substr(0, jpeg.size() / 2));
  std::string corrupt = jpeg;
  for (std::size_t i = 700; i < 900; ++i) corrupt[i] = '\xFF';  // markers in the middle of the scan
  corrupt.replace(200, 4, "\xFF\xC4\x00\x02");                  // and a broken table
  test_images::write(dir / "corrupt.jpg", corrupt);
  test_images::write(dir / "empty.jpg", "");
  test_images::write(dir / "text.jpg", "just text");
  auto big = job(dir / "big.jpg", dir / "o/big.jpg");
  test_images::write(dir / "big.jpg", jpeg);
  big.max_pixels = 100'000;

  CHECK(imaging::make_thumbnail(job(dir / "truncated.jpg", dir / "o/t.jpg")).error == "truncated JPEG data");
  CHECK(imaging::make_thumbnail(job(dir / "empty.jpg", dir / "o/e.jpg")).error == "empty file");
  CHECK(imaging::make_thumbnail(job(dir / "text.jpg", dir / "o/x.jpg")).error == "not an image (unrecognised content)");
  CHECK(imaging::make_thumbnail(job(dir / "missing.jpg", dir / "o/m.jpg")).error ==
        "cannot read: No such file or directory");
  CHECK(imaging::make_thumbnail(big).error == "too many pixels (400x300 is more than the limit of 100000)");
  const auto c = imaging::make_thumbnail(job(dir / "corrupt.jpg", dir / "o/c.jpg"));
  CHECK_FALSE(c.ok);
  CHECK_FALSE(fs::exists(dir / "o"));
}

TEST_CASE("jobs and results survive the JSON codec", "[thumbs][thumbnail]") {
  imaging::ThumbJob j;
  j.source = "/a/ü b.jpg";
  j.outputs = {{"/o/x.jpg", {75, 60}}, {"/o/1600/x.jpg", {1600, 1600}, imaging::Fit::Contain}};
  j.fit = imaging::Fit::Cover;
  j.format = OutputFormat::Webp;
  j.quality = 70;
  j.max_pixels = 12345;
  const imaging::ThumbJob back = nlohmann::json(j).get<imaging::ThumbJob>();
  CHECK(back.source == j.source);
  CHECK(back.outputs[0].path == "/o/x.jpg");
  CHECK(back.outputs[0].box == imaging::Box{75, 60});
  CHECK_FALSE(back.outputs[0].fit.has_value());
  CHECK(back.outputs[1].fit == imaging::Fit::Contain);
  CHECK(back.fit == imaging::Fit::Cover);
  CHECK(back.format == OutputFormat::Webp);
  CHECK(back.max_pixels == 12345);
}

TEST_CASE("any name survives the trip to a worker and back, with the root's token", "[thumbs][thumbnail]") {
  imaging::ThumbJob j;
  j.source = "/in/caf\xE9\n\\x41 \xFF.jpg";
  j.outputs = {{"/out/caf\xE9\n\\x41 \xFF.jpg", {75, 60}}, {"/out/e\xCC\x81.jpg", {10, 10}}};
  j.temporaries = "abcd1234";
  std::string message;
  conc::JsonCodec<imaging::ThumbJob>::encode(j, message);  // what the process pool sends a worker
  CHECK(common::is_valid_utf8(message));
  const imaging::ThumbJob back = conc::JsonCodec<imaging::ThumbJob>::decode(message);
  CHECK(back.source == j.source);
  CHECK(back.outputs[0].path == j.outputs[0].path);
  CHECK(back.outputs[1].path == j.outputs[1].path);
  CHECK(back.temporaries == "abcd1234");
}

TEST_CASE("a thumbnail goes under a name of any bytes, and a failure's message is one line of text",
          "[thumbs][thumbnail]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", test_images::encode(test_images::quadrants(160, 120), ".jpg"));
  const std::string name = "caf\xE9\nline " + std::string(240, 'x') + ".jpg";
  imaging::ThumbJob j = job(dir / "in/x.jpg", dir / "out" / name);
  j.temporaries = "abcd1234";
  const auto made = imaging::make_thumbnail(j);
  REQUIRE(made.ok);
  CHECK(read_back(dir / "out" / name).cols == 75);
  // A folder where it should go: the message names the path, shown by the name rule.
  fs::create_directories(dir / "out\xFF/x\n.jpg");
  j.outputs[0].path = (dir / "out\xFF/x\n.jpg").string();
  const auto failed = imaging::make_thumbnail(j);
  CHECK_FALSE(failed.ok);
  INFO(failed.error);
  CHECK(failed.error.find("out\\xFF/x\\x0A.jpg: ") != std::string::npos);
  CHECK(failed.error.find('\n') == std::string::npos);
}

TEST_CASE("an image in memory gives the same thumbnail as its file, and the source's own size",
          "[thumbs][thumbnail][buffer]") {
  TempDir dir;
  const std::string photo =
      test_images::with_exif_orientation(test_images::encode(test_images::quadrants(800, 600), ".jpg"), 6);
  test_images::write(dir / "phone.jpg", photo);
  const auto from_file = imaging::make_thumbnail(job(dir / "phone.jpg", dir / "file.jpg", {256, 256}));
  REQUIRE(from_file.ok);
  CHECK(from_file.source_width == 600);  // upright, though decoded at a smaller scale
  CHECK(from_file.source_height == 800);

  imaging::BufferThumbJob written;
  written.output_stem = (dir / "memory").string();
  written.box = {256, 256};
  const auto to_file = imaging::make_thumbnail(photo, written);
  REQUIRE(to_file.ok);
  CHECK(to_file.extension == ".jpg");
  CHECK(to_file.path == (dir / "memory.jpg").string());
  CHECK(to_file.width == 192);
  CHECK(to_file.height == 256);
  CHECK(to_file.source_width == 600);
  CHECK(to_file.source_height == 800);
  CHECK(to_file.encoded.empty());
  CHECK(slurp(dir / "memory.jpg") == slurp(dir / "file.jpg"));

  imaging::BufferThumbJob returned = written;
  returned.output_stem.clear();
  const auto bytes = imaging::make_thumbnail(photo, returned);
  REQUIRE(bytes.ok);
  CHECK(bytes.path.empty());
  CHECK(bytes.encoded == slurp(dir / "file.jpg"));
}

TEST_CASE("an image in memory: the format decides the extension, the header the pixel limit",
          "[thumbs][thumbnail][buffer]") {
  imaging::BufferThumbJob j;
  j.box = {32, 32};
  const auto png = imaging::make_thumbnail(test_images::encode(test_images::quadrants(100, 50), ".png"), j);
  REQUIRE(png.ok);
  CHECK(png.extension == ".png");
  CHECK(imaging::read_header(png.encoded).format == imaging::Format::Png);
  j.format = OutputFormat::Webp;
  CHECK(imaging::make_thumbnail(test_images::encode(test_images::quadrants(100, 50), ".png"), j).extension == ".webp");

  // A 30000x30000 PNG header in front of nothing: refused from the header, never decoded.
  const std::string small = test_images::encode(test_images::quadrants(8, 8), ".png");
  std::string huge = small;
  const unsigned char side[4] = {0x00, 0x00, 0x75, 0x30};
  huge.replace(16, 4, reinterpret_cast<const char*>(side), 4);
  huge.replace(20, 4, reinterpret_cast<const char*>(side), 4);
  j.max_pixels = 1'000'000;
  const auto refused = imaging::make_thumbnail(huge, j);
  CHECK_FALSE(refused.ok);
  CHECK(refused.error.find("too many pixels (30000x30000") != std::string::npos);

  const auto text = imaging::make_thumbnail(std::string_view("not an image at all"), j);
  CHECK_FALSE(text.ok);
  CHECK(text.error.find("not an image") != std::string::npos);
}
