// The --gallery album: escaping, relative links, the grid's layout, the renditions a run makes for
// it and the pages it writes (folders, covers, viewer pages, order).

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
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

// Every URL a page names (href, src and each srcset candidate), but the empty icon.
std::vector<std::string> urls_of(const std::string& html);

std::vector<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  std::vector<std::string> values;
  const std::regex pattern(" " + attribute + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), pattern); it != std::sregex_iterator(); ++it) {
    values.push_back(html_unescape((*it)[1].str()));
  }
  return values;
}

std::vector<std::string> urls_of(const std::string& html) {
  std::vector<std::string> urls;
  for (const char* attribute : {"href", "src"}) {
    for (std::string& url : attribute_values(html, attribute)) {
      if (url != "data:,") urls.push_back(std::move(url));
    }
  }
  for (const std::string& srcset : attribute_values(html, "srcset")) {
    std::istringstream candidates(srcset);
    for (std::string candidate; std::getline(candidates, candidate, ',');) {
      std::istringstream words(candidate);
      std::string url;
      words >> url;
      urls.push_back(url);
    }
  }
  return urls;
}

// The part of a URL before its fragment.
std::string without_fragment(const std::string& url) { return url.substr(0, url.find('#')); }

// The value of `attribute` in the first tag that holds `marker`, or "" when there is none.
std::string attribute_in_tag(const std::string& html, const std::string& marker, const std::string& attribute) {
  const auto at = html.find(marker);
  if (at == std::string::npos) return {};
  const auto start = html.rfind('<', at);
  const std::string tag = html.substr(start, html.find('>', at) - start + 1);
  const auto values = attribute_values(tag, attribute);
  return values.empty() ? std::string() : values.front();
}

void set_mtime(const fs::path& path, std::int64_t seconds) {
  const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
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

TEST_CASE("the grid's sizes attribute follows its CSS columns", "[thumbs][gallery]") {
  const thumbs::GridLayout layout = thumbs::grid_layout(256);
  // Two columns below three tiles' width (3 x 256 + 2 gaps + 2 paddings), each half the row; at
  // least four from 1024 px on; then one more each time a tile of 256 fits, up to six, and there
  // the page stops growing (a seventh would fit: 7 x 262 - 6 + 16).
  CHECK(layout.css ==
        ".index header,.index main{max-width:1844px;margin:0 auto}\n"
        "@media (min-width:796px){.grid{grid-template-columns:repeat(3,1fr)}}\n"
        "@media (min-width:1024px){.grid{grid-template-columns:repeat(4,1fr)}}\n"
        "@media (min-width:1320px){.grid{grid-template-columns:repeat(5,1fr)}}\n"
        "@media (min-width:1582px){.grid{grid-template-columns:repeat(6,1fr)}}\n");
  CHECK(layout.sizes ==
        "(min-width:1844px) 299.667px, (min-width:1582px) calc((100vw - 46px)/6), (min-width:1320px) calc((100vw - "
        "40px)/5), (min-width:1024px) calc((100vw - 34px)/4), (min-width:796px) calc((100vw - 28px)/3), calc(50vw - "
        "11px)");
  // Small tiles: more columns on a phone, and a narrow page on a wide screen.
  const thumbs::GridLayout small = thumbs::grid_layout(75);
  CHECK(small.css.find("@media (min-width:334px){.grid{grid-template-columns:repeat(4,1fr)}}") != std::string::npos);
  CHECK(small.sizes.rfind("(min-width:577px) 88.5px, (min-width:496px) calc((100vw - 46px)/6)", 0) == 0);
  // Large ones: four columns from 1024 px on, even where fewer would be as large as asked.
  CHECK(thumbs::grid_layout(512).sizes.find("(min-width:1024px) calc((100vw - 34px)/4), calc(50vw - 11px)") !=
        std::string::npos);
}

TEST_CASE("a photo's viewer page is named by its thumbnail, shortened when too long", "[thumbs][gallery]") {
  CHECK(thumbs::viewer_page_name("a b.jpg") == "a b.jpg.html");
  CHECK(thumbs::viewer_page_name("index.jpg") == "index.jpg.html");
  const std::string longest(251, 'x');
  CHECK(thumbs::viewer_page_name(longest + ".jpg").size() <= NAME_MAX);
  CHECK(thumbs::viewer_page_name(longest + ".jpg").rfind("photo-", 0) == 0);
  CHECK(thumbs::viewer_page_name(longest + ".jpg") == thumbs::viewer_page_name(longest + ".jpg"));
  CHECK(thumbs::viewer_page_name(longest + ".jpg") != thumbs::viewer_page_name(longest + ".png"));
}

TEST_CASE("with --gallery a source gets a 2x thumbnail and the viewer's rendition, each once", "[thumbs][gallery]") {
  thumbs::Options o;
  o.sizes = {{128, 128}};
  CHECK(thumbs::renditions_for(o).list.size() == 1);
  o.gallery = true;
  thumbs::Renditions r = thumbs::renditions_for(o);
  REQUIRE(r.list.size() == 3);
  CHECK(r.list[r.double_size].box == thumbs::Box{256, 256});
  CHECK_FALSE(r.list[r.double_size].fit.has_value());  // the run's --fit, as the 1x
  CHECK(r.list[r.viewer].box == thumbs::kViewerBox);
  CHECK(r.list[r.viewer].fit == thumbs::Fit::Contain);  // never cropped, whatever --fit says
  o.sizes = {{128, 128}, {256, 256}, {1600, 1600}};
  r = thumbs::renditions_for(o);
  CHECK(r.list.size() == 3);
  CHECK(r.double_size == 1);
  CHECK(r.viewer == 2);
}

TEST_CASE("the gallery has a page per folder and per photo, and its links all name existing files",
          "[thumbs][gallery]") {
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
    for (const std::string& url : urls_of(html)) {
      INFO(url);
      CHECK(url.find_first_of(" #?\"'<>&") == std::string::npos);
      const fs::path target = (page.parent_path() / url_unescape(url)).lexically_normal();
      CHECK(fs::exists(target));
      if (target.filename() == "index.html") linked_pages.insert(target.string());
    }
    for (const std::string& src : attribute_values(html, "src")) {
      CHECK(fs::exists(page.parent_path() / url_unescape(src)));
      ++images;
    }
    CHECK(attribute_values(html, "width").size() == attribute_values(html, "src").size());
    CHECK(attribute_values(html, "height").size() == attribute_values(html, "src").size());
    CHECK(attribute_values(html, "srcset").size() == attribute_values(html, "src").size());
  }
  // Each photo's tile, and the folders' covers: the first photo in the folder or below it.
  CHECK(images == sources.size() + 3);
  for (const fs::path& page : pages) {
    if (page != dir / "web/index.html") CHECK(linked_pages.count(page.lexically_normal().string()) == 1);
  }
  const std::string root = test_support::slurp(dir / "web/index.html");
  CHECK(root.find("My &lt;Photos&gt;") != std::string::npos);
  CHECK(root.find("href=\"top%20%231.jpg.html\"") != std::string::npos);
  // The album "a b" has 3 photos below it and the cover of its first photo by name.
  CHECK(root.find("<span class=\"name\">a b</span><span class=\"count\">3 photos</span>") != std::string::npos);
  CHECK(attribute_in_tag(root, "alt=\"\"", "src") == "a%20b/100%25%20%3F.jpg");
  const std::string middle = test_support::slurp(dir / "web/a b/index.html");
  CHECK(middle.find("<li title=\"broken.jpg: ") != std::string::npos);
  CHECK(middle.find("href=\"../index.html\">My &lt;Photos&gt;</a>") != std::string::npos);
  CHECK(middle.find("alt=\"100% ?\"") != std::string::npos);
  // A photo's page: the viewer's rendition, the original, and the way back to its tile.
  const fs::path viewer = dir / "web/a b/100% ?.jpg.html";
  REQUIRE(fs::exists(viewer));
  const std::string view = test_support::slurp(viewer);
  CHECK(attribute_values(view, "src") == std::vector<std::string>{"../1600x1600/a%20b/100%25%20%3F.jpg"});
  CHECK(attribute_in_tag(view, "class=\"view\"", "width") == "64");
  CHECK(attribute_in_tag(view, "class=\"view\"", "height") == "48");
  CHECK(attribute_in_tag(view, ">Original<", "href") == "../../photos/a%20b/100%25%20%3F.jpg");
  CHECK(attribute_in_tag(view, "id=\"up\"", "href") == "index.html#p1");
  for (const std::string& url : urls_of(view)) {
    INFO(url);
    CHECK(fs::exists(viewer.parent_path() / url_unescape(without_fragment(url))));
  }

  SECTION("a run with nothing changed makes nothing and rewrites no page") {
    const auto before = stat_of(dir / "web/a b/index.html");
    const auto viewer_before = stat_of(viewer);
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK(test_support::slurp(dir / "stderr.txt").find("0 made, 4 skipped, 1 failed") != std::string::npos);
    const auto after = stat_of(dir / "web/a b/index.html");
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    CHECK(stat_of(viewer).st_ino == viewer_before.st_ino);
  }
  SECTION("unchanged images are shown from the remembered facts, changed ones read again") {
    const fs::path facts_file = dir / "web/.conc-gallery.json";
    auto facts = nlohmann::json::parse(test_support::slurp(facts_file));
    REQUIRE(facts.at("tiles").at("top #1.jpg").at("pixels") == "64 x 48 px");
    CHECK(facts.at("tiles").at("top #1.jpg").at("thumb2") == nlohmann::json::array({64, 48}));
    facts["tiles"]["top #1.jpg"]["pixels"] = "remembered";
    facts["tiles"]["a b/100% ?.jpg"]["pixels"] = "remembered";
    std::ofstream(facts_file) << facts.dump();
    test_images::write(dir / "photos/a b/100% ?.jpg", test_images::encode(test_images::quadrants(48, 64), ".jpg"));
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK(test_support::slurp(dir / "web/top #1.jpg.html").find("remembered") != std::string::npos);
    const std::string middle_now = test_support::slurp(dir / "web/a b/index.html");
    CHECK(middle_now.find("remembered") == std::string::npos);
    CHECK(middle_now.find("48 x 64 px") != std::string::npos);
    CHECK(middle_now.find("width=\"24\" height=\"32\"") != std::string::npos);
  }
  SECTION("a folder with nothing left to show loses its page and its tile, a photo gone its page") {
    fs::remove_all(dir / "photos/a b/été \"q\"/<deep>");
    fs::remove(dir / "photos/top #1.jpg");
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK_FALSE(fs::exists(dir / "web/a b/été \"q\"/<deep>/index.html"));
    CHECK_FALSE(fs::exists(dir / "web/a b/été \"q\"/<deep>/x&y.jpg.html"));
    CHECK_FALSE(fs::exists(dir / "web/top #1.jpg.html"));
    CHECK(fs::exists(dir / "web/a b/été \"q\"/index.html"));
    CHECK(test_support::slurp(dir / "web/a b/été \"q\"/index.html").find("deep") == std::string::npos);
  }
  SECTION("a new photo rewrites its folder's page") {
    test_images::write(dir / "photos/a b/new.jpg", jpeg);
    REQUIRE(run_thumbs(dir, {"--gallery", "--title", "My <Photos>", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK(test_support::slurp(dir / "web/a b/index.html").find("new.jpg") != std::string::npos);
    CHECK(fs::exists(dir / "web/a b/new.jpg.html"));
  }
  SECTION("--base-url links originals absolutely") {
    REQUIRE(run_thumbs(dir, {"--gallery", "--base-url", "https://example.org/p", "--no-progress", "-s", "32", "-o",
                             (dir / "web").string(), (dir / "photos").string()}) == 1);
    CHECK(test_support::slurp(viewer).find("href=\"https://example.org/p/a%20b/100%25%20%3F.jpg\"") !=
          std::string::npos);
  }
}

TEST_CASE("the grid offers a 1x and a 2x thumbnail, the viewer a display-size rendition, made in one run",
          "[thumbs][gallery]") {
  TempDir dir;
  test_images::write(dir / "photos/wide.jpg", test_images::encode(test_images::quadrants(2400, 1600), ".jpg"));
  test_images::write(dir / "photos/tall.png", test_images::encode(test_images::quadrants(300, 600), ".png"));
  const std::vector<std::string> args = {"--gallery",
                                         "--fit",
                                         "cover",
                                         "--no-progress",
                                         "-s",
                                         "100",
                                         "-o",
                                         (dir / "web").string(),
                                         (dir / "photos").string()};
  REQUIRE(run_thumbs(dir, args) == 0);
  // The --size where it always was; the others in folders named by their box.
  CHECK(cv::imread((dir / "web/wide.jpg").string()).size() == cv::Size(100, 100));
  CHECK(cv::imread((dir / "web/200x200/wide.jpg").string()).size() == cv::Size(200, 200));
  CHECK(cv::imread((dir / "web/1600x1600/wide.jpg").string()).size() == cv::Size(1600, 1067));
  CHECK(cv::imread((dir / "web/1600x1600/tall.png").string()).size() == cv::Size(300, 600));  // never upscaled
  const std::string root = test_support::slurp(dir / "web/index.html");
  CHECK(attribute_in_tag(root, "alt=\"wide\"", "srcset") == "wide.jpg 100w, 200x200/wide.jpg 200w");
  CHECK(attribute_in_tag(root, "alt=\"wide\"", "sizes") == thumbs::grid_layout(100).sizes);
  CHECK(attribute_in_tag(root, "alt=\"wide\"", "width") == "100");
  CHECK(attribute_in_tag(root, "alt=\"tall\"", "srcset") == "tall.png 100w, 200x200/tall.png 200w");
  CHECK(root.find(thumbs::grid_layout(100).css) != std::string::npos);
  // The state file vouches for every rendition: a re-run makes nothing, and one that is missing is made again.
  const std::string state = test_support::slurp(dir / "web/.conc-thumbs.json");
  CHECK(state.find("\"made\":\"200x200/wide.jpg\"") != std::string::npos);
  CHECK(state.find("\"made\":\"1600x1600/wide.jpg\"") != std::string::npos);
  REQUIRE(run_thumbs(dir, args) == 0);
  CHECK(test_support::slurp(dir / "stderr.txt").find("0 made, 2 skipped") != std::string::npos);
  fs::remove(dir / "web/1600x1600/wide.jpg");
  REQUIRE(run_thumbs(dir, args) == 0);
  CHECK(test_support::slurp(dir / "stderr.txt").find("1 made, 1 skipped") != std::string::npos);
  CHECK(fs::exists(dir / "web/1600x1600/wide.jpg"));
}

TEST_CASE("the viewer goes through a whole folder in the gallery's order, by name or by date", "[thumbs][gallery]") {
  TempDir dir;
  const std::string jpeg = test_images::encode(test_images::quadrants(64, 48), ".jpg");
  // Named in one order, dated in the other.
  const std::vector<std::string> names = {"a.jpg", "b.jpg", "c.jpg", "d.jpg"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    test_images::write(dir / "photos/trip" / names[i], jpeg);
    set_mtime(dir / "photos/trip" / names[i], 1'600'000'000 - static_cast<std::int64_t>(i) * 86'400);
  }
  const auto walk = [&](const std::string& sort) {
    REQUIRE(run_thumbs(dir, {"--gallery", "--sort", sort, "--no-progress", "-s", "32", "-o", (dir / "web").string(),
                             (dir / "photos").string()}) == 0);
    const std::string index = test_support::slurp(dir / "web/trip/index.html");
    std::vector<std::string> tiles;
    for (const std::string& href : attribute_values(index, "href")) {
      if (href.find(".jpg.html") != std::string::npos) tiles.push_back(url_unescape(href));
    }
    // From the first tile, Next until there is none; Previous all the way back.
    std::vector<std::string> forward;
    std::string page = tiles.empty() ? "" : tiles.front();
    while (!page.empty() && forward.size() <= names.size()) {
      forward.push_back(page);
      page = url_unescape(attribute_in_tag(test_support::slurp(dir / "web/trip" / page), "id=\"next\"", "href"));
    }
    std::vector<std::string> back;
    page = forward.empty() ? "" : forward.back();
    while (!page.empty() && back.size() <= names.size()) {
      back.insert(back.begin(), page);
      page = url_unescape(attribute_in_tag(test_support::slurp(dir / "web/trip" / page), "id=\"prev\"", "href"));
    }
    CHECK(forward == tiles);
    CHECK(back == tiles);
    // The album's cover on the page above is the first photo in this order.
    const std::string root = test_support::slurp(dir / "web/index.html");
    CHECK(attribute_in_tag(root, "alt=\"\"", "src") == "trip/" + tiles.front().substr(0, 5));
    return tiles;
  };
  CHECK(walk("name") == std::vector<std::string>{"a.jpg.html", "b.jpg.html", "c.jpg.html", "d.jpg.html"});
  CHECK(walk("date") == std::vector<std::string>{"d.jpg.html", "c.jpg.html", "b.jpg.html", "a.jpg.html"});
  const std::string viewer = test_support::slurp(dir / "web/trip/c.jpg.html");
  CHECK(viewer.find("2 of 4") != std::string::npos);
  CHECK(viewer.find("<time datetime=\"2020-09-11T12:26:40Z\">11 September 2020, 12:26 UTC (file date)</time>") !=
        std::string::npos);
  CHECK(attribute_in_tag(test_support::slurp(dir / "web/trip/index.html"), "alt=\"c\"", "href").empty());
  CHECK(test_support::slurp(dir / "web/trip/index.html").find("title=\"c.jpg\n11 September 2020, 12:26") !=
        std::string::npos);
}

TEST_CASE("the pages carry dark colours, a visible focus and no request to the network", "[thumbs][gallery]") {
  TempDir dir;
  test_images::write(dir / "photos/a.jpg", test_images::encode(test_images::quadrants(64, 48), ".jpg"));
  REQUIRE(run_thumbs(dir, {"--gallery", "--no-progress", "-s", "32", "-o", (dir / "web").string(),
                           (dir / "photos").string()}) == 0);
  for (const char* page : {"web/index.html", "web/a.jpg.html"}) {
    INFO(page);
    const std::string html = test_support::slurp(dir / page);
    CHECK(html.find("@media (prefers-color-scheme:dark)") != std::string::npos);
    CHECK(html.find("a:focus-visible{outline:3px solid") != std::string::npos);
    CHECK(html.find("<link rel=\"icon\" href=\"data:,\">") != std::string::npos);  // no favicon.ico request
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
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
  const std::vector<fs::path> pages = {dir / "web/index.html", dir / "web/d\xFF/index.html",
                                       dir / "web/caf\xE9.jpg.html", dir / "web/new\nline.jpg.html"};
  for (const fs::path& page : pages) {
    INFO(page);
    const std::string html = test_support::slurp(page);
    REQUIRE_FALSE(html.empty());
    CHECK(common::is_valid_utf8(html));
    for (const std::string& url : urls_of(html)) {
      INFO(url);
      CHECK(url.find_first_of(" \\\n") == std::string::npos);
      CHECK(without_fragment(url).find('#') == std::string::npos);
      CHECK(fs::exists(page.parent_path() / url_unescape(without_fragment(url))));
    }
  }
  const std::string root = test_support::slurp(dir / "web/index.html");
  CHECK(root.find("src=\"caf%E9.jpg\"") != std::string::npos);
  CHECK(root.find("href=\"caf%E9.jpg.html\"") != std::string::npos);
  CHECK(root.find("href=\"d%FF/index.html\"") != std::string::npos);
  CHECK(root.find("alt=\"caf\\xE9\"") != std::string::npos);
  CHECK(root.find("alt=\"new\\x0Aline\"") != std::string::npos);
  CHECK(root.find("alt=\"back\\\\slash #1\"") != std::string::npos);
  CHECK(test_support::slurp(dir / "web/caf\xE9.jpg.html").find("<h1>caf\\xE9.jpg</h1>") != std::string::npos);
  const auto facts = nlohmann::json::parse(test_support::slurp(dir / "web/.conc-gallery.json"));
  CHECK(facts.at("tiles").contains("caf\\xE9.jpg"));
  CHECK(facts.at("tiles").contains("d\\xFF/e\xCC\x81.jpg"));
  CHECK(facts.at("pages").size() == 2 + 4);

  const auto before = stat_of(dir / "web/d\xFF/index.html");
  REQUIRE(run_thumbs(dir, args) == 0);
  const auto after = stat_of(dir / "web/d\xFF/index.html");
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

TEST_CASE("the gallery shows and sorts by the capture date, camera and lens a photo's metadata gives",
          "[thumbs][gallery][metadata]") {
  TempDir dir;
  const fs::path cameras = fs::path(CONC_TEST_DATA) / "cameras";
  // Named in one order, taken in another; the plain one has no metadata: its file's time counts.
  for (const auto& [camera, name] : std::vector<std::pair<std::string, std::string>>{
           {"Apple.jpg", "a.jpg"}, {"Pentax.jpg", "b.jpg"}, {"NikonD70.jpg", "c.jpg"}, {"Canon.jpg", "e.jpg"}}) {
    fs::create_directories(dir / "photos");
    fs::copy_file(cameras / camera, dir / "photos" / name);
  }
  test_images::write(dir / "photos/d.jpg", test_images::encode(test_images::quadrants(64, 48), ".jpg"));
  set_mtime(dir / "photos/d.jpg", 1'090'000'000);  // 16 July 2004
  const std::vector<std::string> args = {"--gallery",
                                         "--sort",
                                         "date",
                                         "--no-progress",
                                         "-s",
                                         "32",
                                         "-o",
                                         (dir / "web").string(),
                                         (dir / "photos").string()};
  const auto order = [&] {
    std::vector<std::string> tiles;
    for (const std::string& href : attribute_values(test_support::slurp(dir / "web/index.html"), "href")) {
      if (href.find(".jpg.html") != std::string::npos) tiles.push_back(href.substr(0, 1));
    }
    return tiles;
  };
  REQUIRE(run_thumbs(dir, args) == 0);
  CHECK(order() == std::vector<std::string>{"e", "d", "c", "b", "a"});  // 2003, 2004 (file), 2005, 2008, 2016
  const std::string nikon = test_support::slurp(dir / "web/c.jpg.html");
  CHECK(nikon.find("<time datetime=\"2005-01-14T08:57:59\">14 January 2005, 08:57</time> · NIKON D70 · Nikon AF-S DX "
                   "Zoom-Nikkor 18-70mm f/3.5-4.5G IF-ED") != std::string::npos);
  CHECK(test_support::slurp(dir / "web/index.html").find("title=\"c.jpg\n14 January 2005, 08:57 · NIKON D70\n") !=
        std::string::npos);
  CHECK(test_support::slurp(dir / "web/d.jpg.html").find("16 July 2004, 17:46 UTC (file date)") != std::string::npos);

  SECTION("remembered across runs that make nothing") {
    REQUIRE(run_thumbs(dir, args) == 0);
    CHECK(test_support::slurp(dir / "stderr.txt").find("0 made, 5 skipped") != std::string::npos);
    CHECK(order() == std::vector<std::string>{"e", "d", "c", "b", "a"});
    CHECK(test_support::slurp(dir / "web/c.jpg.html").find("NIKON D70") != std::string::npos);
  }
  SECTION("a photo the gallery has no facts of is made again, so that a worker reads its metadata") {
    fs::remove(dir / "web/.conc-gallery.json");
    REQUIRE(run_thumbs(dir, args) == 0);
    CHECK(test_support::slurp(dir / "stderr.txt").find("5 made, 0 skipped") != std::string::npos);
    CHECK(order() == std::vector<std::string>{"e", "d", "c", "b", "a"});
    CHECK(test_support::slurp(dir / "web/c.jpg.html").find("NIKON D70") != std::string::npos);
  }
}
