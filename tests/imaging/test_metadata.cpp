// Capture date, camera and lens through libexiv2, in every format a photo comes in, and on to the
// thumbnail's result: EXIF first (DateTimeOriginal with OffsetTimeOriginal), else XMP. Inputs are
// written here (OpenCV for the pixels, libexiv2 or libheif for the metadata), plus camera JPEGs
// from ExifTool's test images (tests/data/README.md).

#include <catch2/catch.hpp>

#include <libheif/heif.h>
#include <exiv2/exif.hpp>
#include <exiv2/image.hpp>
#include <exiv2/xmp_exiv2.hpp>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "files.hpp"
#include "images.hpp"
#include "metadata.hpp"
#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

Exiv2::ExifData camera_exif() {
  Exiv2::ExifData exif;
  exif["Exif.Image.Make"] = "NIKON CORPORATION";
  exif["Exif.Image.Model"] = "NIKON D850";
  exif["Exif.Photo.DateTimeOriginal"] = "2024:05:04 13:22:01";
  exif["Exif.Photo.OffsetTimeOriginal"] = "+02:00";
  exif["Exif.Photo.LensModel"] = "AF-S NIKKOR 24-70mm f/2.8E ED VR";
  return exif;
}

// Writes `exif` and `xmp` into the image file at `path` with libexiv2.
void add_metadata(const fs::path& path, const Exiv2::ExifData& exif, const Exiv2::XmpData& xmp = {}) {
  auto image = Exiv2::ImageFactory::open(path.string());
  image->readMetadata();
  image->setExifData(exif);
  image->setXmpData(xmp);
  image->writeMetadata();
}

// An AVIF (or HEIC) of `pixels` with an EXIF block, written with libheif; false when no encoder.
bool write_heif_with_exif(const fs::path& path, const Exiv2::ExifData& exif) {
  heif_context* context = heif_context_alloc();
  heif_encoder* encoder = nullptr;
  if (heif_context_get_encoder_for_format(context, heif_compression_AV1, &encoder).code != heif_error_Ok &&
      heif_context_get_encoder_for_format(context, heif_compression_HEVC, &encoder).code != heif_error_Ok) {
    heif_context_free(context);
    return false;
  }
  heif_image* image = nullptr;
  heif_image_create(64, 48, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &image);
  heif_image_add_plane(image, heif_channel_interleaved, 64, 48, 8);
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 64 * 3; ++x) plane[y * stride + x] = static_cast<uint8_t>(x + y);
  }
  heif_image_handle* handle = nullptr;
  heif_context_encode_image(context, image, encoder, nullptr, &handle);
  Exiv2::Blob blob;
  Exiv2::ExifParser::encode(blob, Exiv2::littleEndian, exif);
  heif_context_add_exif_metadata(context, handle, blob.data(), static_cast<int>(blob.size()));
  const bool ok = heif_context_write_to_file(context, path.c_str()).code == heif_error_Ok;
  heif_image_handle_release(handle);
  heif_image_release(image);
  heif_encoder_release(encoder);
  heif_context_free(context);
  return ok;
}

imaging::ThumbResult thumbnail(const fs::path& source, const TempDir& dir) {
  imaging::ThumbJob job;
  job.source = source.string();
  job.outputs = {{(dir / (source.filename().string() + ".thumb.png")).string(), {32, 32}}};
  job.format = imaging::OutputFormat::Png;
  return imaging::make_thumbnail(job);
}

}  // namespace

TEST_CASE("EXIF capture date with its offset, camera and lens come back in every format", "[thumbs][metadata]") {
  TempDir dir;
  const cv::Mat pixels = test_images::quadrants(64, 48);
  const Exiv2::ExifData exif = camera_exif();
  for (const char* name : {"photo.jpg", "photo.png", "photo.webp", "photo.tif", "photo.avif"}) {
    INFO(name);
    const fs::path path = dir / name;
    if (path.extension() == ".avif") {
      if (!write_heif_with_exif(path, exif)) continue;  // neither AV1 nor HEVC encoder: nothing to read
    } else {
      test_images::write(path, test_images::encode(pixels, path.extension().string()));
      add_metadata(path, exif);
    }
    const imaging::ThumbResult r = thumbnail(path, dir);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.metadata.captured == "2024-05-04T13:22:01+02:00");
    CHECK(r.metadata.make == "NIKON CORPORATION");
    CHECK(r.metadata.model == "NIKON D850");
    CHECK(r.metadata.camera() == "NIKON D850");
    CHECK(r.metadata.lens == "AF-S NIKKOR 24-70mm f/2.8E ED VR");
  }
}

TEST_CASE("without EXIF, the capture date, camera and lens come from XMP", "[thumbs][metadata]") {
  TempDir dir;
  Exiv2::XmpData xmp;
  xmp["Xmp.photoshop.DateCreated"] = "2019-12-31T23:59:58.25-05:00";
  xmp["Xmp.tiff.Make"] = "FUJIFILM";
  xmp["Xmp.tiff.Model"] = "X-T3";
  xmp["Xmp.aux.Lens"] = "XF16-55mmF2.8 R LM WR";
  for (const char* name : {"xmp.jpg", "xmp.png"}) {
    INFO(name);
    const fs::path path = dir / name;
    test_images::write(path, test_images::encode(test_images::quadrants(40, 30), path.extension().string()));
    add_metadata(path, Exiv2::ExifData{}, xmp);
    const imaging::Metadata m = imaging::read_metadata(test_support::slurp(path));
    CHECK(m.captured == "2019-12-31T23:59:58-05:00");
    CHECK(m.camera() == "FUJIFILM X-T3");
    CHECK(m.lens == "XF16-55mmF2.8 R LM WR");
  }
}

TEST_CASE("EXIF's capture date wins over XMP's, and a date without an offset stays local", "[thumbs][metadata]") {
  TempDir dir;
  Exiv2::ExifData exif;
  exif["Exif.Photo.DateTimeOriginal"] = "2001:01:01 01:11:11";
  Exiv2::XmpData xmp;
  xmp["Xmp.photoshop.DateCreated"] = "1993-01-01T03:11:11+01:00";
  const fs::path path = dir / "both.jpg";
  test_images::write(path, test_images::encode(test_images::quadrants(40, 30), ".jpg"));
  add_metadata(path, exif, xmp);
  CHECK(imaging::read_metadata(test_support::slurp(path)).captured == "2001-01-01T01:11:11");
}

TEST_CASE("an orientation stored only in XMP turns the thumbnail upright, and EXIF's wins over it",
          "[thumbs][metadata][orientation]") {
  TempDir dir;
  // Landscape quadrants, stored red top-left; turned 90 degrees clockwise (6) blue is top-left.
  const cv::Mat stored = test_images::quadrants(120, 80);
  for (const char* name : {"xmp6.jpg", "xmp6.png", "xmp6.webp", "xmp6.tif"}) {
    INFO(name);
    const fs::path path = dir / name;
    test_images::write(path, test_images::encode(stored, path.extension().string()));
    Exiv2::XmpData xmp;
    xmp["Xmp.tiff.Orientation"] = uint16_t{6};
    add_metadata(path, Exiv2::ExifData{}, xmp);
    CHECK(imaging::read_metadata(test_support::slurp(path)).orientation == 6);
    const imaging::ThumbResult r = thumbnail(path, dir);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.source_width == 80);
    CHECK(r.source_height == 120);
    const cv::Mat t = cv::imread((dir / (std::string(name) + ".thumb.png")).string(), cv::IMREAD_COLOR);
    REQUIRE(t.size() == cv::Size(21, 32));
    CHECK(cv::norm(t.at<cv::Vec3b>(2, 2), cv::Vec3b(255, 0, 0), cv::NORM_INF) < 40);
    CHECK(cv::norm(t.at<cv::Vec3b>(2, 18), cv::Vec3b(0, 0, 255), cv::NORM_INF) < 40);
  }
  Exiv2::ExifData exif;
  exif["Exif.Image.Orientation"] = uint16_t{3};
  Exiv2::XmpData xmp;
  xmp["Xmp.tiff.Orientation"] = uint16_t{6};
  const fs::path both = dir / "both.jpg";
  test_images::write(both, test_images::encode(stored, ".jpg"));
  add_metadata(both, exif, xmp);
  CHECK(imaging::read_metadata(test_support::slurp(both)).orientation == 3);
}

TEST_CASE("camera JPEGs: the lens named by the maker's own EXIF tags", "[thumbs][metadata]") {
  const fs::path cameras = fs::path(CONC_TEST_DATA) / "cameras";
  struct Case {
    const char* file;
    const char* captured;
    const char* camera;
    const char* lens;
  };
  const Case cases[] = {
      {"Canon.jpg", "2003-12-04T06:46:52", "Canon EOS DIGITAL REBEL", ""},
      {"NikonD70.jpg", "2005-01-14T08:57:59", "NIKON D70", "Nikon AF-S DX Zoom-Nikkor 18-70mm f/3.5-4.5G IF-ED"},
      {"Pentax.jpg", "2008-03-02T12:01:23", "PENTAX K10D", "Sigma AF 10-20mm F4-5.6 EX DC"},
      {"Apple.jpg", "2016-09-28T18:18:05", "Apple iPhone 7", "iPhone 7 back camera 3.99mm f/1.8"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    INFO(c.file);
    const imaging::ThumbResult r = thumbnail(cameras / c.file, dir);
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(r.metadata.captured == c.captured);
    CHECK(r.metadata.camera() == c.camera);
    CHECK(r.metadata.lens == c.lens);
  }
}

TEST_CASE("metadata crosses to the parent process and back unchanged", "[thumbs][metadata]") {
  imaging::ThumbResult r;
  r.ok = true;
  r.metadata.captured = "2024-05-04T13:22:01+02:00";
  r.metadata.make = "Canon";
  r.metadata.model = "Canon EOS R5";
  r.metadata.lens = "RF24-70mm F2.8 L IS USM";
  const nlohmann::json j = r;
  CHECK(j.at("meta").at("camera") == "Canon EOS R5");
  CHECK(j.get<imaging::ThumbResult>().metadata == r.metadata);
  imaging::ThumbResult bare;
  bare.ok = true;
  CHECK(nlohmann::json(bare).get<imaging::ThumbResult>().metadata == imaging::Metadata{});
}

TEST_CASE("dates become ISO 8601, and a blank or malformed one is no date", "[thumbs][metadata]") {
  CHECK(imaging::iso_date("2024:05:04 13:22:01") == "2024-05-04T13:22:01");
  CHECK(imaging::iso_date("2024:05:04 13:22:01", "+02:00") == "2024-05-04T13:22:01+02:00");
  CHECK(imaging::iso_date("2024:05:04 13:22:01", "-0530") == "2024-05-04T13:22:01-05:30");
  CHECK(imaging::iso_date("2024:05:04 13:22:01", "   :  ") == "2024-05-04T13:22:01");
  CHECK(imaging::iso_date("2024-05-04T13:22:01.123Z") == "2024-05-04T13:22:01Z");
  CHECK(imaging::iso_date("2024-05-04T13:22+01:00") == "2024-05-04T13:22:00+01:00");
  CHECK(imaging::iso_date("2024-05-04") == "2024-05-04");
  CHECK(imaging::iso_date("0000:00:00 00:00:00").empty());
  CHECK(imaging::iso_date("    :  :     :  :  ").empty());
  CHECK(imaging::iso_date("2024:13:04 13:22:01").empty());
  CHECK(imaging::iso_date("2024:05:04 25:22:01").empty());
  CHECK(imaging::iso_date("2024:05:04 13:22:01 junk").empty());
  CHECK(imaging::iso_date("").empty());
}

TEST_CASE("the camera's name: make and model without saying the brand twice", "[thumbs][metadata]") {
  const auto camera = [](const char* make, const char* model) {
    imaging::Metadata m;
    m.make = make;
    m.model = model;
    return m.camera();
  };
  CHECK(camera("Canon", "Canon EOS R5") == "Canon EOS R5");
  CHECK(camera("NIKON CORPORATION", "NIKON D850") == "NIKON D850");
  CHECK(camera("FUJIFILM", "X-T3") == "FUJIFILM X-T3");
  CHECK(camera("Apple", "") == "Apple");
  CHECK(camera("", "").empty());
}

TEST_CASE("a file without metadata, or with broken metadata, gives none and still its thumbnail",
          "[thumbs][metadata]") {
  TempDir dir;
  CHECK(imaging::read_metadata("").empty());
  CHECK(imaging::read_metadata("not an image at all").empty());
  const std::string plain = test_images::encode(test_images::quadrants(40, 30), ".jpg");
  CHECK(imaging::read_metadata(plain).empty());
  // An EXIF segment whose IFD points past its end.
  std::string broken = test_images::with_exif_orientation(plain, 6);
  broken[2 + 4 + 6 + 4 + 3] = '\x7F';
  const fs::path path = dir / "broken.jpg";
  test_images::write(path, broken);
  const imaging::ThumbResult r = thumbnail(path, dir);
  INFO(r.error);
  CHECK(r.ok);
}
