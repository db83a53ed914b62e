// End-to-end: conc-fetch --thumbnail against the project's test server on 127.0.0.1, serving
// images made here (and one of the imaging tests' files), with the thumbnails checked by decoding
// them.

#include <catch2/catch.hpp>

#include <gif_lib.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "atomic_file.hpp"
#include "engine/sha256.hpp"
#include "fetch_cli.hpp"
#include "fetch_server.hpp"
#include "image_header.hpp"
#include "images.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::FetchServer;
using test_support::slurp;

namespace {

using fetch_cli::Result;

Result run_fetch(const TempDir& dir, const std::vector<std::string>& urls, std::vector<std::string> args) {
  std::string list;
  for (const auto& u : urls) list += u + "\n";
  return fetch_cli::run(dir, list, std::move(args));
}

// The manifest's lines by URL (the last line of each).
std::map<std::string, nlohmann::json> manifest_by_url(const fs::path& out) {
  return fetch_cli::manifest_by_url(out / ".conc-fetch.jsonl");
}

std::vector<nlohmann::json> manifest_lines(const fs::path& out) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(out / ".conc-fetch.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Which of blue, green, red, white (or none) the pixel is, with room for JPEG's losses.
std::string colour_at(const cv::Mat& bgr, int x, int y) {
  const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
  const auto high = [](int v) { return v > 180; };
  const auto low = [](int v) { return v < 80; };
  if (high(p[0]) && high(p[1]) && high(p[2])) return "white";
  if (high(p[2]) && low(p[1]) && low(p[0])) return "red";
  if (high(p[1]) && low(p[2]) && low(p[0])) return "green";
  if (high(p[0]) && low(p[1]) && low(p[2])) return "blue";
  return "other (" + std::to_string(p[0]) + "," + std::to_string(p[1]) + "," + std::to_string(p[2]) + ")";
}

// The colours at the centres of the four quadrants: top-left, top-right, bottom-left, bottom-right.
std::vector<std::string> quadrant_colours(const cv::Mat& bgr) {
  const int w = bgr.cols;
  const int h = bgr.rows;
  return {colour_at(bgr, w / 4, h / 4), colour_at(bgr, 3 * w / 4, h / 4), colour_at(bgr, w / 4, 3 * h / 4),
          colour_at(bgr, 3 * w / 4, 3 * h / 4)};
}

// A 120x80 GIF in quadrants: red, green / blue, white.
std::string quadrant_gif(const fs::path& scratch) {
  int error = 0;
  GifFileType* gif = EGifOpenFileName(scratch.c_str(), false, &error);
  REQUIRE(gif != nullptr);
  GifColorType colours[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
  ColorMapObject* map = GifMakeMapObject(4, colours);
  REQUIRE(EGifPutScreenDesc(gif, 120, 80, 2, 0, map) == GIF_OK);
  REQUIRE(EGifPutImageDesc(gif, 0, 0, 120, 80, false, nullptr) == GIF_OK);
  std::vector<GifPixelType> row(120);
  for (int y = 0; y < 80; ++y) {
    for (int x = 0; x < 120; ++x)
      row[static_cast<std::size_t>(x)] = static_cast<GifPixelType>((x < 60 ? 0 : 1) + (y < 40 ? 0 : 2));
    REQUIRE(EGifPutLine(gif, row.data(), 120) == GIF_OK);
  }
  GifFreeMapObject(map);
  REQUIRE(EGifCloseFile(gif, &error) == GIF_OK);
  return slurp(scratch);
}

// The served files: images of each format, a non-image, a truncated JPEG, one too many pixels
// for --max-pixels 1000000 and one too large for --max-size 300k.
struct Corpus {
  explicit Corpus(const fs::path& folder) {
    const std::string jpeg =
        test_images::encode(test_images::quadrants(400, 300), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
    files["photo.jpg"] = test_images::with_exif_orientation(jpeg, 6);  // shown 300x400, turned clockwise
    files["pic.png"] = test_images::encode(test_images::quadrants(200, 100), ".png");
    files["art.webp"] = test_images::encode(test_images::quadrants(160, 120), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101});
    fs::create_directories(folder);
    files["anim.gif"] = quadrant_gif(folder / "scratch.gif");
    fs::remove(folder / "scratch.gif");
    files["notes.txt"] = "these are notes, not an image\n";
    files["cut.jpg"] = jpeg.substr(0, jpeg.size() / 2);
    files["big.png"] = test_images::encode(cv::Mat(1100, 1000, CV_8UC3, cv::Scalar(10, 20, 30)), ".png");
    std::string noise(400 * 1024, '\0');
    for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
    files["noise.jpg"] = "\xFF\xD8\xFF" + noise;
    for (const auto& [name, bytes] : files) test_images::write(folder / name, bytes);
  }
  std::map<std::string, std::string> files;
};

}  // namespace

TEST_CASE("conc-fetch --thumbnail: a mixed list gives the right thumbnails and manifest", "[thumbnail][server]") {
  const std::string engine = GENERATE(as<std::string>{}, "threads", "multi");
  INFO("engine " << engine);
  TempDir dir;
  const Corpus corpus(dir / "served");
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  std::vector<std::string> urls;
  for (const auto& [name, bytes] : corpus.files) urls.push_back(server.url("/static/" + name));
  urls.push_back(server.url("/static/missing.jpg"));
  const fs::path out = dir / "out";
  const Result r = run_fetch(dir, urls,
                             {"--thumbnail", "64x64", "--max-pixels", "1000000", "--max-size", "300k", "--engine",
                              engine, "-j", "4", "--thumbnail-workers", "2", "--no-progress", "-o", out.string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto lines = manifest_by_url(out);
  REQUIRE(lines.size() == urls.size());
  const auto line = [&](const std::string& name) { return lines.at(server.url("/static/" + name)); };

  {
    const auto j = line("photo.jpg");
    INFO(j.dump());
    REQUIRE(j.at("status") == "ok");
    CHECK(j.at("thumbnail") == "photo.jpg");
    CHECK(j.at("path") == "photo.jpg");
    CHECK(j.at("source_width") == 300);
    CHECK(j.at("source_height") == 400);
    CHECK(j.at("width") == 48);
    CHECK(j.at("height") == 64);
    CHECK(j.at("source_bytes") == corpus.files.at("photo.jpg").size());
    CHECK(j.at("bytes") == corpus.files.at("photo.jpg").size());
    CHECK(j.at("sha256") == fetch::sha256_of_bytes(corpus.files.at("photo.jpg")));
    CHECK(j.at("http_status") == 200);
    const cv::Mat thumb = cv::imread((out / "photo.jpg").string(), cv::IMREAD_COLOR);
    REQUIRE(thumb.cols == 48);
    REQUIRE(thumb.rows == 64);
    // Turned upright: the stored bottom-left (blue) is now top-left.
    CHECK(quadrant_colours(thumb) == std::vector<std::string>{"blue", "red", "white", "green"});
  }
  {
    const auto j = line("pic.png");
    INFO(j.dump());
    REQUIRE(j.at("status") == "ok");
    CHECK(j.at("thumbnail") == "pic.png");
    CHECK(j.at("width") == 64);
    CHECK(j.at("height") == 32);
    const cv::Mat thumb = cv::imread((out / "pic.png").string(), cv::IMREAD_COLOR);
    REQUIRE(thumb.cols == 64);
    REQUIRE(thumb.rows == 32);
    CHECK(quadrant_colours(thumb) == std::vector<std::string>{"red", "green", "blue", "white"});
    CHECK(imaging::parse_header(slurp(out / "pic.png")).format == imaging::Format::Png);
  }
  {
    const auto j = line("art.webp");
    INFO(j.dump());
    REQUIRE(j.at("status") == "ok");
    CHECK(j.at("thumbnail") == "art.webp");
    CHECK(j.at("source_width") == 160);
    CHECK(j.at("width") == 64);
    CHECK(j.at("height") == 48);
    const cv::Mat thumb = cv::imread((out / "art.webp").string(), cv::IMREAD_COLOR);
    REQUIRE(thumb.cols == 64);
    REQUIRE(thumb.rows == 48);
    CHECK(quadrant_colours(thumb) == std::vector<std::string>{"red", "green", "blue", "white"});
  }
  {
    const auto j = line("anim.gif");
    INFO(j.dump());
    REQUIRE(j.at("status") == "ok");
    CHECK(j.at("thumbnail") == "anim.jpg");  // a GIF's thumbnail is a JPEG
    CHECK(j.at("source_width") == 120);
    CHECK(j.at("source_height") == 80);
    CHECK(j.at("width") == 64);
    CHECK(j.at("height") == 43);
    const cv::Mat thumb = cv::imread((out / "anim.jpg").string(), cv::IMREAD_COLOR);
    REQUIRE(thumb.cols == 64);
    REQUIRE(thumb.rows == 43);
    CHECK(quadrant_colours(thumb) == std::vector<std::string>{"red", "green", "blue", "white"});
  }
  const std::map<std::string, std::string> failures = {{"notes.txt", "not an image"},
                                                       {"cut.jpg", "truncated JPEG"},
                                                       {"noise.jpg", "larger than --max-size"},
                                                       {"missing.jpg", "HTTP 404"}};
  // --max-pixels is a filter: its refusal is counted as such, and is no failure.
  CHECK(line("big.png").at("status") == "filtered");
  CHECK(line("big.png").at("filtered") == "too_many_pixels");
  CHECK(line("big.png").at("error").get<std::string>().rfind("too many pixels (1000x1100", 0) == 0);
  for (const auto& [name, reason] : failures) {
    const auto j = line(name);
    INFO(j.dump());
    CHECK(j.at("status") == "failed");
    CHECK(j.at("error").get<std::string>().find(reason) != std::string::npos);
    CHECK(r.err.find(server.url("/static/" + name) + ": ") != std::string::npos);  // one line names it
  }
  // The body of a failed thumbnail is still described.
  CHECK(line("cut.jpg").at("sha256") == fetch::sha256_of_bytes(corpus.files.at("cut.jpg")));

  // Nothing full-size, nothing temporary: the thumbnails and the run's own files only.
  std::set<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(out)) names.insert(fs::relative(e.path(), out).string());
  CHECK(names == std::set<std::string>{".conc-fetch.jsonl", ".conc-fetch.lock", ".conc-fetch.token", "stats.json",
                                       "photo.jpg", "pic.png", "art.webp", "anim.jpg"});

  const auto stats = nlohmann::json::parse(slurp(out / "stats.json"));
  INFO(stats.dump());
  CHECK(stats.at("urls").at("ok") == 4);
  CHECK(stats.at("urls").at("failed") == 4);
  CHECK(stats.at("urls").at("filtered") == 1);
  CHECK(stats.at("errors") == nlohmann::json{{"http_404", 1}, {"not_an_image", 1}, {"too_large", 1}, {"truncated", 1}});
  CHECK(stats.at("filtered_by") == nlohmann::json{{"too_many_pixels", 1}});
  CHECK(stats.at("images_per_second").get<double>() > 0);
}

TEST_CASE("conc-fetch --thumbnail --keep-originals --format webp --fit cover: originals kept, names unique",
          "[thumbnail][server]") {
  TempDir dir;
  const std::string a = test_images::encode(test_images::quadrants(300, 200), ".jpg");
  const std::string b = test_images::encode(test_images::quadrants(100, 300), ".png");
  test_images::write(dir / "served" / "x.jpg", a);
  test_images::write(dir / "served" / "x.png", b);
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  const fs::path out = dir / "out";
  const std::vector<std::string> urls = {server.url("/static/x.jpg"), server.url("/static/x.png")};
  const std::vector<std::string> args = {"--thumbnail",      "50", "--fit", "cover",         "--format", "webp",
                                         "--keep-originals", "-j", "1",     "--no-progress", "-o",       out.string()};
  const Result r = run_fetch(dir, urls, args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = manifest_by_url(out);
  const auto& first = lines.at(urls[0]);
  const auto& second = lines.at(urls[1]);
  INFO(first.dump() << "\n" << second.dump());
  CHECK(first.at("thumbnail") == "x.webp");
  CHECK(second.at("thumbnail") == "x.1.webp");
  CHECK(first.at("original") == "originals/x.jpg");
  CHECK(second.at("original") == "originals/x.1.png");
  CHECK(slurp(out / "originals" / "x.jpg") == a);
  CHECK(slurp(out / "originals" / "x.1.png") == b);
  for (const char* name : {"x.webp", "x.1.webp"}) {
    const std::string bytes = slurp(out / name);
    CHECK(imaging::parse_header(bytes).format == imaging::Format::Webp);
    const cv::Mat thumb = cv::imread((out / name).string(), cv::IMREAD_COLOR);
    CHECK(thumb.cols == 50);
    CHECK(thumb.rows == 50);
  }

  // A second run finds everything done.
  const Result again = run_fetch(dir, urls, args);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("0 thumbnailed, 2 skipped") != std::string::npos);
  CHECK(server.hits("/static/x.jpg") == 1);
  // Without its original, a URL is done again.
  fs::remove(out / "originals" / "x.1.png");
  const Result third = run_fetch(dir, urls, args);
  CHECK(third.err.find("1 thumbnailed, 1 skipped") != std::string::npos);
  CHECK(server.hits("/static/x.png") == 2);
  CHECK(slurp(out / "originals" / "x.1.png") == b);
}

TEST_CASE("conc-fetch --thumbnail: killed mid-run, a re-run redoes nothing and leaves nothing half-written",
          "[thumbnail][server]") {
  const std::string engine = GENERATE(as<std::string>{}, "threads", "multi");
  INFO("engine " << engine);
  TempDir dir;
  constexpr int kFast = 8;
  constexpr int kSlow = 16;
  std::vector<std::string> urls;
  FetchServer* server_ptr = nullptr;
  for (int i = 0; i < kFast + kSlow; ++i) {
    const cv::Mat m = test_images::quadrants(200 + 8 * i, 150);
    test_images::write(dir / "served" / ("p" + std::to_string(i) + ".jpg"), test_images::encode(m, ".jpg"));
  }
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  server_ptr = &server;
  for (int i = 0; i < kFast + kSlow; ++i) {
    // The slow ones keep the run busy long enough to be killed in the middle.
    urls.push_back(server.url("/static/p" + std::to_string(i) + ".jpg" + (i < kFast ? "" : "?delay_ms=1500")));
  }
  const fs::path out = dir / "out";
  std::ofstream list(dir / "list.txt");
  for (const auto& u : urls) list << u << "\n";
  list.close();
  const std::vector<std::string> argv = {CONC_FETCH_EXE,
                                         "--thumbnail",
                                         "32x32",
                                         "--engine",
                                         engine,
                                         "-j",
                                         "2",
                                         "--thumbnail-workers",
                                         "2",
                                         "--no-progress",
                                         "-o",
                                         out.string(),
                                         (dir / "list.txt").string()};
  const pid_t pid = test_support::spawn(argv, dir / "stdout.txt", dir / "stderr.txt");
  // Killed once the fast ones are recorded, while slow ones are still downloading.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::size_t done = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    done = 0;
    for (const auto& j : manifest_lines(out)) done += j.at("status") == "ok" ? 1 : 0;
    if (done >= kFast) break;
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid, SIGKILL);
  test_support::wait_exit(pid);
  INFO(slurp(dir / "stderr.txt"));
  REQUIRE(done >= kFast);

  const auto first = manifest_lines(out);
  REQUIRE(first.size() < urls.size());  // killed before the end
  // Every file under a final name is a whole thumbnail; only the root's temporaries may be partial.
  const common::Temporaries ours(slurp(out / ".conc-fetch.token").substr(0, 8));
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".jpg" || ours.is_ours(name)) continue;
    const cv::Mat thumb = cv::imread(e.path().string(), cv::IMREAD_COLOR);
    INFO(name);
    CHECK_FALSE(thumb.empty());
  }
  std::set<std::string> done_before;
  for (const auto& j : first) {
    if (j.at("status") != "ok") continue;
    done_before.insert(j.at("url").get<std::string>());
    CHECK(fs::is_regular_file(out / j.at("thumbnail").get<std::string>()));
  }

  const Result r = run_fetch(dir, urls,
                             {"--thumbnail", "32x32", "--engine", engine, "-j", "8", "--thumbnail-workers", "2",
                              "--no-progress", "-o", out.string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  std::map<std::string, int> ok_lines;
  for (const auto& j : manifest_lines(out)) {
    if (j.at("status") == "ok") ++ok_lines[j.at("url").get<std::string>()];
  }
  CHECK(ok_lines.size() == urls.size());
  for (const auto& [url, count] : ok_lines) {
    INFO(url);
    CHECK(count == 1);  // nothing done twice
  }
  for (int i = 0; i < kFast + kSlow; ++i) {
    const std::string name = "p" + std::to_string(i) + ".jpg";
    INFO(name);
    const cv::Mat thumb = cv::imread((out / name).string(), cv::IMREAD_COLOR);
    REQUIRE_FALSE(thumb.empty());
    CHECK(thumb.cols == 32);
    if (done_before.count(urls[static_cast<std::size_t>(i)]) != 0) CHECK(server_ptr->hits("/static/" + name) == 1);
  }
  const std::set<std::string> state = {".conc-fetch.jsonl", ".conc-fetch.lock", ".conc-fetch.token"};
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    INFO(name);
    CHECK_FALSE(ours.is_ours(name));
    CHECK((name.rfind(".conc-", 0) != 0 || state.count(name) == 1));
  }
}

TEST_CASE("conc-fetch --thumbnail: a malformed size is a usage error", "[thumbnail]") {
  TempDir dir;
  for (const char* size : {"0x10", "abc", "10x", "64x64x2"}) {
    const Result r = run_fetch(dir, {"http://127.0.0.1:9/never"}, {"--thumbnail", size, "-o", (dir / "o").string()});
    INFO(size << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--thumbnail") != std::string::npos);
  }
}

namespace {

struct TarSample {
  std::string tar;
  std::string key;
  int width;
  int height;
};

// The samples of the tars in out, read and checked by Python's tarfile (check_thumbnail_tars.py):
// by URL. Fails the test when the script finds a problem.
std::map<std::string, TarSample> tar_samples(const TempDir& dir, const fs::path& out) {
  std::vector<std::string> argv = {"/usr/bin/python3", CONC_THUMBNAIL_TARS_CHECK};
  std::set<std::string> tars;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.path().extension() == ".tar") tars.insert(e.path().string());
  }
  argv.insert(argv.end(), tars.begin(), tars.end());
  const pid_t pid = test_support::spawn(argv, dir / "check.out", dir / "check.err");
  const int code = test_support::wait_exit(pid);
  INFO(slurp(dir / "check.err"));
  REQUIRE(code == 0);
  std::map<std::string, TarSample> samples;
  std::istringstream lines(slurp(dir / "check.out"));
  for (std::string tar, key, url; lines >> tar >> key >> url;) {
    TarSample s{tar, key, 0, 0};
    lines >> s.width >> s.height;
    CHECK(samples.count(url) == 0);  // each URL once
    samples[url] = s;
  }
  return samples;
}

}  // namespace

TEST_CASE("conc-fetch --thumbnail --output-format webdataset: tars that Python reads, lines once a tar is complete",
          "[thumbnail][webdataset][server]") {
  const std::string engine = GENERATE(as<std::string>{}, "threads", "multi");
  INFO("engine " << engine);
  TempDir dir;
  const Corpus corpus(dir / "served");
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  const std::vector<std::string> good = {"photo.jpg", "pic.png", "art.webp", "anim.gif"};
  std::vector<std::string> urls;
  for (const auto& name : good) urls.push_back(server.url("/static/" + name));
  urls.push_back(server.url("/static/notes.txt"));
  urls.push_back(server.url("/static/missing.jpg"));
  const fs::path out = dir / "out";
  const std::vector<std::string> args = {
      "--thumbnail", "64",   "--output-format", "webdataset", "--samples-per-tar", "3", "-j", "4",
      "--engine",    engine, "--no-progress",   "-o",         out.string()};
  const Result r = run_fetch(dir, urls, args);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(fs::is_regular_file(out / "00000.tar"));
  CHECK(fs::is_regular_file(out / "00001.tar"));  // the last, partial one
  CHECK_FALSE(fs::exists(out / "00002.tar"));
  const auto samples = tar_samples(dir, out);
  REQUIRE(samples.size() == good.size());
  const auto lines = manifest_by_url(out);
  for (std::size_t i = 0; i < good.size(); ++i) {
    const auto& j = lines.at(urls[i]);
    INFO(j.dump());
    const TarSample& s = samples.at(urls[i]);
    CHECK(j.at("status") == "ok");
    CHECK(j.at("path") == s.tar);
    CHECK(j.at("thumbnail") == s.key + ".jpg");  // JPEG by default in tars, whatever the source
    CHECK(j.at("width") == s.width);
    CHECK(j.at("height") == s.height);
    CHECK(s.key == (i < 9 ? "00000000" : "0000000") + std::to_string(i + 1));  // the list's line
  }
  CHECK(samples.at(urls[0]).width == 48);  // the EXIF-turned photo, upright
  CHECK(lines.at(urls[4]).at("status") == "failed");
  CHECK(lines.at(urls[5]).at("error") == "HTTP 404");
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string ext = e.path().extension().string();
    CHECK((ext == ".tar" || ext == ".json" || ext == ".jsonl" || ext == ".lock" || ext == ".token"));  // no thumbnails
  }
  CHECK(nlohmann::json::parse(slurp(out / "stats.json")).at("output") == "webdataset");

  // Done samples are not done again; the failures are tried again.
  const Result again = run_fetch(dir, urls, args);
  INFO(again.err);
  CHECK(again.err.find("0 thumbnailed, 4 skipped, 2 failed") != std::string::npos);
  CHECK(server.hits("/static/photo.jpg") == 1);
  CHECK_FALSE(fs::exists(out / "00002.tar"));

  // A tar lost since: its name goes to no other samples, so its own are redone, not skipped.
  fs::remove(out / "00001.tar");
  const Result other = run_fetch(dir, {server.url("/static/photo.jpg?other=1")}, args);
  INFO(other.err);
  CHECK(other.exit_code == 0);
  CHECK_FALSE(fs::exists(out / "00001.tar"));
  CHECK(fs::is_regular_file(out / "00002.tar"));
  const Result redo = run_fetch(dir, urls, args);
  INFO(redo.err);
  CHECK(redo.err.find("1 thumbnailed, 3 skipped, 2 failed") != std::string::npos);

  // --format auto, asked for, keeps a PNG's and a WebP's format in the tar too.
  std::vector<std::string> keep = {
      "--thumbnail",   "64", "--output-format",      "webdataset", "--format", "auto", "--engine", engine,
      "--no-progress", "-o", (dir / "keep").string()};
  const Result kept = run_fetch(dir, urls, keep);
  INFO(kept.err);
  const auto kept_lines = manifest_by_url(dir / "keep");
  CHECK(kept_lines.at(urls[1]).at("thumbnail").get<std::string>().ends_with(".png"));
  CHECK(kept_lines.at(urls[2]).at("thumbnail").get<std::string>().ends_with(".webp"));
}

TEST_CASE("conc-fetch --thumbnail checks a listed SHA-256 against the body", "[thumbnail][server]") {
  TempDir dir;
  const Corpus corpus(dir / "served");
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  const std::string right = fetch::sha256_of_bytes(corpus.files.at("photo.jpg"));
  const std::string wrong(64, '0');
  const Result r = run_fetch(dir,
                             {server.url("/static/photo.jpg"), "  checksum=sha-256=" + right,
                              server.url("/static/pic.png"), "  checksum=sha-256=" + wrong},
                             {"--thumbnail", "64", "--no-progress", "-o", (dir / "out").string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("1 thumbnailed, 0 skipped, 1 failed") != std::string::npos);
  CHECK(r.err.find("SHA-256 mismatch (expected " + wrong) != std::string::npos);
}

TEST_CASE("conc-fetch --output-format webdataset: killed mid-run, only samples in complete tars are recorded",
          "[thumbnail][webdataset][server]") {
  TempDir dir;
  constexpr int kFast = 6;
  constexpr int kSlow = 10;
  for (int i = 0; i < kFast + kSlow; ++i) {
    test_images::write(dir / "served" / ("p" + std::to_string(i) + ".jpg"),
                       test_images::encode(test_images::quadrants(200 + 8 * i, 150), ".jpg"));
  }
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  std::vector<std::string> urls;
  for (int i = 0; i < kFast + kSlow; ++i) {
    urls.push_back(server.url("/static/p" + std::to_string(i) + ".jpg" + (i < kFast ? "" : "?delay_ms=1500")));
  }
  const fs::path out = dir / "out";
  std::ofstream list(dir / "list.txt");
  for (const auto& u : urls) list << u << "\n";
  list.close();
  std::vector<std::string> args = {"--thumbnail", "32", "--output-format", "webdataset", "--samples-per-tar", "4",
                                   "-j",          "2",  "--no-progress",   "-o",         out.string()};
  std::vector<std::string> argv = {CONC_FETCH_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back((dir / "list.txt").string());
  const pid_t pid = test_support::spawn(argv, dir / "stdout.txt", dir / "stderr.txt");
  // Killed once a tar is complete, while slow ones are still downloading.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && !fs::exists(out / "00000.tar"))
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(300ms);
  ::kill(pid, SIGKILL);
  test_support::wait_exit(pid);
  INFO(slurp(dir / "stderr.txt"));
  REQUIRE(fs::exists(out / "00000.tar"));
  const auto recorded = manifest_lines(out);
  REQUIRE(recorded.size() < urls.size());
  // Every recorded sample is in the tar its line names.
  {
    const auto samples = tar_samples(dir, out);
    for (const auto& j : recorded) {
      INFO(j.dump());
      REQUIRE(j.at("status") == "ok");
      CHECK(samples.at(j.at("url").get<std::string>()).tar == j.at("path"));
    }
  }
  const Result r = run_fetch(dir, urls, args);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  std::map<std::string, int> ok_lines;
  for (const auto& j : manifest_lines(out)) ok_lines[j.at("url").get<std::string>()] += j.at("status") == "ok";
  CHECK(ok_lines.size() == urls.size());
  for (const auto& [url, count] : ok_lines) CHECK(count == 1);
  for (const auto& j : recorded)
    CHECK(server.hits(fs::path(j.at("url").get<std::string>()).filename().string().insert(0, "/static/")) == 1);
  const auto samples = tar_samples(dir, out);
  for (const auto& j : manifest_lines(out)) CHECK(samples.at(j.at("url").get<std::string>()).tar == j.at("path"));
  for (const auto& e : fs::directory_iterator(out)) CHECK(e.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("conc-fetch --summary: a URL whose thumbnail a later run made has not failed", "[thumbnail][server]") {
  TempDir dir;
  const Corpus corpus(dir / "served");
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  const std::vector<std::string> args = {"--thumbnail", "64", "--no-progress", "-o", (dir / "out").string()};
  const std::string late = server.url("/static/late.jpg");
  CHECK(run_fetch(dir, {late}, args).exit_code == 1);  // not there yet: HTTP 404
  fs::copy_file(dir / "served/photo.jpg", dir / "served/late.jpg");
  CHECK(run_fetch(dir, {late}, args).exit_code == 0);
  const pid_t pid = test_support::spawn({CONC_FETCH_EXE, "--summary", (dir / "out").string()}, dir / "summary.out",
                                        dir / "summary.err");
  const int code = test_support::wait_exit(pid);
  INFO(slurp(dir / "summary.out") + slurp(dir / "summary.err"));
  CHECK(code == 0);
  CHECK(slurp(dir / "summary.out").find("1 downloaded, 0 failed") != std::string::npos);
}
