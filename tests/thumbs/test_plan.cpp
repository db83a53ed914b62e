#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "atomic_file.hpp"
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

TEST_CASE("paths from stdin keep their tree below OUT", "[thumbs][plan][stdin]") {
  TempDir dir;
  test_images::write(dir / "a/x.jpg", kJpeg);
  test_images::write(dir / "b/x.jpg", kJpeg);
  test_images::write(dir / "b/deep/y.png", kPng);
  const fs::path root = fs::weakly_canonical(dir.path);
  SECTION("absolute paths with --root: by their path below it") {
    thumbs::Options o = options_for({"-"}, (dir / "out").string());
    o.root = root.string();
    std::istringstream in((root / "a/x.jpg").string() + "\n" + (root / "b/x.jpg").string() + "\r\n" +
                          (root / "b/deep").string() + "\n" + (root / "nope.jpg").string() + "\n");
    auto p = thumbs::make_plan(o, in);
    REQUIRE(p.entries.size() == 4);
    CHECK(p.entries[0].outputs.front() == (root / "out/a/x.jpg").string());
    CHECK(p.entries[1].outputs.front() == (root / "out/b/x.jpg").string());
    CHECK(p.entries[2].outputs.front() == (root / "out/b/deep/y.png").string());
    for (std::size_t i = 0; i < 3; ++i) CHECK(p.entries[i].status == Status::Pending);
    CHECK(p.entries[3].status == Status::Failed);
    CHECK(p.entries[3].note == "no such file or directory");
  }
  SECTION("absolute paths without --root: by their whole path") {
    thumbs::Options o = options_for({"-"}, (dir / "out").string());
    std::istringstream in((root / "a/x.jpg").string() + "\n");
    auto p = thumbs::make_plan(o, in);
    REQUIRE(p.entries.size() == 1);
    CHECK(p.entries[0].outputs.front() == (root / "out").string() + (root / "a/x.jpg").string());
  }
  SECTION("a path outside --root is refused, not flattened") {
    thumbs::Options o = options_for({"-"}, (dir / "out").string());
    o.root = (root / "a").string();
    std::istringstream in((root / "b/x.jpg").string() + "\n" + (root / "a/../b/x.jpg").string() + "\n");
    auto p = thumbs::make_plan(o, in);
    REQUIRE(p.entries.size() == 2);
    for (const auto& e : p.entries) {
      CHECK(e.status == Status::Failed);
      CHECK(e.note == "not below --root " + (root / "a").string());
    }
  }
  SECTION("-0 and --root need paths on stdin") {
    thumbs::Options o = options_for({(dir / "a").string()}, (dir / "out").string());
    o.null_separated = true;
    CHECK_THROWS_AS(plan(o), thumbs::UsageError);
    o.null_separated = false;
    o.root = root.string();
    CHECK_THROWS_AS(plan(o), thumbs::UsageError);
  }
}

TEST_CASE("paths from stdin: -0 takes any byte but NUL, and lines are never cut at a NUL", "[thumbs][plan][stdin]") {
  TempDir dir;
  const fs::path root = fs::weakly_canonical(dir.path);
  const std::string odd = "new\nline\\ caf\xE9.jpg";
  test_images::write(root / odd, kJpeg);
  test_images::write(root / "y.jpg", kJpeg);
  const std::string nul_list = (root / odd).string() + std::string(1, '\0') + (root / "y.jpg").string() + '\0';
  thumbs::Options o = options_for({"-"}, (dir / "out").string());
  o.root = root.string();
  SECTION("with -0") {
    o.null_separated = true;
    std::istringstream in(nul_list);
    auto p = thumbs::make_plan(o, in);
    REQUIRE(p.entries.size() == 2);
    CHECK(p.entries[0].outputs.front() == (root / "out" / odd).string());
    CHECK(p.entries[0].status == Status::Pending);
    CHECK(p.entries[1].outputs.front() == (root / "out/y.jpg").string());
  }
  SECTION("without -0, NUL-separated paths are one line, refused with its number") {
    std::istringstream in((root / "y.jpg").string() + "\n\n" + (root / "y.jpg").string() + std::string(1, '\0') +
                          (root / "y.jpg").string() + '\0' + "\n");
    auto p = thumbs::make_plan(o, in);
    REQUIRE(p.entries.size() == 3);
    CHECK(p.entries[0].status == Status::Pending);
    CHECK(p.entries[1].display == "stdin, line 2");
    CHECK(p.entries[1].note == "an empty line");
    CHECK(p.entries[2].display == "stdin, line 3");
    CHECK(p.entries[2].status == Status::Failed);
    CHECK(p.entries[2].note.find("NUL") != std::string::npos);
  }
}

TEST_CASE("conc output folders are never walked, wherever they are", "[thumbs][plan][outputs]") {
  TempDir dir;
  test_images::write(dir / "photos/x.jpg", kJpeg);
  test_images::write(dir / "photos/old/x.jpg", kJpeg);  // an earlier run's thumbnails, with its state file
  test_images::write(dir / "photos/old/.conc-thumbs.json", "{}\n");
  test_images::write(dir / "photos/site/y.jpg", kJpeg);  // a gallery's
  test_images::write(dir / "photos/site/.conc-gallery.json", "{}\n");
  test_images::write(dir / "photos/part/z.jpg", kJpeg);  // a shard's
  test_images::write(dir / "photos/part/.conc-thumbs.shard-0001-of-0004.json", "{}\n");
  test_images::write(dir / "photos/web/w.jpg", kJpeg);  // this run's own output folder, named by a link
  test_images::write(dir / "photos/notes/.conc-thumbs.json.txt", "a user's file");
  test_images::write(dir / "photos/notes/n.jpg", kJpeg);
  fs::create_directory_symlink(dir / "photos/web", dir / "elsewhere");
  auto p = plan(options_for({(dir / "photos").string()}, (dir / "elsewhere").string()));
  std::set<std::string> planned;
  for (const auto& e : p.entries) planned.insert(e.relative);
  CHECK(planned == std::set<std::string>{"x.jpg", "notes/n.jpg"});
  CHECK(p.output_folders.size() == 4);
  CHECK(p.notes.empty());

  SECTION("an input that is an output folder is said and left out") {
    auto q = plan(options_for({(dir / "photos/old").string()}, (dir / "out").string()));
    CHECK(q.entries.empty());
    REQUIRE(q.notes.size() == 1);
    CHECK(q.notes[0] == (dir / "photos/old").string() + ": not walked, it holds the output of a conc run");
    auto r = plan(options_for({(dir / "photos/web").string()}, (dir / "photos/web").string()));
    CHECK(r.entries.empty());
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0] == (dir / "photos/web").string() + ": not walked, it is the output folder");
  }
  SECTION("paths from stdin below an output folder are left out") {
    thumbs::Options o = options_for({"-"}, (dir / "elsewhere").string());
    o.root = fs::weakly_canonical(dir.path).string();
    std::istringstream in((dir / "photos/x.jpg").string() + "\n" + (dir / "photos/old/x.jpg").string() + "\n" +
                          (dir / "photos/web/w.jpg").string() + "\n" + (dir / "photos/old").string() + "\n");
    auto q = thumbs::make_plan(o, in);
    REQUIRE(q.entries.size() == 1);
    CHECK(q.entries[0].relative == "photos/x.jpg");
    CHECK(q.output_folders.size() == 2);
  }
}

TEST_CASE("a thumbnail never replaces its source", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", kJpeg);
  auto p = plan(options_for({(dir / "in/x.jpg").string()}, (dir / "in").string()));
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].status == Status::Failed);
  CHECK(p.entries[0].note == "its thumbnail " + p.entries[0].outputs.front() + " would replace it");
}

TEST_CASE("names are bytes: each is planned under the same name, or refused when too long", "[thumbs][plan]") {
  TempDir dir;
  const std::vector<std::string> names = {"caf\xE9.jpg",     "new\nline.jpg",
                                          "-dash.jpg",       "e\xCC\x81t\xCC\x81.jpg",
                                          "back\\slash.jpg", std::string(251, 'n') + ".jpg"};
  for (const std::string& name : names) test_images::write(dir / "in/sub\xFF" / name, kJpeg);
  const std::string tiff = test_images::encode(test_images::quadrants(8, 8), ".tiff");
  test_images::write(dir / "in" / (std::string(251, 't') + ".tif"), tiff);
  test_images::write(dir / "in" / (std::string(247, 's') + ".tif"), tiff);  // its thumbnail's name: 255 bytes
  auto p = plan(options_for({(dir / "in").string()}, (dir / "out").string()));
  REQUIRE(p.entries.size() == names.size() + 2);
  for (const std::string& name : names) {
    const auto* e = find(p, name);
    REQUIRE(e != nullptr);
    CHECK(e->status == Status::Pending);
    CHECK(e->outputs.front() == (dir / "out/sub\xFF" / name).string());
  }
  const auto* too_long = find(p, std::string(251, 't') + ".tif");
  CHECK(too_long->status == Status::Failed);
  CHECK(too_long->note.find("would be 259 bytes long, more than a file name may be (255)") != std::string::npos);
  CHECK(find(p, std::string(247, 's') + ".tif")->status == Status::Pending);
}

namespace {
struct stat stat_of(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st;
}
void set_mtime(const fs::path& path, const timespec& mtime) {
  const timespec times[2] = {mtime, mtime};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}
// Waits until the clock the kernel stamps change times with has moved past `after` (it ticks
// coarsely): a change made then gets a change time of its own.
void wait_for_ctime_past(const fs::path& folder, const timespec& after) {
  const fs::path probe = folder / "probe";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    test_images::write(probe, "probe");
    const timespec now = stat_of(probe).st_ctim;
    if (now.tv_sec > after.tv_sec || (now.tv_sec == after.tv_sec && now.tv_nsec > after.tv_nsec)) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  fs::remove(probe);
}
}  // namespace

TEST_CASE("a thumbnail is up to date only while its source is the one it was made from", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", kJpeg);
  test_images::write(dir / "in/y.jpg", kJpeg);
  auto o = options_for({(dir / "in").string()}, (dir / "out").string());
  test_images::write(dir / "out/x.jpg", kJpeg);
  test_images::write(dir / "out/y.jpg", kJpeg);
  // Thumbnails exist, but no state file: not trusted.
  CHECK(plan(o).entries[0].status == Status::Pending);
  const auto made_now = [&](const std::string& name) { return thumbs::identity_of(stat_of(dir / "in" / name)); };
  // A state with these options that does not list x.jpg: only y.jpg is up to date.
  thumbs::write_state(dir / "out", {thumbs::options_signature(o), "abcd1234", {{"y.jpg", made_now("y.jpg")}}});
  CHECK(plan(o).entries[0].status == Status::Pending);
  CHECK(plan(o).entries[1].status == Status::Skipped);
  thumbs::write_state(
      dir / "out",
      {thumbs::options_signature(o), "abcd1234", {{"x.jpg", made_now("x.jpg")}, {"y.jpg", made_now("y.jpg")}}});
  auto p = plan(o);
  CHECK(p.entries[0].status == Status::Skipped);
  CHECK(p.entries[0].note == "up to date");
  CHECK(p.token == "abcd1234");

  SECTION("a source replaced by another file with an older date is made again") {
    const timespec old = stat_of(dir / "in/y.jpg").st_mtim;
    test_images::write(dir / "restored.jpg", test_images::encode(test_images::quadrants(30, 40), ".jpg"));
    set_mtime(dir / "restored.jpg", {old.tv_sec - 86400, 0});
    fs::rename(dir / "restored.jpg", dir / "in/y.jpg");
    CHECK(find(plan(o), "y.jpg")->status == Status::Pending);
  }
  SECTION("a source rewritten in place, same size, its old date put back, is made again") {
    const struct stat before = stat_of(dir / "in/y.jpg");
    wait_for_ctime_past(dir.path, before.st_ctim);
    std::string other = kJpeg;
    other[other.size() - 3] ^= 0x55;
    {
      std::fstream f(dir / "in/y.jpg", std::ios::in | std::ios::out | std::ios::binary);
      f << other;
    }
    set_mtime(dir / "in/y.jpg", before.st_mtim);
    const struct stat after = stat_of(dir / "in/y.jpg");
    REQUIRE(after.st_ino == before.st_ino);
    REQUIRE(after.st_size == before.st_size);
    REQUIRE(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    CHECK(find(plan(o), "y.jpg")->status == Status::Pending);
  }
  SECTION("a thumbnail that is gone is made again") {
    fs::remove(dir / "out/y.jpg");
    CHECK(find(plan(o), "y.jpg")->status == Status::Pending);
  }
  SECTION("other options, or --force: everything is rebuilt") {
    auto bigger = o;
    bigger.sizes = {{256, 256}};
    CHECK(plan(bigger).entries[0].status == Status::Pending);
    auto forced = o;
    forced.force = true;
    CHECK(plan(forced).entries[0].status == Status::Pending);
  }
}

TEST_CASE("an older state file, without identities or token, is read and vouches for nothing", "[thumbs][plan]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", kJpeg);
  auto o = options_for({(dir / "in").string()}, (dir / "out").string());
  test_images::write(dir / "out/x.jpg", kJpeg);
  test_images::write(dir / "out/.conc-thumbs.json",
                     "{\"signature\":\"" + thumbs::options_signature(o) + "\"}\n{\"made\":\"x.jpg\"}\n");
  const auto p = plan(o);
  CHECK(p.state.signature == thumbs::options_signature(o));
  CHECK(p.state.made.empty());
  CHECK(p.state.token.empty());
  CHECK(p.token.size() == 8);
  CHECK(p.entries[0].status == Status::Pending);
}

TEST_CASE("only the root's own temporaries beside planned outputs are removed, never a user's file",
          "[thumbs][plan][temporaries]") {
  TempDir dir;
  const common::Temporaries ours("abcd1234");
  const std::string mine = fs::path(ours.beside((dir / "out/a/x.jpg").string())).filename().string();
  const std::string mine_too = fs::path(ours.beside((dir / "out/a/x.jpg").string())).filename().string();
  const std::string theirs =
      fs::path(common::Temporaries("zzzz9999").beside((dir / "out/a/x.jpg").string())).filename().string();
  test_images::write(dir / "out/a/x.jpg", kJpeg);
  test_images::write(dir / "out/a" / mine, "partial");
  test_images::write(dir / "out" / mine_too, "partial, at the root");
  test_images::write(dir / "out/a" / theirs, "another root's, or another shard's");
  test_images::write(dir / "out/a/x.jpg.tmp-abc123", "a user's");
  test_images::write(dir / "out/docs/notes.tmp-backup", "a user's");
  test_images::write(dir / "out/unplanned" / mine, "ours, but nowhere near a planned output");
  CHECK(thumbs::remove_stale_temporaries(dir / "out", ours, {(dir / "out/a/x.jpg").string()}) == 2);
  CHECK_FALSE(fs::exists(dir / "out/a" / mine));
  CHECK_FALSE(fs::exists(dir / "out" / mine_too));
  CHECK(fs::exists(dir / "out/a/x.jpg"));
  CHECK(fs::exists(dir / "out/a" / theirs));
  CHECK(fs::exists(dir / "out/a/x.jpg.tmp-abc123"));
  CHECK(fs::exists(dir / "out/docs/notes.tmp-backup"));
  CHECK(fs::exists(dir / "out/unplanned" / mine));
}
