// Embedded previews (--embedded-preview): a JPEG's EXIF thumbnail or MPF preview stands in for the
// photo only when asked, only when it is at least twice the box and only when it shows the photo's
// frame (a letterboxed 160x120 thumbnail of a 3:2 photo never does). The previews here show another
// picture than the photo, so a thumbnail tells which one it was made from. Inputs are written here:
// the pixels with OpenCV, the EXIF thumbnail with libexiv2, the MPF index by hand (CIPA DC-007).

#include <catch2/catch.hpp>

#include <exiv2/exif.hpp>
#include <exiv2/image.hpp>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "files.hpp"
#include "images.hpp"
#include "mpf.hpp"
#include "preview_rule.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

const cv::Vec3b kGrey(128, 128, 128);

cv::Mat solid(int width, int height, cv::Vec3b colour) { return cv::Mat(height, width, CV_8UC3, cv::Scalar(colour)); }

// `photo` (a JPEG) with `thumbnail` (a JPEG) as its EXIF thumbnail, and orientation when not 0.
std::string with_exif_thumbnail(const TempDir& dir, const std::string& photo, const std::string& thumbnail,
                                int orientation = 0) {
  const fs::path path = dir / "exif-thumbnail.jpg";
  test_images::write(path, photo);
  auto image = Exiv2::ImageFactory::open(path.string());
  image->readMetadata();
  Exiv2::ExifData exif;
  if (orientation != 0) exif["Exif.Image.Orientation"] = static_cast<uint16_t>(orientation);
  Exiv2::ExifThumb(exif).setJpegThumbnail(reinterpret_cast<const Exiv2::byte*>(thumbnail.data()),
                                          static_cast<long>(thumbnail.size()));
  image->setExifData(exif);
  image->writeMetadata();
  return test_support::slurp(path);
}

void put16(std::string& s, unsigned v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v & 0xFF);
}
void put32(std::string& s, unsigned v) {
  put16(s, v >> 16);
  put16(s, v & 0xFFFF);
}

// `photo` (a JPEG) with an MPF index in APP2 listing itself and `preview`, appended after its end,
// as cameras write their large previews.
std::string with_mpf_preview(const std::string& photo, const std::string& preview) {
  std::string tiff = "MM";
  put16(tiff, 42);
  put32(tiff, 8);
  put16(tiff, 3);  // MPFVersion, NumberOfImages, MPEntry
  put16(tiff, 0xB000), put16(tiff, 7), put32(tiff, 4), tiff += "0100";
  put16(tiff, 0xB001), put16(tiff, 4), put32(tiff, 1), put32(tiff, 2);
  const unsigned entries_at = 8 + 2 + 3 * 12 + 4;
  put16(tiff, 0xB002), put16(tiff, 7), put32(tiff, 32), put32(tiff, entries_at);
  put32(tiff, 0);  // no next IFD
  const std::size_t entry_fields = tiff.size();
  tiff += std::string(32, '\0');
  std::string app2 = "\xFF\xE2";
  put16(app2, static_cast<unsigned>(2 + 4 + tiff.size()));
  const std::string head = photo.substr(0, 2) + app2 + std::string("MPF\0", 4);
  const std::size_t base = head.size();  // where the TIFF header starts: MPF offsets count from it
  const std::size_t first_size = head.size() + tiff.size() + photo.size() - 2;
  std::string entries;
  put32(entries, 0x20030000), put32(entries, static_cast<unsigned>(first_size)), put32(entries, 0), put32(entries, 0);
  put32(entries, 0x00010001), put32(entries, static_cast<unsigned>(preview.size()));
  put32(entries, static_cast<unsigned>(first_size - base)), put32(entries, 0);
  tiff.replace(entry_fields, 32, entries);
  return head + tiff + photo.substr(2) + preview;
}

struct Made {
  imaging::ThumbResult result;
  cv::Mat pixels;
};

Made thumbnail(const TempDir& dir, const std::string& bytes, int side, bool embedded_preview) {
  test_images::write(dir / "in.jpg", bytes);
  imaging::ThumbJob job;
  job.source = (dir / "in.jpg").string();
  job.outputs = {{(dir / "out.png").string(), {side, side}}};
  job.format = imaging::OutputFormat::Png;
  job.embedded_preview = embedded_preview;
  Made made{imaging::make_thumbnail(job), {}};
  if (made.result.ok) made.pixels = cv::imread((dir / "out.png").string(), cv::IMREAD_COLOR);
  return made;
}

bool near(const cv::Vec3b& a, const cv::Vec3b& b) { return cv::norm(a, b, cv::NORM_INF) < 30; }

}  // namespace

TEST_CASE("a stale EXIF thumbnail is used only with --embedded-preview", "[thumbs][preview]") {
  TempDir dir;
  const std::string photo = test_images::encode(test_images::quadrants(640, 480), ".jpg");
  const std::string stale = test_images::encode(solid(320, 240, kGrey), ".jpg");
  const std::string jpeg = with_exif_thumbnail(dir, photo, stale);

  const Made plain = thumbnail(dir, jpeg, 160, false);
  REQUIRE(plain.result.ok);
  CHECK(plain.result.made_from == "image");
  CHECK(near(plain.pixels.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 0, 255)));  // the photo's red quadrant

  const Made preview = thumbnail(dir, jpeg, 160, true);
  REQUIRE(preview.result.ok);
  CHECK(preview.result.made_from == "exif-thumbnail");
  CHECK(preview.pixels.size() == cv::Size(160, 120));
  CHECK(near(preview.pixels.at<cv::Vec3b>(5, 5), kGrey));
  CHECK(preview.result.source_width == 640);  // the photo's own size, whatever the thumbnail came from

  // 320x240 is not twice a 200 box's 200x150: the photo itself.
  CHECK(thumbnail(dir, jpeg, 200, true).result.made_from == "image");
}

TEST_CASE("a letterboxed EXIF thumbnail is refused, one with the photo's aspect ratio is used", "[thumbs][preview]") {
  TempDir dir;
  const std::string photo = test_images::encode(test_images::quadrants(600, 400), ".jpg");
  // The 3:2 picture in a 4:3 160x120 frame, with black bars above and below: as many cameras do.
  cv::Mat letterboxed = solid(160, 120, cv::Vec3b(0, 0, 0));
  solid(160, 107, kGrey).copyTo(letterboxed(cv::Rect(0, 6, 160, 107)));
  const Made boxed =
      thumbnail(dir, with_exif_thumbnail(dir, photo, test_images::encode(letterboxed, ".jpg")), 60, true);
  REQUIRE(boxed.result.ok);
  CHECK(boxed.result.made_from == "image");
  CHECK(near(boxed.pixels.at<cv::Vec3b>(2, 2), cv::Vec3b(0, 0, 255)));

  const std::string fitting = test_images::encode(solid(160, 107, kGrey), ".jpg");
  const Made used = thumbnail(dir, with_exif_thumbnail(dir, photo, fitting), 60, true);
  REQUIRE(used.result.ok);
  CHECK(used.result.made_from == "exif-thumbnail");
  CHECK(used.pixels.size() == cv::Size(60, 40));
  CHECK(near(used.pixels.at<cv::Vec3b>(2, 2), kGrey));
}

TEST_CASE("an MPF preview serves larger boxes, and the smallest preview that serves is the one decoded",
          "[thumbs][preview]") {
  TempDir dir;
  const std::string photo = test_images::encode(test_images::quadrants(1200, 800), ".jpg");
  const cv::Vec3b dark(40, 40, 40);
  const std::string large = test_images::encode(solid(600, 400, dark), ".jpg");
  const std::string small = test_images::encode(solid(240, 160, kGrey), ".jpg");
  const std::string jpeg = with_mpf_preview(with_exif_thumbnail(dir, photo, small), large);
  REQUIRE(imaging::mpf_images(jpeg).size() == 1);
  CHECK(imaging::mpf_images(jpeg).front() == large);

  const Made mpf = thumbnail(dir, jpeg, 250, true);  // 250x167 needs 500x334: the MPF preview
  REQUIRE(mpf.result.ok);
  CHECK(mpf.result.made_from == "mpf-preview");
  CHECK(near(mpf.pixels.at<cv::Vec3b>(5, 5), dark));
  const Made exif = thumbnail(dir, jpeg, 100, true);  // 100x67 needs 200x134: both serve, the smaller wins
  REQUIRE(exif.result.ok);
  CHECK(exif.result.made_from == "exif-thumbnail");
  const Made main = thumbnail(dir, jpeg, 400, true);  // 400x267 needs 800x534: only the photo
  REQUIRE(main.result.ok);
  CHECK(main.result.made_from == "image");
  CHECK(near(main.pixels.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 0, 255)));
  CHECK(thumbnail(dir, jpeg, 250, false).result.made_from == "image");
}

TEST_CASE("a preview is turned by the photo's orientation", "[thumbs][preview][orientation]") {
  TempDir dir;
  const std::string photo = test_images::encode(test_images::quadrants(640, 480), ".jpg");
  const std::string preview = test_images::encode(test_images::quadrants(320, 240), ".jpg");
  const Made made = thumbnail(dir, with_exif_thumbnail(dir, photo, preview, 6), 100, true);
  REQUIRE(made.result.ok);
  CHECK(made.result.made_from == "exif-thumbnail");
  REQUIRE(made.pixels.size() == cv::Size(75, 100));
  // Turned clockwise: the stored bottom-left (blue) is top-left, the stored top-left (red) top-right.
  CHECK(near(made.pixels.at<cv::Vec3b>(5, 5), cv::Vec3b(255, 0, 0)));
  CHECK(near(made.pixels.at<cv::Vec3b>(5, 70), cv::Vec3b(0, 0, 255)));
}

TEST_CASE("a broken MPF index or preview costs nothing", "[thumbs][preview]") {
  TempDir dir;
  const std::string photo = test_images::encode(test_images::quadrants(1200, 800), ".jpg");
  std::string jpeg = with_mpf_preview(photo, test_images::encode(solid(600, 400, kGrey), ".jpg"));
  // The preview cut short: still listed, no longer whole.
  const std::string cut = jpeg.substr(0, jpeg.size() - 100);
  CHECK(imaging::mpf_images(cut).empty());
  const Made made = thumbnail(dir, cut, 250, true);
  REQUIRE(made.result.ok);
  CHECK(made.result.made_from == "image");
  // An index that points past the end, or at no JPEG.
  for (std::size_t at = 0; at + 4 <= 200 && at + 4 <= jpeg.size(); ++at) {
    std::string broken = jpeg;
    broken[at] = static_cast<char>(broken[at] ^ 0x5A);
    (void)imaging::mpf_images(broken);
  }
}

TEST_CASE("the aspect rule: within a pixel, or 1% of a side", "[thumbs][preview]") {
  CHECK(imaging::same_aspect(160, 107, 6000, 4000));
  CHECK(imaging::same_aspect(160, 106, 6000, 4000));
  CHECK_FALSE(imaging::same_aspect(160, 120, 6000, 4000));  // a letterboxed 4:3 thumbnail of a 3:2 photo
  CHECK(imaging::same_aspect(1024, 683, 1224, 816));
  CHECK(imaging::same_aspect(5472, 3648, 5496, 3670));  // a camera's JPEG crop of its sensor's area
  CHECK_FALSE(imaging::same_aspect(1920, 1080, 4000, 3000));
  CHECK_FALSE(imaging::same_aspect(0, 0, 4000, 3000));
  const std::vector<imaging::Box> box{{160, 160}};
  const std::vector<imaging::Fit> fit{imaging::Fit::Contain};
  CHECK(imaging::preview_serves(320, 214, 6000, 4000, box, fit));  // twice 160x107
  CHECK_FALSE(imaging::preview_serves(300, 200, 6000, 4000, box, fit));
}
