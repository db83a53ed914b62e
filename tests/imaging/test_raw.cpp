// Camera RAW files through LibRaw, on the public samples in tests/data/thumbs/raw/ (ExifTool's test
// images, whose sensor data is stripped, and a real Canon EOS 6D DNG from PhotoPrism): each is
// recognised by its content, then made from the camera's preview, from LibRaw's half-size decode,
// or refused with one line; never taken for something else or skipped.

#include <catch2/catch.hpp>

#include <exiv2/exif.hpp>
#include <exiv2/image.hpp>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "files.hpp"
#include "image_header.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kRaw = fs::path(CONC_TEST_DATA) / "raw";

imaging::ThumbResult thumbnail(const fs::path& source, const fs::path& out, int side) {
  imaging::ThumbJob job;
  job.source = source.string();
  job.outputs = {{out.string(), {side, side}}};
  job.format = imaging::OutputFormat::Png;
  return imaging::make_thumbnail(job);
}

// A copy of the EOS 6D DNG whose Orientation tag (what LibRaw's flip comes from) says `orientation`.
fs::path turned_dng(const TempDir& dir, int orientation) {
  const fs::path path = dir / "turned.dng";
  fs::copy_file(kRaw / "canon_eos_6d.dng", path, fs::copy_options::overwrite_existing);
  auto image = Exiv2::ImageFactory::open(path.string());
  image->readMetadata();
  image->exifData()["Exif.Image.Orientation"] = static_cast<uint16_t>(orientation);
  image->writeMetadata();
  return path;
}

}  // namespace

TEST_CASE("every RAW format of the public samples is recognised, then made or refused in one line", "[thumbs][raw]") {
  struct Case {
    const char* file;
    imaging::Format detected;  // from the first 32 bytes, as the planner sees it
    const char* outcome;       // made_from, or the start of the error
    const char* or_else = nullptr;
  };
  const Case cases[] = {
      {"canon_eos_6d.dng", imaging::Format::Tiff, "raw-preview"},
      {"CanonRaw.cr3", imaging::Format::Raw, "raw-half-size"},
      {"DNG.dng", imaging::Format::Tiff, "raw-half-size"},
      {"Nikon.nef", imaging::Format::Tiff, "raw-half-size"},
      // LibRaw 0.20's Panasonic decoder reads past this stripped file's data into memory it never set
      // (valgrind shows it): it may end either way, but always in a thumbnail or one line.
      {"Panasonic.rw2", imaging::Format::Raw, "raw-half-size",
       "cannot read RAW data: its sensor data is cut short or damaged"},
      // ExifTool strips the sensor data: LibRaw knows the camera and says what is missing.
      {"CanonRaw.crw", imaging::Format::Raw, "cannot read RAW data: its sensor data is cut short or damaged"},
      {"FujiFilm.raf", imaging::Format::Raw, "cannot read RAW data: its sensor data is cut short or damaged"},
      {"KyoceraRaw.raw", imaging::Format::Raw, "cannot read RAW data: its sensor data is cut short or damaged"},
      {"Minolta.mrw", imaging::Format::Raw, "cannot read RAW data: its sensor data is cut short or damaged"},
      {"PhaseOne.iiq", imaging::Format::Tiff, "cannot read RAW data: its sensor data is cut short or damaged"},
      {"CanonRaw.cr2", imaging::Format::Raw, "cannot read RAW data: LibRaw 0.20"},
      // LibRaw 0.20 reads no Sigma X3F.
      {"Sigma.x3f", imaging::Format::Raw, "cannot read RAW data: LibRaw 0.20"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    INFO(c.file);
    CHECK(imaging::detect_format(test_support::slurp(kRaw / c.file).substr(0, 32)) == c.detected);
    const imaging::ThumbResult r = thumbnail(kRaw / c.file, dir / (std::string(c.file) + ".png"), 128);
    const std::string outcome = r.ok ? r.made_from : r.error;
    INFO(outcome);
    CHECK((outcome.rfind(c.outcome, 0) == 0 || (c.or_else != nullptr && outcome.rfind(c.or_else, 0) == 0)));
    CHECK(outcome.find('\n') == std::string::npos);
    if (r.ok) CHECK(cv::imread((dir / (std::string(c.file) + ".png")).string()).cols == 128);
  }
}

TEST_CASE("a RAW's preview when it covers twice the box, else LibRaw's half-size decode, both sRGB and alike",
          "[thumbs][raw]") {
  TempDir dir;
  // The DNG holds 1224x816 of sensor data and a 1024x683 JPEG preview.
  const imaging::ThumbResult small = thumbnail(kRaw / "canon_eos_6d.dng", dir / "small.png", 256);
  REQUIRE(small.ok);
  CHECK(small.made_from == "raw-preview");
  CHECK(small.width == 256);
  CHECK(small.height == 171);
  CHECK(small.source_width == 1224);
  CHECK(small.source_height == 816);
  const imaging::ThumbResult large = thumbnail(kRaw / "canon_eos_6d.dng", dir / "large.png", 600);
  REQUIRE(large.ok);
  CHECK(large.made_from == "raw-half-size");
  CHECK(large.width == 600);
  // The camera's rendering and LibRaw's (camera white balance, sRGB, its auto brightness) show the
  // same picture: a wrong channel order, curve or turn would differ by far more.
  const cv::Mat preview = cv::imread((dir / "small.png").string());
  cv::Mat decoded;
  cv::resize(cv::imread((dir / "large.png").string()), decoded, preview.size(), 0, 0, cv::INTER_AREA);
  CHECK(cv::norm(preview, decoded, cv::NORM_L1) / static_cast<double>(preview.total() * 3) < 16);
  const cv::Scalar p = cv::mean(preview);
  const cv::Scalar d = cv::mean(decoded);
  for (int c = 0; c < 3; ++c) CHECK(std::abs(p[c] - d[c]) < 12);
}

TEST_CASE("a RAW is turned by its own flip, from its preview and from its sensor data", "[thumbs][raw]") {
  TempDir dir;
  const fs::path turned = turned_dng(dir, 6);
  const imaging::ThumbResult upright = thumbnail(kRaw / "canon_eos_6d.dng", dir / "upright.png", 256);
  REQUIRE(upright.ok);
  const cv::Mat reference = cv::imread((dir / "upright.png").string());
  for (const int side : {256, 600}) {
    INFO(side);
    const imaging::ThumbResult r = thumbnail(turned, dir / "turned.png", side);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.made_from == (side == 256 ? "raw-preview" : "raw-half-size"));
    CHECK(r.source_width == 816);
    CHECK(r.source_height == 1224);
    // Turned back anticlockwise, it is the upright thumbnail again.
    cv::Mat back;
    cv::rotate(cv::imread((dir / "turned.png").string()), back, cv::ROTATE_90_COUNTERCLOCKWISE);
    cv::resize(back, back, reference.size(), 0, 0, cv::INTER_AREA);
    CHECK(cv::norm(back, reference, cv::NORM_L1) / static_cast<double>(reference.total() * 3) < 16);
  }
}

TEST_CASE("a RAW's capture date, camera and lens: libexiv2's, else LibRaw's", "[thumbs][raw][metadata]") {
  TempDir dir;
  const imaging::ThumbResult dng = thumbnail(kRaw / "canon_eos_6d.dng", dir / "dng.png", 64);
  REQUIRE(dng.ok);
  CHECK(dng.metadata.camera() == "Canon EOS 6D");
  CHECK(dng.metadata.lens == "EF24-105mm f/4L IS USM");
  CHECK(dng.metadata.captured.rfind("2019-06-06T", 0) == 0);
  // libexiv2 refuses this CR3's stripped boxes; LibRaw still reads its camera, lens and date.
  CHECK(imaging::read_metadata(test_support::slurp(kRaw / "CanonRaw.cr3")).camera().empty());
  const imaging::ThumbResult cr3 = thumbnail(kRaw / "CanonRaw.cr3", dir / "cr3.png", 64);
  REQUIRE(cr3.ok);
  CHECK(cr3.metadata.camera() == "Canon EOS M50");
  CHECK(cr3.metadata.lens == "EF-M15-45mm f/3.5-6.3 IS STM");
  CHECK(cr3.metadata.captured == "2018-02-21T12:08:56");
}

TEST_CASE("a RAW with more pixels than --max-pixels is refused before its data is read", "[thumbs][raw]") {
  TempDir dir;
  imaging::ThumbJob job;
  job.source = (kRaw / "canon_eos_6d.dng").string();
  job.outputs = {{(dir / "out.png").string(), {64, 64}}};
  job.max_pixels = 500000;
  const imaging::ThumbResult r = imaging::make_thumbnail(job);
  CHECK_FALSE(r.ok);
  CHECK(r.error == "too many pixels (1224x816 is more than the limit of 500000)");
}
