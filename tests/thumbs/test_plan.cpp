#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "images.hpp"
#include "plan.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using thumbs::Format;
using thumbs::Status;

namespace {
thumbs::Options options_for(const std::vector<std::string>& inputs, const std::string& out = "") {
  thumbs::Options o;
  o.inputs = inputs;
  o.out = out;
  return o;
}
const thumbs::Entry* find(const thumbs::Plan& p, const std::string& display_suffix) {
  for (const auto& e : p.entries) {
    if (e.display.size() >= display_suffix.size() &&
        e.display.compare(e.display.size() - display_suffix.size(), display_suffix.size(), display_suffix) == 0) {
      return &e;
    }
  }
  return nullptr;
}
thumbs::Plan plan(const thumbs::Options& o) {
  std::istringstream none;
  return thumbs::make_plan(o, none);
}
const std::string kJpeg = test_images::encode(test_images::quadrants(40, 30), ".jpg");
const std::string kPng = test_images::encode(test_images::quadrants(40, 30), ".png");
}  // namespace

TEST_CASE("output names keep the name when the extension fits the format", "[thumbs][plan]") {
  CHECK(thumbs::output_name("IMG_1.JPG", Format::Jpeg) == "IMG_1.JPG");
  CHECK(thumbs::output_name("a.jpeg", Format::Jpeg) == "a.jpeg");
  CHECK(thumbs::output_name("scan.tiff", Format::Jpeg) == "scan.tiff.jpg");
  CHECK(thumbs::output_name("logo.png", Format::Png) == "logo.png");
  CHECK(thumbs::output_name("logo.png", Format::Webp) == "logo.png.webp");
  CHECK(thumbs::output_name("photo", Format::Jpeg) == "photo.jpg");
  CHECK(thumbs::output_name(".hidden", Format::Jpeg) == ".hidden.jpg");
}

TEST_CASE("the tree is mirrored under the output root", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/a/IMG_1.JPG", kJpeg);
  test_images::write(dir / "in/b/c/scan.tif", test_images::encode(test_images::quadrants(8, 8), ".tiff"));
  test_images::write(dir / "in/logo.png", kPng);
  auto p = plan(options_for({(dir / "in").string()}, (dir / "out").string()));
  REQUIRE(p.entries.size() == 3);
  CHECK(find(p, "a/IMG_1.JPG")->outputs == std::vector<std::string>{(dir / "out/a/IMG_1.JPG").string()});
  CHECK(find(p, "c/scan.tif")->outputs == std::vector<std::string>{(dir / "out/b/c/scan.tif.jpg").string()});
  CHECK(find(p, "logo.png")->outputs == std::vector<std::string>{(dir / "out/logo.png").string()});
  for (const auto& e : p.entries) CHECK(e.status == Status::Pending);
}

TEST_CASE("several sizes go to one folder per size", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", kJpeg);
  auto o = options_for({(dir / "in").string()}, (dir / "out").string());
  o.sizes = {{75, 75}, {256, 128}};
  auto p = plan(o);
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].outputs ==
        std::vector<std::string>{(dir / "out/75x75/x.jpg").string(), (dir / "out/256x128/x.jpg").string()});
}

TEST_CASE("content decides: a PNG named .jpg is a PNG, text is ignored, a GIF is planned", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/fake.jpg", kPng);
  test_images::write(dir / "in/README.txt", "hello");
  test_images::write(dir / "in/.DS_Store", std::string("\0\0\0\1Bud1", 8));
  test_images::write(dir / "in/anim.gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;");
  test_images::write(dir / "in/noext", kJpeg);
  test_images::write(dir / "in/empty.jpg", "");
  test_images::write(dir / "in/notes.png", "not really a png");
  auto p = plan(options_for({(dir / "in").string()}, (dir / "out").string()));
  CHECK(p.entries.size() == 5);
  CHECK(find(p, "README.txt") == nullptr);
  CHECK(find(p, ".DS_Store") == nullptr);
  CHECK(find(p, "fake.jpg")->format == Format::Png);
  CHECK(find(p, "fake.jpg")->outputs.front() == (dir / "out/fake.jpg.png").string());
  CHECK(find(p, "anim.gif")->format == Format::Gif);
  CHECK(find(p, "anim.gif")->status == Status::Pending);
  CHECK(find(p, "noext")->status == Status::Pending);
  CHECK(find(p, "empty.jpg")->status == Status::Failed);
  CHECK(find(p, "empty.jpg")->note == "empty file");
  CHECK(find(p, "notes.png")->note == "not an image (unrecognised content)");
}

TEST_CASE("the output tree inside the input is never scanned", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", kJpeg);
  test_images::write(dir / "in/thumbs/x.jpg", kJpeg);  // an earlier run's output
  test_images::write(dir / "in/thumbs/deep/y.jpg", kJpeg);
  thumbs::Options o = options_for({(dir / "in").string()});
  CHECK(thumbs::output_root(o) == fs::weakly_canonical(dir / "in/thumbs"));
  auto p = plan(o);
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].display == (dir / "in/x.jpg").string());
}

TEST_CASE("two sources never map to one output", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "a/x.jpg", kJpeg);
  test_images::write(dir / "b/x.jpg", kJpeg);
  test_images::write(dir / "a/scan.tif", test_images::encode(test_images::quadrants(8, 8), ".tiff"));
  test_images::write(dir / "a/scan.tif.jpg", kJpeg);
  auto p = plan(options_for({(dir / "a").string(), (dir / "b").string()}, (dir / "out").string()));
  int failed = 0;
  for (const auto& e : p.entries) {
    if (e.status == Status::Failed) {
      ++failed;
      CHECK(e.note.find("is also the thumbnail of") != std::string::npos);
    }
  }
  CHECK(failed == 2);  // b/x.jpg collides with a/x.jpg, and one of the scan pair with the other
}

TEST_CASE("a default output root needs a single folder", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "x.jpg", kJpeg);
  CHECK_THROWS_AS(thumbs::output_root(options_for({(dir / "x.jpg").string()})), thumbs::UsageError);
  CHECK_THROWS_AS(thumbs::output_root(options_for({dir.path.string(), dir.path.string()})), thumbs::UsageError);
  CHECK_THROWS_AS(thumbs::output_root(options_for({"-"})), thumbs::UsageError);
}

TEST_CASE("links to folders are not followed, links to files are", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/real/x.jpg", kJpeg);
  test_images::write(dir / "elsewhere/y.jpg", kJpeg);
  fs::create_directory_symlink(dir / "in", dir / "in/real/loop");  // a cycle
  fs::create_symlink(dir / "elsewhere/y.jpg", dir / "in/y.jpg");
  auto p = plan(options_for({(dir / "in").string()}, (dir / "out").string()));
  CHECK(p.entries.size() == 2);
  CHECK(find(p, "real/x.jpg") != nullptr);
  CHECK(find(p, "in/y.jpg") != nullptr);
}

TEST_CASE("odd but valid names just work", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/with space.jpg", kJpeg);
  test_images::write(dir / "in/ünïcødé 写真.jpg", kJpeg);
  test_images::write(dir / "in/-dash.jpg", kJpeg);
  test_images::write(dir / "in/folder.jpg/inside.jpg", kJpeg);
  auto p = plan(options_for({(dir / "in").string()}, (dir / "out").string()));
  CHECK(p.entries.size() == 4);
  for (const auto& e : p.entries) CHECK(e.status == Status::Pending);
  CHECK(find(p, "folder.jpg/inside.jpg")->outputs.front() == (dir / "out/folder.jpg/inside.jpg").string());
}

TEST_CASE("paths can come from stdin", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "x.jpg", kJpeg);
  test_images::write(dir / "y.png", kPng);
  thumbs::Options o = options_for({"-"}, (dir / "out").string());
  std::istringstream in((dir / "x.jpg").string() + "\n\n" + (dir / "y.png").string() + "\r\n" +
                        (dir / "nope.jpg").string() + "\n");
  auto p = thumbs::make_plan(o, in);
  REQUIRE(p.entries.size() == 3);
  CHECK(p.entries[0].outputs.front() == (dir / "out/x.jpg").string());
  CHECK(p.entries[2].status == Status::Failed);
  CHECK(p.entries[2].note == "no such file or directory");
}

TEST_CASE("thumbnails newer than their source and made with the same options are up to date", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", kJpeg);
  test_images::write(dir / "in/y.jpg", kJpeg);
  auto o = options_for({(dir / "in").string()}, (dir / "out").string());
  // Thumbnails exist, newer than the sources, but no state file: not trusted.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  test_images::write(dir / "out/x.jpg", kJpeg);
  test_images::write(dir / "out/y.jpg", kJpeg);
  CHECK(plan(o).entries[0].status == Status::Pending);
  // A state with these options that does not list the thumbnails: not trusted either.
  thumbs::write_state(dir / "out", {thumbs::options_signature(o), {"y.jpg"}});
  CHECK(plan(o).entries[0].status == Status::Pending);
  CHECK(plan(o).entries[1].status == Status::Skipped);
  thumbs::write_state(dir / "out", {thumbs::options_signature(o), {"x.jpg", "y.jpg"}});
  auto p = plan(o);
  CHECK(p.entries[0].status == Status::Skipped);
  CHECK(p.entries[0].note == "up to date");
  // A source touched after its thumbnail is rebuilt.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  test_images::write(dir / "in/y.jpg", kJpeg);
  p = plan(o);
  CHECK(find(p, "y.jpg")->status == Status::Pending);
  // Other options, or --force: everything is rebuilt.
  auto bigger = o;
  bigger.sizes = {{256, 256}};
  CHECK(plan(bigger).entries[0].status == Status::Pending);
  auto forced = o;
  forced.force = true;
  CHECK(plan(forced).entries[0].status == Status::Pending);
}

TEST_CASE("stale temporary files are removed, thumbnails are not", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "out/a/x.jpg", kJpeg);
  test_images::write(dir / "out/a/x.jpg.tmp-abc123", "partial");
  test_images::write(dir / "out/y.png.tmp-zz9zz9", "partial");
  CHECK(thumbs::remove_stale_temporaries(dir / "out") == 2);
  CHECK(fs::exists(dir / "out/a/x.jpg"));
  CHECK_FALSE(fs::exists(dir / "out/y.png.tmp-zz9zz9"));
}
