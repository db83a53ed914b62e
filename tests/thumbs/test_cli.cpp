// End-to-end: the conc-thumbs program on generated folders.

#include <catch2/catch.hpp>

#include <exiv2/exif.hpp>
#include <exiv2/image.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "images.hpp"
#include "name_text.hpp"
#include "plan.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

using test_support::slurp;
using test_support::wait_exit;

pid_t start(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  std::vector<std::string> argv = {CONC_THUMBS_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  return test_support::spawn(argv, out, err);
}

Result run(const TempDir& dir, const std::vector<std::string>& args) {
  const pid_t pid = start(args, dir / "stdout.txt", dir / "stderr.txt");
  Result r;
  r.exit_code = wait_exit(pid);
  r.out = slurp(dir / "stdout.txt");
  r.err = slurp(dir / "stderr.txt");
  return r;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> kids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    int ppid;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') kids.push_back(std::stoi(name));
  }
  return kids;
}

std::size_t count_files(const fs::path& root, const std::string& suffix) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      ++n;
    }
  }
  return n;
}

bool decodes(const fs::path& p) { return !cv::imread(p.string(), cv::IMREAD_UNCHANGED).empty(); }

// A folder of photo-sized JPEGs, slow enough to interrupt.
void make_corpus(const fs::path& dir, int count) {
  const std::string jpeg =
      test_images::encode(test_images::quadrants(2400, 1800), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 92});
  for (int i = 0; i < count; ++i)
    test_images::write(dir / ("sub" + std::to_string(i % 3)) / ("IMG_" + std::to_string(i) + ".jpg"), jpeg);
}

// Runs conc-thumbs in folder `cwd` with `input` on its stdin.
Result run_in(const TempDir& dir, const fs::path& cwd, const std::vector<std::string>& args,
              const std::string& input = "") {
  test_images::write(dir / "stdin.txt", input);
  std::vector<std::string> argv = {CONC_THUMBS_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (auto& a : argv) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, (dir / "stdin.txt").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir / "stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  Result r;
  r.exit_code = wait_exit(pid);
  r.out = slurp(dir / "stdout.txt");
  r.err = slurp(dir / "stderr.txt");
  return r;
}

// The lines of text that are neither an error nor a note nor the summary: what a crash or a
// decoder would have written.
std::vector<std::string> stray_lines(const std::string& err) {
  std::vector<std::string> stray;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("error: ", 0) != 0 && line.rfind("note: ", 0) != 0 && line.find(" made, ") == std::string::npos) {
      stray.push_back(line);
    }
  }
  return stray;
}

}  // namespace

TEST_CASE("bad input is reported one line each, and every good image is made", "[thumbs][cli]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(640, 480), ".jpg");
  const std::string png = test_images::encode(test_images::quadrants(640, 480), ".png");
  test_images::write(dir / "in/good.jpg", jpeg);
  test_images::write(dir / "in/a/b.jpg", jpeg.substr(0, jpeg.size() - 300));
  test_images::write(dir / "in/zero.jpg", "");
  test_images::write(dir / "in/corrupt.png", png.substr(0, 60) + std::string(200, 'x') + png.substr(260));
  test_images::write(dir / "in/png-named.jpg", png);
  test_images::write(dir / "in/notes.jpg", "these are notes");
  test_images::write(dir / "in/README.txt", "ignored");
  test_images::write(dir / "in/anim.gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;");
  test_images::write(dir / "in/-dash ü.jpg", jpeg);
  test_images::write(dir / "in/dir.jpg/inner.jpg", jpeg);
  fs::create_symlink("/proc/self/mem", dir / "in/unreadable.jpg");
  const Result r =
      run(dir, {"-o", (dir / "out").string(), "--report", (dir / "report.json").string(), (dir / "in").string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  const std::string in = (dir / "in").string();
  CHECK(r.err.find("error: " + in + "/a/b.jpg: truncated JPEG data\n") != std::string::npos);
  CHECK(r.err.find("error: " + in + "/zero.jpg: empty file\n") != std::string::npos);
  CHECK(r.err.find("error: " + in + "/notes.jpg: not an image (unrecognised content)\n") != std::string::npos);
  CHECK(r.err.find("error: " + in + "/corrupt.png: ") != std::string::npos);
  CHECK(r.err.find("error: " + in + "/unreadable.jpg: cannot read") != std::string::npos);
  CHECK(r.err.find("error: " + in + "/anim.gif: cannot decode GIF data") != std::string::npos);
  CHECK(r.err.find("README") == std::string::npos);
  CHECK(r.err.find("4 made, 0 skipped, 6 failed") != std::string::npos);
  CHECK(decodes(dir / "out/good.jpg"));
  CHECK(decodes(dir / "out/png-named.jpg.png"));
  CHECK(decodes(dir / "out/-dash ü.jpg"));
  CHECK(decodes(dir / "out/dir.jpg/inner.jpg"));
  CHECK_FALSE(fs::exists(dir / "out/a/b.jpg"));

  const auto report = nlohmann::json::parse(slurp(dir / "report.json"));
  CHECK(report["summary"]["made"] == 4);
  CHECK(report["summary"]["failed"] == 6);
  CHECK(report["files"].size() == 10);
  for (const auto& f : report["files"]) {
    CHECK(fs::path(f["source"].get<std::string>()).is_absolute());
    if (f["status"] == "ok") {
      CHECK(fs::path(f["output"].get<std::string>()).is_absolute());
      CHECK(f["width"] == 75);
      CHECK(f["height"] == 56);
    }
    if (f["status"] == "failed") CHECK(f.contains("error"));
  }
}

TEST_CASE("a second run skips what is up to date and rebuilds only what changed", "[thumbs][cli]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(640, 480), ".jpg");
  for (int i = 0; i < 4; ++i) test_images::write(dir / ("in/" + std::to_string(i) + ".jpg"), jpeg);
  Result r = run(dir, {(dir / "in").string()});  // default output: in/thumbs
  CHECK(r.exit_code == 0);
  CHECK(count_files(dir / "in/thumbs", ".jpg") == 4);
  const auto before = fs::last_write_time(dir / "in/thumbs/0.jpg");
  std::this_thread::sleep_for(20ms);
  test_images::write(dir / "in/3.jpg", jpeg);
  r = run(dir, {(dir / "in").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("1 made, 3 skipped, 0 failed") != std::string::npos);
  CHECK(fs::last_write_time(dir / "in/thumbs/0.jpg") == before);
  r = run(dir, {"--force", (dir / "in").string()});
  CHECK(r.err.find("4 made, 0 skipped") != std::string::npos);
}

TEST_CASE("usage errors exit with 2 and --dry-run writes nothing", "[thumbs][cli]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", test_images::encode(test_images::quadrants(64, 64), ".jpg"));
  CHECK(run(dir, {"-s", "0x10", (dir / "in").string()}).exit_code == 2);
  CHECK(run(dir, {"--fit", "stretch", (dir / "in").string()}).exit_code == 2);
  CHECK(run(dir, {(dir / "in").string(), (dir / "in").string()}).exit_code == 2);
  const Result r = run(dir, {"--dry-run", "-o", (dir / "out").string(), (dir / "in").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find((dir / "in/x.jpg").string() + " -> " + (dir / "out/x.jpg").string()) != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("the three engines make the same thumbnails", "[thumbs][cli]") {
  TempDir dir;
  make_corpus(dir / "in", 6);
  for (const char* engine : {"process", "thread", "serial"}) {
    const Result r =
        run(dir, {"--engine", engine, "-j", "2", "-s", "128", "-o", (dir / engine).string(), (dir / "in").string()});
    CHECK(r.exit_code == 0);
    CHECK(count_files(dir / engine, ".jpg") == 6);
  }
  CHECK(slurp(dir / "process/sub0/IMG_0.jpg") == slurp(dir / "thread/sub0/IMG_0.jpg"));
  CHECK(slurp(dir / "process/sub0/IMG_0.jpg") == slurp(dir / "serial/sub0/IMG_0.jpg"));
}

TEST_CASE("a worker killed mid-run is replaced and its image retried", "[thumbs][cli]") {
  TempDir dir;
  make_corpus(dir / "in", 40);
  const pid_t pid = start({"-j", "2", "-s", "256", "-o", (dir / "out").string(), (dir / "in").string()}, dir / "o.txt",
                          dir / "e.txt");
  // Kill one worker once the run is under way.
  std::vector<pid_t> workers;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && (workers.size() < 2 || count_files(dir / "out", ".jpg") < 3)) {
    workers = children_of(pid);
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(workers.size() == 2);
  ::kill(workers[0], SIGKILL);
  const int code = wait_exit(pid);
  INFO(slurp(dir / "e.txt"));
  CHECK(code == 0);
  CHECK(count_files(dir / "out", ".jpg") == 40);
  CHECK(count_files(dir / "out", "") == 41);  // the thumbnails and the state file, nothing else
}

TEST_CASE("an interrupted run leaves no partial file and resumes where it stopped", "[thumbs][cli]") {
  TempDir dir;
  make_corpus(dir / "in", 40);
  const pid_t pid = start({"-j", "2", "-s", "256", "-o", (dir / "out").string(), (dir / "in").string()}, dir / "o.txt",
                          dir / "e.txt");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && count_files(dir / "out", ".jpg") < 8)
    std::this_thread::sleep_for(2ms);
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  const std::size_t done = count_files(dir / "out", ".jpg");
  REQUIRE(done >= 8);
  REQUIRE(done < 40);
  // Every file under a final name is a whole image.
  for (auto& entry : fs::recursive_directory_iterator(dir / "out")) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > 4 && name.substr(name.size() - 4) == ".jpg")
      CHECK(decodes(entry.path()));
  }
  const Result r = run(dir, {"-j", "2", "-s", "256", "-o", (dir / "out").string(), (dir / "in").string()});
  CHECK(r.exit_code == 0);
  // Thumbnails the killed run had written but not yet listed in its state file are made again:
  // at most the tasks in flight (4 per worker).
  std::size_t made = 0;
  std::size_t skipped = 0;
  const auto summary = r.err.find(" made, ");
  REQUIRE(summary != std::string::npos);
  std::istringstream counts(r.err.substr(r.err.rfind('\n', summary) + 1));
  std::string word;
  counts >> made >> word >> skipped;
  INFO(r.err);
  CHECK(made + skipped == 40);
  CHECK(skipped <= done);
  CHECK(skipped + 8 >= done);
  CHECK(count_files(dir / "out", ".jpg") == 40);
  CHECK(count_files(dir / "out", "") == 41);  // no temporary files left behind
}

TEST_CASE("a run with other options, interrupted, leaves no old thumbnail passing as up to date", "[thumbs][cli]") {
  TempDir dir;
  make_corpus(dir / "in", 40);
  const std::string in = (dir / "in").string();
  const std::string out = (dir / "out").string();
  REQUIRE(run(dir, {"-j", "2", "-s", "128", "-o", out, in}).exit_code == 0);
  auto widest_side = [](const fs::path& p) {
    const cv::Mat m = cv::imread(p.string(), cv::IMREAD_UNCHANGED);
    return std::max(m.cols, m.rows);
  };
  auto count_with_side = [&](int side) {
    std::size_t n = 0;
    for (auto& entry : fs::recursive_directory_iterator(dir / "out")) {
      if (entry.path().extension() == ".jpg" && widest_side(entry.path()) == side) ++n;
    }
    return n;
  };
  REQUIRE(count_with_side(128) == 40);
  const pid_t pid = start({"-j", "2", "-s", "256", "-o", out, in}, dir / "o.txt", dir / "e.txt");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && count_with_side(256) < 3) std::this_thread::sleep_for(2ms);
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  REQUIRE(count_with_side(256) >= 3);
  REQUIRE(count_with_side(128) > 0);  // interrupted before the end
  const Result r = run(dir, {"-j", "2", "-s", "256", "-o", out, in});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(count_with_side(256) == 40);
}

TEST_CASE("a source that fails with new options keeps no thumbnail made with the old ones", "[thumbs][cli]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", test_images::encode(test_images::quadrants(640, 480), ".jpg"));
  const std::string in = (dir / "in").string();
  const std::string out = (dir / "out").string();
  REQUIRE(run(dir, {"-s", "128", "-o", out, in}).exit_code == 0);
  REQUIRE(fs::exists(dir / "out/x.jpg"));
  CHECK(run(dir, {"-s", "64", "--max-pixels", "1000", "-o", out, in}).exit_code == 1);
  CHECK_FALSE(fs::exists(dir / "out/x.jpg"));
  const Result again = run(dir, {"-s", "64", "--max-pixels", "1000", "-o", out, in});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("x.jpg: too many pixels") != std::string::npos);
}

TEST_CASE("a file a decoder chokes on gives one line on stderr, nothing from the decoder", "[thumbs][cli]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  const std::string png = test_images::encode(test_images::quadrants(64, 48), ".png");
  const std::string webp = test_images::encode(test_images::quadrants(64, 48), ".webp");
  const std::string tiff = test_images::encode(test_images::quadrants(64, 48), ".tiff");
  const std::string bmp = test_images::encode(test_images::quadrants(64, 48), ".bmp");
  // Headers kept, pixel data or structure garbled.
  test_images::write(dir / "in/a.jpg", jpeg.substr(0, jpeg.size() / 2) + std::string(200, '\x55') + "\xFF\xD9");
  test_images::write(dir / "in/b.png", png.substr(0, 40) + std::string(60, '\x55') + png.substr(100));
  test_images::write(dir / "in/c.webp", webp.substr(0, 30) + std::string(webp.size() - 30, '\x55'));
  test_images::write(dir / "in/d.tif", tiff.substr(0, 8) + std::string(tiff.size() - 8, '\x33'));
  std::string bmp_bad_bits = bmp;
  bmp_bad_bits[28] = 7;  // bits per pixel
  test_images::write(dir / "in/e.bmp", bmp_bad_bits);
  std::string bmp_huge_palette = test_images::encode(test_images::quadrants(64, 48, CV_8UC1), ".bmp");
  bmp_huge_palette.replace(46, 4, std::string("\xA0\x86\x01\x00", 4));  // 100000 palette entries
  test_images::write(dir / "in/g.bmp", bmp_huge_palette);
  test_images::write(dir / "in/f.tif", tiff.substr(0, 4) + std::string("\xFF\xFF\xFF\x7F", 4) + tiff.substr(8));
  const Result r = run(dir, {"--no-progress", "-o", (dir / "out").string(), (dir / "in").string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  std::istringstream lines(r.err);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const bool error_line = line.rfind("error: " + (dir / "in").string() + "/", 0) == 0;
    const bool summary = line.find(" made, ") != std::string::npos;
    CHECK((error_line || summary));
  }
  CHECK(count <= 8);
}

TEST_CASE("a name in Latin-1 costs nothing, in every engine", "[thumbs][cli][names]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  test_images::write(dir / "in/caf\xE9.jpg", jpeg);
  test_images::write(dir / "in/ok.jpg", jpeg);
  for (const std::string engine : {"process", "thread", "serial"}) {
    const fs::path out = dir / engine;
    const fs::path report = dir / (engine + ".json");
    const std::vector<std::string> args = {"--engine", engine, "--no-progress", "--report",
                                           report,     "-o",   out.string(),    (dir / "in").string()};
    const Result r = run(dir, args);
    INFO(engine << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("2 made, 0 skipped, 0 failed") != std::string::npos);
    CHECK(decodes(out / "caf\xE9.jpg"));
    // The state file was compacted, and names the photo by the name rule.
    CHECK(slurp(out / ".conc-thumbs.json").find(R"("made":"caf\\xE9.jpg")") != std::string::npos);
    std::set<std::string> sources;
    const auto parsed = nlohmann::json::parse(slurp(report));
    for (const auto& f : parsed["files"]) {
      sources.insert(common::name_from_text(f["source"].get<std::string>()));
    }
    CHECK(sources.count((dir / "in/caf\xE9.jpg").string()) == 1);
    const Result again = run(dir, args);
    CHECK(again.err.find("0 made, 2 skipped, 0 failed") != std::string::npos);
  }
}

TEST_CASE("any name the filesystem allows is thumbnailed under the same name, or clearly refused",
          "[thumbs][cli][names]") {
  TempDir dir;
  std::mt19937 rng(19);
  const auto random_name = [&](std::size_t length) {
    std::string name;
    while (name.size() < length) {
      const auto c = static_cast<char>(1 + rng() % 255);
      if (c != '/') name += c;
    }
    return name == "." || name == ".." ? std::string("dots") : name;
  };
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  const std::string png = test_images::encode(test_images::quadrants(64, 48), ".png");
  const std::string first = random_name(12);
  const std::vector<std::string> folders = {"", first, first + "/" + random_name(40), random_name(255)};
  std::vector<std::string> names = {"caf\xE9.jpg",     "new\nline.jpg", "-dash.jpg", "e\xCC\x81t\xCC\x81.jpg",
                                    "back\\slash.jpg", "\\x41.jpg",     "cr\r",      std::string(251, 'x') + ".jpg"};
  for (int i = 0; i < 48; ++i) names.push_back(random_name(i % 3 == 0 ? 255 : 1 + rng() % 200));
  struct Source {
    std::string relative;  // below in/
    std::string output;    // below out/
  };
  std::vector<Source> sources;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& folder = folders[i % folders.size()];
    const bool is_png = i % 4 == 3;
    const std::string prefix = folder.empty() ? "" : folder + "/";
    sources.push_back({prefix + names[i],
                       prefix + thumbs::output_name(names[i], is_png ? thumbs::Format::Png : thumbs::Format::Jpeg)});
    test_images::write(dir / "in" / sources.back().relative, is_png ? png : jpeg);
  }
  for (const std::string engine : {"process", "serial"}) {
    const fs::path out = dir / ("out-" + engine);
    const fs::path report = dir / ("report-" + engine + ".json");
    const std::vector<std::string> args = {"--engine", engine, "--no-progress", "--gallery",          "--report",
                                           report,     "-o",   out.string(),    (dir / "in").string()};
    const Result r = run(dir, args);
    INFO(engine << ": " << r.err);
    CHECK((r.exit_code == 0 || r.exit_code == 1));
    CHECK(stray_lines(r.err).empty());
    std::size_t made = 0;
    for (const Source& s : sources) {
      const std::string shown = common::name_for_display((dir / "in" / s.relative).string());
      if (fs::path(s.output).filename().string().size() <= NAME_MAX) {
        CHECK(decodes(out / s.output));
        ++made;
      } else {
        CHECK(r.err.find("error: " + shown + ": its thumbnail's name") != std::string::npos);
      }
    }
    CHECK(r.err.find(std::to_string(made) + " made, 0 skipped, " + std::to_string(sources.size() - made) + " failed") !=
          std::string::npos);
    // The report names every source by the name rule, losslessly.
    std::set<std::string> reported;
    const auto parsed = nlohmann::json::parse(slurp(report));
    for (const auto& f : parsed["files"]) {
      reported.insert(common::name_from_text(f["source"].get<std::string>()));
    }
    std::set<std::string> expected;
    for (const Source& s : sources) expected.insert((dir / "in" / s.relative).string());
    CHECK(reported == expected);
    // Every page is text, whatever the names.
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
      if (entry.path().filename() == "index.html") CHECK(common::is_valid_utf8(slurp(entry.path())));
    }
    // The state file and the gallery's facts read back: nothing is made again.
    const Result again = run(dir, args);
    CHECK(again.err.find("0 made, " + std::to_string(made) + " skipped") != std::string::npos);
  }
}

TEST_CASE("a second run into another folder does not take the first run's thumbnails for photos", "[thumbs][cli]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  for (const char* name : {"photos/a.jpg", "photos/sub/b.jpg", "photos/sub/c.jpg"})
    test_images::write(dir / name, jpeg);
  REQUIRE(run(dir, {"--no-progress", (dir / "photos").string()}).exit_code == 0);  // into photos/thumbs/
  REQUIRE(run(dir, {"--no-progress", "--gallery", "-o", (dir / "photos/site").string(), (dir / "photos").string()})
              .exit_code == 0);
  const Result r = run(dir, {"--no-progress", "-o", (dir / "web").string(), (dir / "photos").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("3 made, 0 skipped, 0 failed") != std::string::npos);
  CHECK(r.err.find("; 2 output folders skipped\n") != std::string::npos);
  CHECK(count_files(dir / "web", ".jpg") == 3);
  CHECK_FALSE(fs::exists(dir / "web/thumbs"));
  CHECK_FALSE(fs::exists(dir / "web/site"));
}

TEST_CASE("paths on stdin keep their tree, and a list of the output itself makes nothing", "[thumbs][cli][stdin]") {
  TempDir dir;
  test_images::write(dir / "a/x.jpg", test_images::encode(test_images::quadrants(160, 120), ".jpg"));
  test_images::write(dir / "b/x.jpg", test_images::encode(test_images::quadrants(120, 160), ".jpg"));
  Result r = run_in(dir, dir.path, {"--no-progress", "-o", "out", "-"}, "a/x.jpg\nb/x.jpg\n");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(decodes(dir / "out/a/x.jpg"));
  CHECK(decodes(dir / "out/b/x.jpg"));
  CHECK(cv::imread((dir / "out/b/x.jpg").string()).rows == 75);
  // What `find . -name '*.jpg' | conc-thumbs -o out -` lists the second time: the thumbnails too.
  r = run_in(dir, dir.path, {"--no-progress", "-o", "out", "-"},
             "./a/x.jpg\n./b/x.jpg\n./out/a/x.jpg\n./out/b/x.jpg\n");
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("0 made, 2 skipped, 0 failed") != std::string::npos);
  CHECK(r.err.find("; 1 output folder skipped\n") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out/out"));
  // A path above the current folder has no place below OUT without --root.
  r = run_in(dir, dir / "a", {"--no-progress", "-o", "../out2", "-"}, "../b/x.jpg\n");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: ../b/x.jpg: not below the current folder (give --root DIR to place it)\n") !=
        std::string::npos);
  r = run_in(dir, dir / "a", {"--no-progress", "--root", "..", "-o", "../out2", "-"}, "../b/x.jpg\n");
  CHECK(r.exit_code == 0);
  CHECK(decodes(dir / "out2/b/x.jpg"));
}

TEST_CASE("find -print0 needs -0: NUL-separated paths are never cut at the NUL", "[thumbs][cli][stdin]") {
  TempDir dir;
  test_images::write(dir / "new\nline.jpg", test_images::encode(test_images::quadrants(160, 120), ".jpg"));
  test_images::write(dir / "sub/x.jpg", test_images::encode(test_images::quadrants(120, 160), ".jpg"));
  const std::string list = std::string("./new\nline.jpg") + '\0' + "./sub/x.jpg" + '\0';
  Result r = run_in(dir, dir.path, {"--no-progress", "-o", "out", "-"}, list);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: stdin, line 2: the line holds a NUL byte") != std::string::npos);
  CHECK(r.err.find("0 made") != std::string::npos);
  CHECK(count_files(dir / "out", ".jpg") == 0);
  // What find . -print0 writes: the folders too, each file also reached by the walk of its folder.
  const std::string find_list =
      std::string(".") + '\0' + "./new\nline.jpg" + '\0' + "./sub" + '\0' + "./sub/x.jpg" + '\0';
  r = run_in(dir, dir.path, {"--no-progress", "-0", "-o", "out", "-"}, find_list);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("2 made, 0 skipped, 0 failed") != std::string::npos);
  CHECK(cv::imread((dir / "out/new\nline.jpg").string()).cols == 75);
  CHECK(cv::imread((dir / "out/sub/x.jpg").string()).rows == 75);
}

TEST_CASE("a run removes only temporaries it can prove are its own, never a user's file", "[thumbs][cli]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  test_images::write(dir / "photos/docs/notes.jpg", jpeg);
  // Two sizes and a gallery: thumbnails in site/32x32/docs/ and site/64x64/docs/, the viewer's
  // rendition in site/1600x1600/docs/, pages in site/docs/.
  const std::vector<std::string> args = {
      "--no-progress",          "--force", "--gallery", "-s", "32", "-s", "64", "-o", (dir / "site").string(),
      (dir / "photos").string()};
  REQUIRE(run(dir, args).exit_code == 0);
  const std::string state = slurp(dir / "site/.conc-thumbs.json");
  const std::string token = nlohmann::json::parse(state.substr(0, state.find('\n')))["token"].get<std::string>();
  const std::string ours = ".conc-" + token + "-abcdefgh.tmp";
  test_images::write(dir / "site/32x32/docs" / ours, "half a thumbnail");
  test_images::write(dir / "site/1600x1600/docs" / ours, "half the viewer's rendition");
  for (const char* users : {"docs/notes.tmp-backup", "docs/notes.jpg.tmp-abc123", "docs/.conc-zzzz9999-abcdefgh.tmp"}) {
    test_images::write(dir / "site" / users, "a user's");
  }
  test_images::write(dir / "site/docs" / ours, "half a page");
  const Result r = run(dir, args);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(dir / "site/docs/notes.tmp-backup"));
  CHECK(fs::exists(dir / "site/docs/notes.jpg.tmp-abc123"));
  CHECK(fs::exists(dir / "site/docs/.conc-zzzz9999-abcdefgh.tmp"));
  CHECK_FALSE(fs::exists(dir / "site/docs" / ours));
  CHECK_FALSE(fs::exists(dir / "site/32x32/docs" / ours));
  CHECK_FALSE(fs::exists(dir / "site/1600x1600/docs" / ours));
}

TEST_CASE("a source replaced by another photo with an older date is made again", "[thumbs][cli]") {
  TempDir dir;
  test_images::write(dir / "in/x.jpg", test_images::encode(test_images::quadrants(640, 480), ".jpg"));
  const std::vector<std::string> args = {"--no-progress", "-o", (dir / "out").string(), (dir / "in").string()};
  REQUIRE(run(dir, args).exit_code == 0);
  REQUIRE(cv::imread((dir / "out/x.jpg").string()).cols == 75);
  // As `cp -p` or a restore from a backup leaves it: another photo, dated a day before the first.
  test_images::write(dir / "restored.jpg", test_images::encode(test_images::quadrants(480, 640), ".jpg"));
  const auto then = fs::last_write_time(dir / "in/x.jpg") - std::chrono::hours(24);
  fs::last_write_time(dir / "restored.jpg", then);
  fs::rename(dir / "restored.jpg", dir / "in/x.jpg");
  const Result r = run(dir, args);
  INFO(r.err);
  CHECK(r.err.find("1 made, 0 skipped") != std::string::npos);
  CHECK(cv::imread((dir / "out/x.jpg").string()).rows == 75);
}

TEST_CASE("what escapes a run is said in one line, exit 1, never an abort", "[thumbs][cli]") {
  TempDir dir;
  fs::create_directory(dir / "gone");
  test_images::write(dir / "photos/x.jpg", test_images::encode(test_images::quadrants(64, 48), ".jpg"));
  // The current folder removed under the program: the relative output folder cannot be made absolute.
  const pid_t pid = test_support::spawn(
      {"/bin/sh", "-c", "cd \"$1\" && rmdir \"$1\" && shift && exec \"$@\"", "sh", (dir / "gone").string(),
       CONC_THUMBS_EXE, "--no-progress", "-o", "out", (dir / "photos").string()},
      dir / "o.txt", dir / "e.txt");
  const int code = wait_exit(pid);
  const std::string err = slurp(dir / "e.txt");
  INFO(err);
  CHECK(code == 1);
  CHECK(err.rfind("conc-thumbs: stopped: ", 0) == 0);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("a worker killed while writing leaves no temporary: it writes through the root's own", "[thumbs][cli]") {
  TempDir dir;
  cv::Mat noise(600, 800, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  test_images::write(dir / "in/noise.jpg", test_images::encode(noise, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95}));
  // A file size limit of 4 KiB: the state file fits, the thumbnail does not, so the worker is killed
  // by SIGXFSZ half-way through writing it.
  const pid_t pid =
      test_support::spawn({"/bin/sh", "-c", "ulimit -f 8 && exec \"$@\"", "sh", CONC_THUMBS_EXE, "--no-progress", "-s",
                           "400", "-o", (dir / "out").string(), (dir / "in").string()},
                          dir / "o.txt", dir / "e.txt");
  const int code = wait_exit(pid);
  const std::string err = slurp(dir / "e.txt");
  INFO(err);
  CHECK(code == 1);
  CHECK(err.find("noise.jpg: worker killed by SIGXFSZ") != std::string::npos);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir / "out")) left.push_back(entry.path().filename().string());
  CHECK(left == std::vector<std::string>{".conc-thumbs.json"});
}

TEST_CASE("the report gives each photo's capture date, camera and lens, in every engine", "[thumbs][cli][metadata]") {
  TempDir dir;
  const fs::path cameras = fs::path(CONC_TEST_DATA) / "cameras";
  fs::create_directories(dir / "in");
  fs::copy_file(cameras / "NikonD70.jpg", dir / "in/nikon.jpg");
  test_images::write(dir / "in/plain.jpg", test_images::encode(test_images::quadrants(64, 48), ".jpg"));
  for (const std::string engine : {"process", "thread", "serial"}) {
    const fs::path report = dir / (engine + ".json");
    const Result r = run(dir, {"--engine", engine, "--no-progress", "--report", report.string(), "-o",
                               (dir / engine).string(), (dir / "in").string()});
    INFO(engine << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, nlohmann::json> files;
    const auto parsed = nlohmann::json::parse(slurp(report));
    for (const auto& f : parsed["files"]) {
      files[fs::path(f["source"].get<std::string>()).filename().string()] = f;
    }
    const nlohmann::json& nikon = files.at("nikon.jpg");
    CHECK(nikon.value("captured", "") == "2005-01-14T08:57:59");
    CHECK(nikon.value("camera", "") == "NIKON D70");
    CHECK(nikon.value("make", "") == "NIKON CORPORATION");
    CHECK(nikon.value("model", "") == "NIKON D70");
    CHECK(nikon.value("lens", "") == "Nikon AF-S DX Zoom-Nikkor 18-70mm f/3.5-4.5G IF-ED");
    // What a photo does not say is left out, never made up.
    const nlohmann::json& plain = files.at("plain.jpg");
    CHECK(plain.at("status") == "ok");
    CHECK_FALSE(plain.contains("captured"));
    CHECK_FALSE(plain.contains("camera"));
  }
}

TEST_CASE("RAW files are made from their preview or sensor data, or refused in one line each", "[thumbs][cli][raw]") {
  TempDir dir;
  const fs::path raw = fs::path(CONC_TEST_DATA) / "raw";
  fs::create_directories(dir / "in");
  for (const char* name : {"canon_eos_6d.dng", "Nikon.nef", "CanonRaw.crw", "Sigma.x3f"}) {
    fs::copy_file(raw / name, dir / "in" / name);
  }
  for (const std::string engine : {"process", "serial"}) {
    const fs::path report = dir / (engine + ".json");
    const Result r = run(dir, {"--engine", engine, "--no-progress", "-s", "128", "--report", report.string(), "-o",
                               (dir / engine).string(), (dir / "in").string()});
    INFO(engine << ": " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("2 made, 0 skipped, 2 failed") != std::string::npos);
    CHECK(r.err.find("error: " + (dir / "in/CanonRaw.crw").string() +
                     ": cannot read RAW data: its sensor data is cut short or damaged\n") != std::string::npos);
    CHECK(r.err.find("error: " + (dir / "in/Sigma.x3f").string() + ": cannot read RAW data: LibRaw 0.20") !=
          std::string::npos);
    CHECK(decodes(dir / engine / "canon_eos_6d.dng.jpg"));
    CHECK(decodes(dir / engine / "Nikon.nef.jpg"));
    std::map<std::string, nlohmann::json> files;
    const auto parsed = nlohmann::json::parse(slurp(report));
    for (const auto& f : parsed["files"]) files[fs::path(f["source"].get<std::string>()).filename().string()] = f;
    CHECK(files.at("canon_eos_6d.dng").value("from", "") == "raw-preview");
    CHECK(files.at("canon_eos_6d.dng").value("camera", "") == "Canon EOS 6D");
    CHECK(files.at("Nikon.nef").value("from", "") == "raw-half-size");
    CHECK(files.at("Sigma.x3f").value("status", "") == "failed");
  }
}

TEST_CASE("with --embedded-preview, a JPEG's stale EXIF thumbnail is used only when asked, and the report says so",
          "[thumbs][cli][preview]") {
  TempDir dir;
  // Quadrants 640x480 whose EXIF thumbnail (320x240) is plain grey: a preview an editor left stale.
  const fs::path photo = dir / "in/edited.jpg";
  test_images::write(photo, test_images::encode(test_images::quadrants(640, 480), ".jpg"));
  {
    auto image = Exiv2::ImageFactory::open(photo.string());
    image->readMetadata();
    const std::string grey = test_images::encode(cv::Mat(240, 320, CV_8UC3, cv::Scalar(128, 128, 128)), ".jpg");
    Exiv2::ExifData exif;
    Exiv2::ExifThumb(exif).setJpegThumbnail(reinterpret_cast<const Exiv2::byte*>(grey.data()),
                                            static_cast<long>(grey.size()));
    image->setExifData(exif);
    image->writeMetadata();
  }
  const fs::path out = dir / "out";
  const auto from = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        "--no-progress", "-s", "160", "-f", "png", "--report", (dir / "report.json").string(), "-o", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back((dir / "in").string());
    const Result r = run(dir, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("1 made, 0 skipped") != std::string::npos);  // the flag changes what is up to date
    const auto report = nlohmann::json::parse(slurp(dir / "report.json"));
    const cv::Mat t = cv::imread((out / "edited.jpg.png").string(), cv::IMREAD_COLOR);
    REQUIRE(t.size() == cv::Size(160, 120));
    return std::make_pair(report["files"][0].value("from", ""), t.at<cv::Vec3b>(5, 5));
  };
  const auto [plain_from, plain_pixel] = from({});
  CHECK(plain_from == "image");
  CHECK(cv::norm(plain_pixel, cv::Vec3b(0, 0, 255), cv::NORM_INF) < 30);
  const auto [preview_from, preview_pixel] = from({"--embedded-preview"});
  CHECK(preview_from == "exif-thumbnail");
  CHECK(cv::norm(preview_pixel, cv::Vec3b(128, 128, 128), cv::NORM_INF) < 30);
  CHECK(from({}).first == "image");
}

TEST_CASE("conc-thumbs --freedesktop takes a size the standard names, and no option of an output tree",
          "[thumbs][cli][freedesktop]") {
  TempDir dir;
  test_images::write(dir / "in/a.jpg", test_images::encode(test_images::quadrants(64, 48), ".jpg"));
  const Result wrong = run(dir, {"--freedesktop", "huge", (dir / "in").string()});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("huge") != std::string::npos);
  for (const std::vector<std::string>& other :
       {std::vector<std::string>{"-o", (dir / "out").string()}, {"-s", "64"}, {"--gallery"}, {"--format", "jpeg"}}) {
    std::vector<std::string> args = {"--freedesktop", "normal"};
    args.insert(args.end(), other.begin(), other.end());
    args.push_back((dir / "in").string());
    const Result r = run(dir, args);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--freedesktop writes into the desktop's cache") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out"));
  }
}
