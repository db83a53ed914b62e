// End-to-end: conc-fetch --thumbnail as a dataset builder uses it, against the test server on
// 127.0.0.1: tables in (CSV, TSV, JSON Lines), captions and columns out (in the tars and beside
// files), every resize mode's exact size, the filters, the X-Robots-Tag opt-outs, img2dataset's
// stats, and keys that stay the same across runs and shards.

#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>

#include "engine/sha256.hpp"
#include "fetch_cli.hpp"
#include "fetch_server.hpp"
#include "images.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using test_support::FetchServer;
using test_support::slurp;

namespace {

using fetch_cli::manifest_by_url;
using fetch_cli::Result;

// conc-fetch ARGS LIST, with `list` written to dir/name.
Result run_fetch(const TempDir& dir, const std::string& name, const std::string& list, std::vector<std::string> args) {
  return fetch_cli::run(dir, list, std::move(args), name);
}

Result run_summary(const TempDir& dir, const fs::path& out) { return fetch_cli::summary(dir, out); }

// A tar's members in order, read with libarchive.
std::vector<std::pair<std::string, std::string>> tar_members(const fs::path& tar) {
  std::vector<std::pair<std::string, std::string>> members;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_filename(a, tar.c_str(), 1 << 16) == ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string bytes(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
    if (!bytes.empty())
      REQUIRE(archive_read_data(a, bytes.data(), bytes.size()) == static_cast<la_ssize_t>(bytes.size()));
    members.emplace_back(archive_entry_pathname(entry), std::move(bytes));
  }
  archive_read_free(a);
  return members;
}

// Every member of every tar in folder (and its subfolders), by name.
std::map<std::string, std::string> all_members(const fs::path& folder) {
  std::map<std::string, std::string> members;
  for (const auto& e : fs::recursive_directory_iterator(folder)) {
    if (e.path().extension() != ".tar") continue;
    for (auto& [name, bytes] : tar_members(e.path())) {
      CHECK(members.count(name) == 0);
      members[name] = std::move(bytes);
    }
  }
  return members;
}

cv::Mat decoded(const std::string& bytes) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
                      cv::IMREAD_COLOR);
}

// One table, written in each format, with a caption, two saved columns and one bad row.
struct Table {
  std::string name;
  std::string text;
  std::size_t bad_line;
  std::string bad_reason;
};

Table table_in(const std::string& format, const FetchServer& server) {
  const std::string a = server.url("/static/a.jpg");
  const std::string b = server.url("/static/b.png");
  const std::string gone = server.url("/static/gone.jpg");
  if (format == "csv") {
    return {"list.csv",
            "url,caption,NSFW,similarity\n" + a + ",\"a drop, close up\",UNLIKELY,0.31\n" + b +
                ",\"two\nlines\",NSFW,0.29\n" + "http://h/x.jpg,\"never\" closed,x,1\n" + gone + ",gone,UNLIKELY,0.5\n",
            5, "line 5: a quote inside a field that is not quoted, or text after a closing quote"};
  }
  if (format == "tsv") {
    return {"list.tsv",
            "url\tcaption\tNSFW\tsimilarity\n" + a + "\ta drop, close up\tUNLIKELY\t0.31\n" + b +
                "\t\"two\nlines\"\tNSFW\t0.29\n" + "http://h/x.jpg\tshort row\n" + gone + "\tgone\tUNLIKELY\t0.5\n",
            5, "line 5: the row has 2 fields, the header 4"};
  }
  return {"list.jsonl",
          "{\"url\": \"" + a +
              "\", \"caption\": \"a drop, close up\", \"NSFW\": \"UNLIKELY\", \"similarity\": \"0.31\"}\n" +
              "{\"url\": \"" + b + "\", \"caption\": \"two\\nlines\", \"NSFW\": \"NSFW\", \"similarity\": \"0.29\"}\n" +
              "\n\n{\"url\": \"http://h/x.jpg\", oops}\n" + "{\"url\": \"" + gone +
              "\", \"caption\": \"gone\", \"NSFW\": \"UNLIKELY\", \"similarity\": \"0.5\"}\n",
          5, "line 5: not JSON (parse error"};
}

}  // namespace

TEST_CASE("conc-fetch: a table in each format gives captions and columns in the tars, a bad row costs itself",
          "[thumbnail][dataset][server]") {
  const std::string format = GENERATE(as<std::string>{}, "csv", "tsv", "jsonl");
  INFO("format " << format);
  TempDir dir;
  test_images::write(dir / "served" / "a.jpg", test_images::encode(test_images::quadrants(300, 200), ".jpg"));
  test_images::write(dir / "served" / "b.png", test_images::encode(test_images::quadrants(120, 160), ".png"));
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  const Table table = table_in(format, server);
  const fs::path out = dir / "out";
  const Result r = run_fetch(dir, table.name, table.text,
                             {"--thumbnail", "64", "--output-format", "webdataset", "--caption-col", "caption",
                              "--save-columns", "NSFW,similarity", "--no-progress", "-o", out.string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  // The bad row: one line naming its line and why; the rows around it are done.
  CHECK(r.err.find(table.bad_reason) != std::string::npos);
  CHECK(r.err.find("2 thumbnailed, 0 skipped, 2 failed") != std::string::npos);

  const auto members = tar_members(out / "00000.tar");
  std::vector<std::string> names;
  for (const auto& [name, bytes] : members) names.push_back(name);
  // The CSV and TSV rows start on lines 2 and 3, the JSON Lines on 1 and 2.
  const std::string ka = format == "jsonl" ? "000000001" : "000000002";
  const std::string kb = format == "jsonl" ? "000000002" : "000000003";
  CHECK(std::set<std::string>(names.begin(), names.end()) ==
        std::set<std::string>{ka + ".jpg", ka + ".txt", ka + ".json", kb + ".jpg", kb + ".txt",
                              kb + ".json"});  // a PNG too: JPEG in tars
  std::map<std::string, std::string> by_name(members.begin(), members.end());
  CHECK(by_name.at(ka + ".txt") == "a drop, close up");
  CHECK(by_name.at(kb + ".txt") == "two\nlines");
  const auto meta = nlohmann::json::parse(by_name.at(ka + ".json"));
  INFO(meta.dump());
  CHECK(meta.at("key") == ka);
  CHECK(meta.at("url") == server.url("/static/a.jpg"));
  CHECK(meta.at("caption") == "a drop, close up");
  CHECK(meta.at("NSFW") == "UNLIKELY");
  CHECK(meta.at("similarity") == "0.31");
  CHECK(meta.at("status") == "success");
  CHECK(meta.at("width") == 64);
  CHECK(meta.at("height") == 43);
  CHECK(meta.at("original_width") == 300);
  CHECK(meta.at("original_height") == 200);
  CHECK(meta.at("sha256") == fetch::sha256_of_bytes(slurp(dir / "served" / "a.jpg")));
  const cv::Mat image = decoded(by_name.at(ka + ".jpg"));
  CHECK(image.cols == 64);
  CHECK(image.rows == 43);

  // Python's tarfile reads the same samples, each caption KEY.txt and its JSON's.
  const pid_t check = test_support::spawn({"/usr/bin/python3", CONC_THUMBNAIL_TARS_CHECK, (out / "00000.tar").string()},
                                          dir / "check.out", dir / "check.err");
  CHECK(test_support::wait_exit(check) == 0);
  CHECK(slurp(dir / "check.err").empty());

  // A failed sample keeps its row's columns and its error in the manifest.
  const auto lines = manifest_by_url(out / ".conc-fetch.jsonl");
  const auto& gone = lines.at(server.url("/static/gone.jpg"));
  INFO(gone.dump());
  CHECK(gone.at("status") == "failed");
  CHECK(gone.at("error") == "HTTP 404");
  CHECK(gone.at("caption") == "gone");
  CHECK(gone.at("columns") == nlohmann::json{{"NSFW", "UNLIKELY"}, {"similarity", "0.5"}});
  std::size_t bad = 0;
  for (const auto& [url, j] : lines) {
    if (j.value("error", "").find(table.bad_reason) == 0) ++bad;
  }
  CHECK(bad == 1);
}

TEST_CASE("conc-fetch: --input-format names a table whatever the list's name, and a header without the column exits 2",
          "[thumbnail][dataset][server]") {
  TempDir dir;
  test_images::write(dir / "served" / "a.jpg", test_images::encode(test_images::quadrants(300, 200), ".jpg"));
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  const std::string csv = "link,text\n" + server.url("/static/a.jpg") + ",\"a, b\"\n";
  const Result r = run_fetch(dir, "list.txt", csv,
                             {"--input-format", "csv", "--url-col", "link", "--caption-col", "text", "--thumbnail",
                              "32", "--no-progress", "-o", (dir / "out").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(slurp(dir / "out" / "a.txt") == "a, b");
  // Read as a plain list, the same file is one bad line per row: the header, and a URL with ",\"a".
  const Result plain = run_fetch(dir, "list.txt", csv, {"--no-progress", "-o", (dir / "plain").string()});
  CHECK(plain.exit_code == 1);

  const Result missing = run_fetch(dir, "list.csv", csv, {"--no-progress", "-o", (dir / "o2").string()});
  INFO(missing.err);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("list.csv: the header has no column 'url' (--url-col); it names link, text") !=
        std::string::npos);
  const Result no_table = run_fetch(dir, "urls.txt", server.url("/static/a.jpg") + "\n",
                                    {"--caption-col", "text", "-o", (dir / "o3").string()});
  CHECK(no_table.exit_code == 2);
  CHECK(no_table.err.find("--caption-col has no effect without a table") != std::string::npos);
  for (const std::string own : {"width", "schema"}) {
    const Result reserved = run_fetch(dir, "list.csv", csv, {"--save-columns", own, "-o", (dir / "o4").string()});
    CHECK(reserved.exit_code == 2);
    CHECK(reserved.err.find("--save-columns: '" + own + "' is a field conc-fetch writes itself") != std::string::npos);
  }
}

TEST_CASE("conc-fetch: files from a table have their JSON and caption beside them", "[thumbnail][dataset][server]") {
  TempDir dir;
  test_images::write(dir / "served" / "a.jpg", test_images::encode(test_images::quadrants(300, 200), ".jpg"));
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  const fs::path out = dir / "out";
  const Result r = run_fetch(dir, "list.tsv",
                             "url\tcaption\tLICENSE\n" + server.url("/static/a.jpg") + "\ta drop\tcc-by\n" +
                                 server.url("/static/gone.jpg") + "\tgone\tcc0\n",
                             {"--thumbnail", "50", "--caption-col", "caption", "--save-columns", "LICENSE",
                              "--no-progress", "-o", out.string()});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(slurp(out / "a.txt") == "a drop");
  const auto meta = nlohmann::json::parse(slurp(out / "a.json"));
  INFO(meta.dump());
  CHECK(meta.at("key") == "000000002");
  CHECK(meta.at("LICENSE") == "cc-by");
  CHECK(meta.at("width") == 50);
  CHECK(meta.at("height") == 33);
  CHECK(cv::imread((out / "a.jpg").string()).cols == 50);
  CHECK_FALSE(fs::exists(out / "gone.json"));
  CHECK(manifest_by_url(out / ".conc-fetch.jsonl").at(server.url("/static/gone.jpg")).at("columns") ==
        nlohmann::json{{"LICENSE", "cc0"}});
}

TEST_CASE("conc-fetch --fit: every resize mode's exact size, larger and smaller than the box",
          "[thumbnail][dataset][server]") {
  TempDir dir;
  test_images::write(dir / "served" / "big.png", test_images::encode(test_images::quadrants(400, 300), ".png"));
  test_images::write(dir / "served" / "small.png", test_images::encode(test_images::quadrants(30, 20), ".png"));
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  struct Expected {
    std::string fit;
    bool only_if_bigger;
    int big_w, big_h, small_w, small_h;
  };
  // Box 80x40: the big image scales by 0.133 (contain) or 0.2 (shortest), the small one by 2 or 2.67.
  const std::vector<Expected> cases = {
      {"contain", false, 53, 40, 60, 40}, {"shortest", false, 80, 60, 80, 53}, {"cover", false, 80, 40, 80, 40},
      {"border", false, 80, 40, 80, 40},  {"fill", false, 80, 40, 80, 40},     {"none", false, 400, 300, 30, 20},
      {"contain", true, 53, 40, 30, 20},  {"shortest", true, 80, 60, 30, 20},  {"cover", true, 80, 40, 30, 20},
      {"border", true, 80, 40, 80, 40},   {"fill", true, 80, 40, 80, 40},      {"none", true, 400, 300, 30, 20}};
  const std::string list = server.url("/static/big.png") + "\n" + server.url("/static/small.png") + "\n";
  int run = 0;
  for (const Expected& e : cases) {
    INFO("--fit " << e.fit << (e.only_if_bigger ? " --resize-only-if-bigger" : ""));
    const fs::path out = dir / ("out" + std::to_string(run++));
    std::vector<std::string> args = {"--thumbnail", "80x40", "--fit", e.fit, "--no-progress", "-o", out.string()};
    if (e.only_if_bigger) args.push_back("--resize-only-if-bigger");
    if (e.fit == "border") args.insert(args.end(), {"--border-colour", "202020"});
    const Result r = run_fetch(dir, "list.txt", list, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const cv::Mat big = cv::imread((out / "big.png").string(), cv::IMREAD_COLOR);
    const cv::Mat small = cv::imread((out / "small.png").string(), cv::IMREAD_COLOR);
    CHECK(big.cols == e.big_w);
    CHECK(big.rows == e.big_h);
    CHECK(small.cols == e.small_w);
    CHECK(small.rows == e.small_h);
    const auto lines = manifest_by_url(out / ".conc-fetch.jsonl");
    CHECK(lines.at(server.url("/static/small.png")).at("width") == e.small_w);
    if (e.fit == "border") {
      // The padding is the --border-colour, the picture in the middle.
      const cv::Vec3b border(0x20, 0x20, 0x20);
      CHECK(small.at<cv::Vec3b>(0, 0) == border);
      CHECK(small.at<cv::Vec3b>(small.rows - 1, small.cols - 1) == border);
      CHECK(big.at<cv::Vec3b>(20, 2) == border);
      CHECK(small.at<cv::Vec3b>(20, 40) != border);
    }
  }
}

TEST_CASE("conc-fetch --skip-reencode: a JPEG left at its own size keeps its bytes, others are encoded",
          "[thumbnail][dataset][server]") {
  TempDir dir;
  const std::string small = test_images::encode(test_images::quadrants(60, 40), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 97});
  test_images::write(dir / "served" / "small.jpg", small);
  test_images::write(dir / "served" / "turned.jpg", test_images::with_exif_orientation(small, 6));
  test_images::write(dir / "served" / "big.jpg", test_images::encode(test_images::quadrants(300, 200), ".jpg"));
  test_images::write(dir / "served" / "small.png", test_images::encode(test_images::quadrants(60, 40), ".png"));
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  std::string list;
  for (const char* name : {"small.jpg", "turned.jpg", "big.jpg", "small.png"})
    list += server.url("/static/") + name + "\n";
  const auto run = [&](const std::string& out, std::vector<std::string> more) {
    std::vector<std::string> args = {"--thumbnail",   "64", "--format",          "jpeg", "--resize-only-if-bigger",
                                     "--no-progress", "-o", (dir / out).string()};
    args.insert(args.end(), more.begin(), more.end());
    const Result r = run_fetch(dir, "list.txt", list, args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  };
  run("kept", {"--skip-reencode"});
  CHECK(slurp(dir / "kept" / "small.jpg") == small);
  CHECK(slurp(dir / "kept" / "turned.jpg") != slurp(dir / "served" / "turned.jpg"));  // turned upright: encoded
  CHECK(cv::imread((dir / "kept" / "turned.jpg").string()).cols == 40);
  CHECK(cv::imread((dir / "kept" / "big.jpg").string()).cols == 64);
  CHECK(cv::imread((dir / "kept" / "small.1.jpg").string()).cols == 60);  // the PNG, as a JPEG
  run("encoded", {});
  CHECK(slurp(dir / "encoded" / "small.jpg") != small);
}

TEST_CASE("conc-fetch filters: --min-image-size, --max-aspect-ratio, --max-pixels, each counted by reason",
          "[thumbnail][dataset][server]") {
  TempDir dir;
  test_images::write(dir / "served" / "ok.png", test_images::encode(test_images::quadrants(200, 150), ".png"));
  test_images::write(dir / "served" / "tiny.png", test_images::encode(test_images::quadrants(100, 40), ".png"));
  test_images::write(dir / "served" / "long.png", test_images::encode(test_images::quadrants(600, 100), ".png"));
  test_images::write(dir / "served" / "huge.png", test_images::encode(test_images::quadrants(900, 800), ".png"));
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  std::string list;
  for (const char* name : {"ok.png", "tiny.png", "long.png", "huge.png"}) list += server.url("/static/") + name + "\n";
  const fs::path out = dir / "out";
  const Result r = run_fetch(dir, "list.txt", list,
                             {"--thumbnail", "64", "--min-image-size", "50", "--max-aspect-ratio", "4", "--max-pixels",
                              "500000", "--no-progress", "-o", out.string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);  // a refusal is no failure
  CHECK(r.err.find("1 thumbnailed, 0 skipped, 0 failed, 3 filtered") != std::string::npos);
  const auto lines = manifest_by_url(out / ".conc-fetch.jsonl");
  const std::map<std::string, std::pair<std::string, std::string>> refused = {
      {"tiny.png", {"too_small", "too small (100x40: a side under 50 pixels"}},
      {"long.png", {"aspect_ratio", "aspect ratio too large (600x100: 6 to 1"}},
      {"huge.png", {"too_many_pixels", "too many pixels (900x800 is more than the limit of 500000"}}};
  for (const auto& [name, why] : refused) {
    const auto& j = lines.at(server.url("/static/" + name));
    INFO(j.dump());
    CHECK(j.at("status") == "filtered");
    CHECK(j.at("filtered") == why.first);
    CHECK(j.at("error").get<std::string>().rfind(why.second, 0) == 0);
    CHECK_FALSE(fs::exists(out / (fs::path(name).stem().string() + ".png")));
  }
  CHECK(lines.at(server.url("/static/ok.png")).at("status") == "ok");
  const auto stats = nlohmann::json::parse(slurp(out / "stats.json"));
  INFO(stats.dump());
  CHECK(stats.at("filtered") == 3);
  CHECK(stats.at("filtered_by") == nlohmann::json{{"aspect_ratio", 1}, {"too_many_pixels", 1}, {"too_small", 1}});
  CHECK(stats.at("successes") == 1);
  CHECK(stats.at("failed_to_resize") == 0);
}

TEST_CASE("conc-fetch: an X-Robots-Tag opt-out is honoured, for all agents or for conc-fetch's names",
          "[thumbnail][dataset][server]") {
  TempDir dir;
  test_images::write(dir / "served" / "a.png", test_images::encode(test_images::quadrants(100, 80), ".png"));
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  // Each URL's robots= values become X-Robots-Tag headers.
  const std::vector<std::pair<std::string, std::string>> urls = {
      {"plain", "/static/a.png?v=plain"},
      {"noai", "/static/a.png?robots=noai"},
      {"NoImageAI among others", "/static/a.png?robots=nofollow&robots=noarchive,%20NoImageAI"},
      {"noindex for conc-fetch", "/static/a.png?robots=conc-fetch:%20noindex"},
      {"noai for another agent", "/static/a.png?robots=otherbot:%20noai"},
      {"noimageindex for the token", "/static/a.png?robots=MyBot:%20noimageindex"},
      {"nofollow only", "/static/a.png?robots=nofollow"}};
  std::string list;
  for (const auto& [what, path] : urls) list += server.url(path) + "\n";
  const auto kept = [&](const fs::path& out) {
    std::set<std::string> names;
    for (const auto& [url, j] : manifest_by_url(out / ".conc-fetch.jsonl")) {
      for (const auto& [what, path] : urls) {
        if (url == server.url(path) && j.at("status") == "ok") names.insert(what);
        if (url == server.url(path) && j.at("status") != "ok") {
          CHECK(j.at("status") == "opted-out");
          CHECK(j.at("error").get<std::string>().rfind("X-Robots-Tag: ", 0) == 0);
        }
      }
    }
    return names;
  };
  const fs::path out = dir / "out";
  const Result r = run_fetch(dir, "list.txt", list,
                             {"--thumbnail", "32", "--user-agent-token", "mybot", "--output-format", "webdataset",
                              "--no-progress", "-o", out.string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("3 thumbnailed, 0 skipped, 0 failed, 4 opted out") != std::string::npos);
  CHECK(kept(out) == std::set<std::string>{"plain", "noai for another agent", "nofollow only"});
  CHECK(all_members(out).size() == 6);  // three samples, an image and a JSON each
  CHECK(nlohmann::json::parse(slurp(out / "stats.json")).at("opted_out") == 4);

  // Without the token, a tag for it is another agent's.
  const Result no_token =
      run_fetch(dir, "list.txt", list, {"--thumbnail", "32", "--no-progress", "-o", (dir / "o2").string()});
  CHECK(kept(dir / "o2").count("noimageindex for the token") == 1);
  // An empty list of directives keeps everything; another list decides alone.
  const Result none = run_fetch(
      dir, "list.txt", list,
      {"--thumbnail", "32", "--disallowed-header-directives", "", "--no-progress", "-o", (dir / "o3").string()});
  CHECK(kept(dir / "o3").size() == urls.size());
  const Result nofollow = run_fetch(dir, "list.txt", list,
                                    {"--thumbnail", "32", "--disallowed-header-directives", "NoFollow", "--no-progress",
                                     "-o", (dir / "o4").string()});
  CHECK(kept(dir / "o4").count("nofollow only") == 0);
  CHECK(kept(dir / "o4").count("noai") == 1);

  // Site owners can address the tool: the token is in the User-Agent.
  const Result ua = run_fetch(dir, "ua.txt", server.url("/headers") + "\n",
                              {"--user-agent-token", "mybot", "--no-progress", "-o", (dir / "ua").string()});
  CHECK(ua.exit_code == 0);
  CHECK(slurp(dir / "ua" / "headers").find("User-Agent: conc-fetch/0.1 (compatible; mybot)") != std::string::npos);
}

TEST_CASE("conc-fetch: stats as img2dataset writes them, per shard and merged by --summary",
          "[thumbnail][dataset][server]") {
  TempDir dir;
  for (int i = 0; i < 6; ++i) {
    test_images::write(dir / "served" / ("p" + std::to_string(i) + ".png"),
                       test_images::encode(test_images::quadrants(100 + i, i < 2 ? 80 : 90), ".png"));
  }
  test_images::write(dir / "served" / "notes.txt", "not an image\n");
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  std::string list = "url\n";
  for (int i = 0; i < 6; ++i) list += server.url("/static/p" + std::to_string(i) + ".png") + "\n";
  list += server.url("/static/notes.txt") + "\n" + server.url("/static/gone1.png") + "\n" +
          server.url("/static/gone2.png") + "\n" + server.url("/static/p0.png?robots=noai") + "\n";
  const fs::path out = dir / "out";
  for (const char* shard : {"0/2", "1/2"}) {
    const Result r = run_fetch(dir, "list.csv", list,
                               {"--thumbnail", "32", "--shard", shard, "--output-format", "webdataset",
                                "--min-image-size", "81", "--no-progress", "-o", out.string()});
    INFO(r.err);
    // Which shard takes which URL hangs on the server's port: a shard may have no failure.
    CHECK((r.exit_code == 0 || r.exit_code == 1));
  }
  std::uint64_t count = 0;
  for (const char* name : {"stats.shard-0000-of-0002.json", "stats.shard-0001-of-0002.json"}) {
    const auto stats = nlohmann::json::parse(slurp(out / name));
    INFO(stats.dump());
    count += stats.at("count").get<std::uint64_t>();
    for (const char* field :
         {"successes", "failed_to_download", "failed_to_resize", "opted_out", "filtered", "duration", "status_dict"}) {
      CHECK(stats.contains(field));
    }
  }
  CHECK(count == 10);
  const Result summary = run_summary(dir, out);
  INFO(summary.out << summary.err);
  CHECK(summary.exit_code == 1);
  // p0 and p1 are 80 high: under --min-image-size 81, filtered; p0 again, with X-Robots-Tag: noai, opted out.
  CHECK(summary.out.find("count 10: 4 successes, 2 failed to download, 1 failed to resize, 1 opted out, 2 filtered "
                         "(too_small 2); the longest run ") != std::string::npos);
  CHECK(summary.out.find("most frequent: 2 HTTP 404; ") != std::string::npos);
  CHECK(summary.out.find("1 opted out: X-Robots-Tag: noai") != std::string::npos);
  CHECK(summary.out.find("2 filtered: too_small") != std::string::npos);
}

TEST_CASE("conc-fetch: sample keys stay the same across runs and shards", "[thumbnail][dataset][server]") {
  TempDir dir;
  for (int i = 0; i < 12; ++i) {
    test_images::write(dir / "served" / ("p" + std::to_string(i) + ".png"),
                       test_images::encode(test_images::quadrants(60 + i, 40), ".png"));
  }
  FetchServer server(CONC_FETCH_TEST_SERVER, {"--files", (dir / "served").string()});
  std::string list = "url,caption\n";
  for (int i = 0; i < 12; ++i)
    list += server.url("/static/p" + std::to_string(i) + ".png") + ",photo " + std::to_string(i) + "\n";
  // The key of each URL in every tar under a folder; a URL in two samples fails.
  const auto keys = [&](const fs::path& folder) {
    std::map<std::string, std::string> by_url;
    for (const auto& [name, bytes] : all_members(folder)) {
      if (!name.ends_with(".json")) continue;
      const auto j = nlohmann::json::parse(bytes);
      CHECK(by_url.count(j.at("url")) == 0);
      by_url[j.at("url")] = j.at("key");
      CHECK(name == j.at("key").get<std::string>() + ".json");
    }
    return by_url;
  };
  const std::vector<std::string> args = {"--thumbnail",       "32", "--output-format", "webdataset",
                                         "--samples-per-tar", "5",  "--caption-col",   "caption",
                                         "--no-progress"};
  const auto run = [&](const fs::path& out, std::vector<std::string> more) {
    std::vector<std::string> all = args;
    all.insert(all.end(), more.begin(), more.end());
    all.insert(all.end(), {"-o", out.string()});
    const Result r = run_fetch(dir, "list.csv", list, all);
    INFO(r.err);
    CHECK(r.exit_code == 0);
  };
  run(dir / "whole", {});
  const auto whole = keys(dir / "whole");
  REQUIRE(whole.size() == 12);
  for (int i = 0; i < 12; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "%09d", i + 2);  // the row's line, after the header
    CHECK(whole.at(server.url("/static/p" + std::to_string(i) + ".png")) == key);
  }
  for (const char* shard : {"0/3", "1/3", "2/3"}) run(dir / "shards", {"--shard", shard});
  CHECK(keys(dir / "shards") == whole);
  // A tar lost since: its samples are made again, under the same keys.
  fs::remove(dir / "whole" / "00000.tar");
  run(dir / "whole", {});
  CHECK(keys(dir / "whole") == whole);
}
