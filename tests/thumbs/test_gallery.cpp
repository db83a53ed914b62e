// The --gallery pages: escaping, relative links, and the pages a run writes.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "gallery.hpp"
#include "images.hpp"
#include "name_text.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

int run_thumbs(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CONC_THUMBS_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  return test_support::wait_exit(test_support::spawn(argv, dir / "stdout.txt", dir / "stderr.txt"));
}

// The inverse of url_escape_path, to check that every link names a file that exists.
std::string url_unescape(const std::string& url) {
  std::string path;
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (url[i] == '%' && i + 2 < url.size()) {
      path += static_cast<char>(std::stoi(url.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      path += url[i];
    }
  }
  return path;
}

std::string html_unescape(std::string text) {
  for (const auto& [entity, ch] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}}) {
    for (std::size_t at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1)) {
      text.replace(at, entity.size(), ch);
    }
  }
  return text;
}

std::vector<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  std::vector<std::string> values;
  const std::regex pattern(" " + attribute + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), pattern); it != std::sregex_iterator(); ++it) {
    values.push_back(html_unescape((*it)[1].str()));
  }
  return values;
}

struct stat stat_of(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st;
}

}  // namespace

TEST_CASE("HTML escaping covers markup and both quotes", "[thumbs][gallery]") {
  CHECK(thumbs::html_escape("a <b> & \"c\" 'd'") == "a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;");
  CHECK(thumbs::html_escape("plain é") == "plain é");
}

TEST_CASE("URL escaping keeps slashes and unreserved bytes, encodes the rest", "[thumbs][gallery]") {
  CHECK(thumbs::url_escape_path("a/b-c_d.e~f.jpg") == "a/b-c_d.e~f.jpg");
  CHECK(thumbs::url_escape_path("my photo #1?.jpg") == "my%20photo%20%231%3F.jpg");
  CHECK(thumbs::url_escape_path("100%.jpg") == "100%25.jpg");
  CHECK(thumbs::url_escape_path("\"quoted\" & 'single'.png") == "%22quoted%22%20%26%20%27single%27.png");
  CHECK(thumbs::url_escape_path("été/日本.jpg") == "%C3%A9t%C3%A9/%E6%97%A5%E6%9C%AC.jpg");
}

TEST_CASE("links are relative to the page's folder", "[thumbs][gallery]") {
  CHECK(thumbs::relative_url("/w/out", "/w/out/a.jpg") == "a.jpg");
  CHECK(thumbs::relative_url("/w/out/x y", "/w/out/x y/b#1.jpg") == "b%231.jpg");
  CHECK(thumbs::relative_url("/w/out/a/b", "/w/photos/a/b/c.jpg") == "../../../photos/a/b/c.jpg");
  CHECK(thumbs::relative_url("/w/out", "/w/out/sub/é.jpg") == "sub/%C3%A9.jpg");
}

TEST_CASE("the gallery has a page per folder and its links all name existing files", "[thumbs][gallery]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  const std::vector<std::string> sources = {"top #1.jpg", "a b/100% ?.jpg", "a b/été \"q\"/it's.jpg",
                                            "a b/été \"q\"/<deep>/x&y.jpg"};
  for (const std::string& s : sources) test_images::write(dir / "photos" / s, jpeg);
  test_images::write(dir / "photos/a b/broken.jpg", jpeg.substr(0, 200));

  REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                           (dir / "web").string(), (dir / "photos").string()}) == 1);

  const std::vector<fs::path> pages = {dir / "web/index.html", dir / "web/a b/index.html",
                                       dir / "web/a b/été \"q\"/index.html",
                                       dir / "web/a b/été \"q\"/<deep>/index.html"};
  std::set<std::string> linked_pages;
  std::size_t images = 0;
  for (const fs::path& page : pages) {
    INFO(page);
    REQUIRE(fs::exists(page));
    const std::string html = test_support::slurp(page);
    CHECK(html.find("<title>") != std::string::npos);
    for (const std::string& href : attribute_values(html, "href")) {
      INFO(href);
      CHECK(href.find_first_of(" #?\"'<>&") == std::string::npos);
      const fs::path target = (page.parent_path() / url_unescape(href)).lexically_normal();
      CHECK(fs::exists(target));
      if (target.filename() == "index.html") linked_pages.insert(target.string());
    }
    for (const std::string& src : attribute_values(html, "src")) {
      CHECK(fs::exists(page.parent_path() / url_unescape(src)));
      ++images;
    }
    CHECK(attribute_values(html, "width").size() == attribute_values(html, "src").size());
    for (const std::string& w : attribute_values(html, "width")) CHECK(std::stoi(w) == 32);
  }
  CHECK(images == sources.size());
  for (const fs::path& page : pages) {
    if (page != dir / "web/index.html") CHECK(linked_pages.count(page.lexically_normal().string()) == 1);
  }
  const std::string root = test_support::slurp(dir / "web/index.html");
  CHECK(root.find("My &lt;Photos&gt;") != std::string::npos);
  CHECK(root.find("loading=\"lazy\"") != std::string::npos);
  const std::string middle = test_support::slurp(dir / "web/a b/index.html");
  CHECK(middle.find("class=\"tile failed\" title=\"broken.jpg: ") != std::string::npos);
  CHECK(middle.find("href=\"../index.html\">My &lt;Photos&gt;</a>") != std::string::npos);

  SECTION("a run with nothing changed rewrites no page") {
    const auto before = stat_of(dir / "web/a b/index.html");
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    const auto after = stat_of(dir / "web/a b/index.html");
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  }
  SECTION("unchanged images are shown from the remembered facts, changed ones read again") {
    const fs::path facts_file = dir / "web/.conc-gallery.json";
    auto facts = nlohmann::json::parse(test_support::slurp(facts_file));
    REQUIRE(facts.at("tiles").at("top #1.jpg").at("pixels") == "64 x 48 px");
    facts["tiles"]["top #1.jpg"]["pixels"] = "remembered";
    facts["tiles"]["a b/100% ?.jpg"]["pixels"] = "remembered";
    std::ofstream(facts_file) << facts.dump();
    test_images::write(dir / "photos/a b/100% ?.jpg", test_images::encode(test_images::quadrants(48, 64), ".jpg"));
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK(test_support::slurp(dir / "web/index.html").find("remembered") != std::string::npos);
    const std::string middle_now = test_support::slurp(dir / "web/a b/index.html");
    CHECK(middle_now.find("remembered") == std::string::npos);
    CHECK(middle_now.find("48 x 64 px") != std::string::npos);
    CHECK(middle_now.find("width=\"24\" height=\"32\"") != std::string::npos);
  }
  SECTION("a folder with nothing left to show loses its page and its tile") {
    fs::remove_all(dir / "photos/a b/été \"q\"/<deep>");
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK_FALSE(fs::exists(dir / "web/a b/été \"q\"/<deep>/index.html"));
    CHECK(fs::exists(dir / "web/a b/été \"q\"/index.html"));
    CHECK(test_support::slurp(dir / "web/a b/été \"q\"/index.html").find("deep") == std::string::npos);
  }
  SECTION("a new photo rewrites its folder's page") {
    test_images::write(dir / "photos/a b/new.jpg", jpeg);
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK(test_support::slurp(dir / "web/a b/index.html").find("new.jpg") != std::string::npos);
  }
  SECTION("--base-url links originals absolutely") {
    REQUIRE(run_thumbs(dir, {"--gallery", "--base-url", "https://example.org/p", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK(
        test_support::slurp(dir / "web/a b/index.html").find("href=\"https://example.org/p/a%20b/100%25%20%3F.jpg\"") !=
        std::string::npos);
  }
}

TEST_CASE("the gallery shows any name as text and links it by its bytes, percent-encoded", "[thumbs][gallery]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  for (const std::string name : {"caf\xE9.jpg", "new\nline.jpg", "back\\slash #1.jpg", "d\xFF/e\xCC\x81.jpg"}) {
    test_images::write(dir / "photos" / name, jpeg);
  }
  const std::vector<std::string> args = {
      "--gallery", "--no-progress", "-s", "32", "-o", (dir / "web").string(), (dir / "photos").string()};
  REQUIRE(run_thumbs(dir, args) == 0);
  const std::vector<fs::path> pages = {dir / "web/index.html", dir / "web/d\xFF/index.html"};
  for (const fs::path& page : pages) {
    INFO(page);
    const std::string html = test_support::slurp(page);
    REQUIRE_FALSE(html.empty());
    CHECK(common::is_valid_utf8(html));
    for (const char* attribute : {"href", "src"}) {
      for (const std::string& url : attribute_values(html, attribute)) {
        INFO(url);
        CHECK(url.find_first_of(" #\\\n") == std::string::npos);
        CHECK(fs::exists(page.parent_path() / url_unescape(url)));
      }
    }
  }
  const std::string root = test_support::slurp(dir / "web/index.html");
  CHECK(root.find("src=\"caf%E9.jpg\"") != std::string::npos);
  CHECK(root.find("href=\"d%FF/index.html\"") != std::string::npos);
  CHECK(root.find(">caf\\xE9.jpg<") != std::string::npos);
  CHECK(root.find(">new\\x0Aline.jpg<") != std::string::npos);
  CHECK(root.find(">back\\\\slash #1.jpg<") != std::string::npos);
  const auto facts = nlohmann::json::parse(test_support::slurp(dir / "web/.conc-gallery.json"));
  CHECK(facts.at("tiles").contains("caf\\xE9.jpg"));
  CHECK(facts.at("tiles").contains("d\\xFF/e\xCC\x81.jpg"));

  const auto before = stat_of(dir / "web/d\xFF/index.html");
  REQUIRE(run_thumbs(dir, args) == 0);
  const auto after = stat_of(dir / "web/d\xFF/index.html");
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}
