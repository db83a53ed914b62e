#include "gallery.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <kainjow/mustache.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "atomic_file.hpp"
#include "image_header.hpp"
#include "name_text.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;
namespace mustache = kainjow::mustache;

namespace thumbs {

namespace {

// Page padding and the gap between tiles, in CSS pixels: grid_layout's arithmetic and the style
// below must agree.
constexpr int kPadding = 8;
constexpr int kGap = 6;
// Tiles at the top of a page load at once; the rest when they come near the screen.
constexpr std::size_t kEagerTiles = 8;
constexpr int kMaxColumns = 6;

const char* const kStyle =
    R"(:root{color-scheme:light dark;--bg:#fafaf8;--fg:#1c1c1e;--muted:#55555b;--tile:#e4e4df;--link:#0a58ca;--bad:#a3001b}
@media (prefers-color-scheme:dark){:root{--bg:#111113;--fg:#ededef;--muted:#a9a9b1;--tile:#27272b;--link:#8cb8ff;--bad:#ffb4ab}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--link)}
a:focus-visible{outline:3px solid var(--link);outline-offset:2px}
header{padding:12px 8px 4px}
.crumbs{font-size:14px;color:var(--muted);overflow-wrap:anywhere}
.crumbs a{display:inline-block;padding:4px 0;text-decoration:none}
h1{margin:0;font-size:24px;line-height:1.25;overflow-wrap:anywhere}
header .count{margin:2px 0 8px;font-size:14px;color:var(--muted)}
.grid{display:grid;grid-template-columns:repeat(2,1fr);gap:6px;margin:0;padding:0 8px 12px;list-style:none}
.grid a{display:block;color:inherit;text-decoration:none;border-radius:4px}
.photo{display:block;width:100%;height:auto;aspect-ratio:1;object-fit:cover;border-radius:4px;background:var(--tile)}
.album a{position:relative}
.album .label{position:absolute;left:0;right:0;bottom:0;padding:28px 8px 6px;border-radius:0 0 4px 4px;background:linear-gradient(transparent,rgba(0,0,0,.78) 45%);color:#fff;font-size:14px;overflow-wrap:anywhere}
.album .name{display:block;font-size:16px;font-weight:600}
.broken{display:flex;flex-direction:column;justify-content:center;gap:4px;padding:8px;font-size:13px;color:var(--bad);overflow:hidden;overflow-wrap:anywhere}
.viewer main{padding:0 8px 16px}
.steps{display:grid;grid-template-columns:1fr auto 1fr;align-items:center;gap:8px;margin:0 0 8px}
.steps a{padding:8px 4px;font-weight:600;text-decoration:none}
.steps #next{justify-self:end}
.steps .at{color:var(--muted);font-size:14px}
figure{margin:0}
.view{display:block;margin:0 auto;max-width:100%;max-height:calc(100vh - 190px);width:auto;height:auto;background:var(--tile)}
figcaption{margin-top:8px;color:var(--muted);font-size:14px;text-align:center;overflow-wrap:anywhere}
figcaption p{margin:2px 0}
)";

// {{x}} is HTML-escaped by Mustache itself; every URL is percent-encoded before it gets there. The
// style is ours, inserted as it is.
const char* const kFolderTemplate = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{heading}}</title>
<link rel="icon" href="data:,">
<style>
{{{style}}}</style>
</head>
<body class="index">
<header>
{{#has_crumbs}}<nav class="crumbs" aria-label="Albums above">{{#crumbs}}<a href="{{url}}">{{name}}</a> / {{/crumbs}}</nav>
{{/has_crumbs}}<h1>{{heading}}</h1>
<p class="count">{{summary}}</p>
</header>
<main>
{{#has_tiles}}
<ul class="grid">
{{#folders}}
<li class="album"><a href="{{url}}">{{#cover}}<img class="photo" src="{{src}}" srcset="{{srcset}}" sizes="{{sizes}}" width="{{width}}" height="{{height}}" alt=""{{#lazy}} loading="lazy"{{/lazy}}{{#first}} fetchpriority="high"{{/first}} decoding="async">{{/cover}}{{^cover}}<span class="photo"></span>{{/cover}}<span class="label"><span class="name">{{name}}</span><span class="count">{{count}}</span></span></a></li>
{{/folders}}
{{#images}}
<li id="{{id}}"><a href="{{page}}" title="{{hover}}"><img class="photo" src="{{src}}" srcset="{{srcset}}" sizes="{{sizes}}" width="{{width}}" height="{{height}}" alt="{{alt}}"{{#lazy}} loading="lazy"{{/lazy}}{{#first}} fetchpriority="high"{{/first}} decoding="async"></a></li>
{{/images}}
{{#failures}}
<li title="{{hover}}"><span class="photo broken"><strong>{{name}}</strong><span>{{error}}</span></span></li>
{{/failures}}
</ul>
{{/has_tiles}}
</main>
</body>
</html>
)";

const char* const kViewerTemplate = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{name}} · {{album}}</title>
<link rel="icon" href="data:,">
{{#next}}
<link rel="prefetch" href="{{image}}">
{{/next}}
<style>
{{{style}}}</style>
</head>
<body class="viewer">
<header>
<nav class="crumbs" aria-label="Albums">{{#crumbs}}<a href="{{url}}">{{name}}</a> / {{/crumbs}}<a id="up" href="{{up}}">{{album}}</a></nav>
<h1>{{name}}</h1>
</header>
<main>
<nav class="steps" aria-label="Photos in this album">
{{#prev}}<a id="prev" rel="prev" href="{{url}}">← Previous</a>{{/prev}}{{^prev}}<span></span>{{/prev}}
<span class="at">{{position}} of {{total}}</span>
{{#next}}<a id="next" rel="next" href="{{url}}">Next →</a>{{/next}}{{^next}}<span></span>{{/next}}
</nav>
<figure>
<img class="view" src="{{image}}" width="{{width}}" height="{{height}}" alt="{{alt}}">
<figcaption>
<p><time datetime="{{iso}}">{{date}}</time>{{#camera}} · {{camera}}{{/camera}}{{#lens}} · {{lens}}{{/lens}}</p>
<p>{{#pixels}}{{pixels}} · {{/pixels}}{{bytes}} · <a href="{{original}}">Original</a></p>
</figcaption>
</figure>
</main>
<script>addEventListener("keydown",function(e){if(e.altKey||e.ctrlKey||e.metaKey||e.shiftKey)return;var a=document.getElementById({ArrowLeft:"prev",ArrowRight:"next",Escape:"up"}[e.key]);if(a)location.href=a.href})</script>
</body>
</html>
)";

const char* const kPageName = "index.html";

std::string display(std::string_view name) { return common::name_for_display(name); }

std::string read_file(const fs::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string data(limit, '\0');
  in.read(data.data(), static_cast<std::streamsize>(limit));
  data.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return data;
}

std::string human_bytes(std::uint64_t bytes) {
  char text[32];
  if (bytes >= 1'000'000) {
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.0f kB", static_cast<double>(bytes) / 1e3);
  }
  return text;
}

// A date as a person reads it, and as a sort key and an HTML datetime.
struct When {
  std::string key;    // "2023-07-14 10:22:05": sorts as time does
  std::string shown;  // "14 July 2023, 10:22"
  std::string iso;    // "2023-07-14T10:22:05"
};

When when_of(const std::tm& tm, bool utc) {
  static const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                        "July",    "August",   "September", "October", "November", "December"};
  char key[96];
  std::snprintf(key, sizeof key, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  char shown[160];
  std::snprintf(shown, sizeof shown, "%d %s %d, %02d:%02d%s", tm.tm_mday, kMonths[std::clamp(tm.tm_mon, 0, 11)],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, utc ? " UTC (file date)" : "");
  std::string iso = key;
  iso[10] = 'T';
  if (utc) iso += 'Z';
  return {key, shown, iso};
}

// The capture date (imaging::Metadata::captured, ISO 8601: "2023-07-14T10:22:05", with its UTC
// offset when the photo gives one), shown and sorted in the local time it was taken in; else the
// file's modification time, in UTC.
When when_taken(const std::string& taken, std::int64_t mtime) {
  std::tm tm{};
  int year = 0;
  int month = 0;
  int seconds = 0;
  if (taken.size() >= 16 &&
      std::sscanf(taken.c_str(), "%4d%*[-:]%2d%*[-:]%2d%*[ T]%2d:%2d:%2d", &year, &month, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &seconds) >= 5 &&
      year > 0 && month >= 1 && month <= 12) {
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_sec = seconds;
    When when = when_of(tm, false);
    when.iso = taken;
    return when;
  }
  const std::time_t t = static_cast<std::time_t>(mtime);
  gmtime_r(&t, &tm);
  return when_of(tm, true);
}

struct Size {
  int width = 0;
  int height = 0;
};

// A thumbnail's size, from its header: one of ours, so the fuzzed parser alone reads it.
Size header_size(const std::string& path) {
  const ImageHeader h = imaging::parse_header(read_file(path, 64 * 1024));
  return {static_cast<int>(h.width), static_cast<int>(h.height)};
}

// The source's pixel size as shown (after its orientation), as the worker that made it read it;
// metadata libraries never run on a source in this process, where a crash would cost the run.
std::string source_size(const Entry& e) {
  if (e.source_width <= 0 || e.source_height <= 0) return {};
  return std::to_string(e.source_width) + " x " + std::to_string(e.source_height) + " px";
}

// What a photo's tile and page show that is not in the plan, read from the files once and
// remembered in OUT/.conc-gallery.json, so a run over unchanged folders reads no image to render
// its pages; with the pages written, so a page whose folder or photo is gone can be removed.
struct TileFacts {
  std::int64_t mtime = 0;  // of the source, when these facts were read
  std::uint64_t bytes = 0;
  std::string pixels;  // "4000 x 3000 px", empty when the header does not say
  Size thumb;          // the 1x thumbnail
  Size thumb2;         // the 2x thumbnail
  Size view;           // the viewer's rendition
  std::string taken;   // imaging::Metadata::captured: ISO 8601, empty when unknown
  std::string camera;  // imaging::Metadata::camera(), empty when unknown
  std::string lens;
};

// What .conc-gallery.json holds, and the version of it (docs/schemas/conc-thumbs-gallery.schema.json).
constexpr const char* kFactsSchema = "conc-thumbs-gallery/2";

nlohmann::json to_json(Size s) { return nlohmann::json::array({s.width, s.height}); }
Size size_from_json(const nlohmann::json& j) { return {j.at(0).get<int>(), j.at(1).get<int>()}; }

class FactsCache {
 public:
  FactsCache(const fs::path& out_root, const GalleryOptions& options, const common::Temporaries& temporaries)
      : path_(out_root / kGalleryFactsName), options_(options), temporaries_(temporaries) {
    std::ifstream in(path_);
    try {
      const nlohmann::json all = nlohmann::json::parse(in);
      if (all.at("schema").get<std::string>() != kFactsSchema) return;
      for (const auto& [key, f] : all.at("tiles").items()) {
        known_[common::name_from_text(key)] = TileFacts{
            f.at("mtime").get<std::int64_t>(), f.at("bytes").get<std::uint64_t>(), f.at("pixels").get<std::string>(),
            size_from_json(f.at("thumb")),     size_from_json(f.at("thumb2")),     size_from_json(f.at("view")),
            f.at("taken").get<std::string>(),  f.at("camera").get<std::string>(),  f.at("lens").get<std::string>()};
      }
      for (const auto& page : all.at("pages")) known_pages_.insert(common::name_from_text(page.get<std::string>()));
    } catch (const std::exception&) {
      known_.clear();  // missing, damaged or older: every fact is read again
      known_pages_.clear();
    }
  }

  // A page written in this run, relative to the output root.
  void page(const fs::path& relative) { pages_.insert(relative.string()); }

  // Pages the last run wrote and this one did not.
  std::vector<std::string> vanished_pages() const {
    std::vector<std::string> gone;
    std::set_difference(known_pages_.begin(), known_pages_.end(), pages_.begin(), pages_.end(),
                        std::back_inserter(gone));
    return gone;
  }

  // Facts for an image with thumbnails: remembered ones while the source is unchanged and its
  // thumbnails were not made again, else read now.
  const TileFacts& facts(const Entry& e) {
    const auto known = known_.find(e.relative);
    const bool reusable = known != known_.end() && e.status == Status::Skipped && known->second.mtime == e.mtime &&
                          known->second.bytes == e.bytes && known->second.thumb.width > 0 &&
                          known->second.thumb2.width > 0 && known->second.view.width > 0;
    if (reusable) return used_[e.relative] = known->second;
    TileFacts f{
        e.mtime,        e.bytes, source_size(e), {e.width, e.height}, {}, {}, e.metadata.captured, e.metadata.camera(),
        e.metadata.lens};
    if (f.thumb.width == 0 || f.thumb.height == 0) f.thumb = header_size(e.outputs.front());
    f.thumb2 = header_size(e.outputs.at(options_.double_size));
    f.view = header_size(e.outputs.at(options_.viewer));
    return used_[e.relative] = std::move(f);
  }

  // Keeps the facts of this run's photos only; the file is replaced when they changed.
  void save() const {
    nlohmann::json tiles = nlohmann::json::object();
    for (const auto& [key, f] : used_) {
      tiles[common::name_to_text(key)] = {{"mtime", f.mtime},
                                          {"bytes", f.bytes},
                                          {"pixels", f.pixels},
                                          {"thumb", to_json(f.thumb)},
                                          {"thumb2", to_json(f.thumb2)},
                                          {"view", to_json(f.view)},
                                          {"taken", f.taken},
                                          {"camera", f.camera},
                                          {"lens", f.lens}};
    }
    nlohmann::json pages = nlohmann::json::array();
    for (const std::string& page : pages_) pages.push_back(common::name_to_text(page));
    const nlohmann::json all = {{"schema", kFactsSchema}, {"pages", pages}, {"tiles", tiles}};
    const std::string text = all.dump() + "\n";
    if (read_file(path_, text.size() + 1) == text) return;
    common::write_atomically(path_.string(), text, temporaries_);
  }

 private:
  fs::path path_;
  const GalleryOptions& options_;
  const common::Temporaries& temporaries_;
  std::map<std::string, TileFacts> known_;
  std::map<std::string, TileFacts> used_;
  std::set<std::string> known_pages_;
  std::set<std::string> pages_;
};

struct Photo {
  const Entry* entry = nullptr;
  const TileFacts* facts = nullptr;
  std::string name;  // the file name, as bytes
  std::string page;  // its viewer page's file name, as bytes
  When when;
};

struct Folder {
  std::vector<Photo> photos;  // in the gallery's order
  std::vector<const Entry*> failures;
  std::set<std::string> children;
  std::size_t count = 0;         // photos here and below
  const Photo* cover = nullptr;  // the first photo here, else the first child's cover
};

std::string up_levels(std::size_t depth) {
  std::string url;
  for (std::size_t i = 0; i < depth; ++i) url += "../";
  return url + kPageName;
}

std::string photos_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " photo" : " photos"); }

// A name without its extension: what a photo is called in its alt text.
std::string stem(const std::string& shown) {
  const auto dot = shown.rfind('.');
  return dot == std::string::npos || dot == 0 ? shown : shown.substr(0, dot);
}

std::string hover_text(const Photo& p) {
  std::string text = display(p.name) + "\n" + p.when.shown;
  if (!p.facts->camera.empty()) text += " · " + p.facts->camera;
  text += "\n";
  if (!p.facts->pixels.empty()) text += p.facts->pixels + ", ";
  return text + human_bytes(p.entry->bytes);
}

class PageWriter {
 public:
  PageWriter(const Plan& plan, const GalleryOptions& options, FactsCache& cache, const common::Temporaries& temporaries)
      : plan_(plan), options_(options), cache_(cache), temporaries_(temporaries), layout_(grid_layout(options.cell)) {
    style_ = kStyle + layout_.css;
  }

  void folder_page(const fs::path& folder_path, const Folder& folder, const std::map<fs::path, Folder>& all) {
    const fs::path page_folder = (plan_.out_root / folder_path).lexically_normal();
    const std::vector<std::string> parts = parts_of(folder_path);
    mustache::data page;
    page.set("style", style_);
    page.set("heading", parts.empty() ? options_.title : display(parts.back()));
    const mustache::data crumbs = crumbs_for(parts);
    page.set("has_crumbs", !parts.empty());
    page.set("crumbs", crumbs);
    std::string summary = photos_text(folder.count);
    if (!folder.children.empty()) {
      summary += " · " + std::to_string(folder.children.size()) + (folder.children.size() == 1 ? " album" : " albums");
    }
    if (!folder.failures.empty()) summary += " · " + std::to_string(folder.failures.size()) + " could not be read";
    page.set("summary", summary);

    std::size_t tiles = 0;
    mustache::data folders{mustache::data::type::list};
    for (const std::string& child : folder.children) {
      const Folder& sub = all.at(folder_path / child);
      mustache::data tile;
      tile.set("name", display(child));
      tile.set("url", url_escape_path(child) + "/" + kPageName);
      tile.set("count", photos_text(sub.count));
      if (sub.cover != nullptr) tile.set("cover", image_data(*sub.cover, page_folder, tiles));
      ++tiles;
      folders.push_back(tile);
    }
    page.set("folders", folders);
    page.set("has_tiles", !(folder.children.empty() && folder.photos.empty() && folder.failures.empty()));

    mustache::data images{mustache::data::type::list};
    for (std::size_t i = 0; i < folder.photos.size(); ++i) {
      const Photo& p = folder.photos[i];
      mustache::data tile = image_data(p, page_folder, tiles);
      ++tiles;
      tile.set("id", "p" + std::to_string(i + 1));
      tile.set("page", url_escape_path(p.page));
      tile.set("alt", stem(display(p.name)));
      tile.set("hover", hover_text(p));
      images.push_back(tile);
    }
    page.set("images", images);

    mustache::data failures{mustache::data::type::list};
    for (const Entry* e : folder.failures) {
      const std::string name = display(fs::path(e->relative).filename().string());
      mustache::data tile;
      tile.set("name", name);
      tile.set("error", e->note);
      tile.set("hover", name + ": " + e->note);
      failures.push_back(tile);
    }
    page.set("failures", failures);
    write(folder_path / kPageName, render(kFolderTemplate, page));

    for (std::size_t i = 0; i < folder.photos.size(); ++i) viewer_page(folder_path, parts, folder, i);
  }

  GalleryResult result;

 private:
  static std::vector<std::string> parts_of(const fs::path& folder_path) {
    std::vector<std::string> parts;
    for (const fs::path& part : folder_path) parts.push_back(part.string());
    return parts;
  }

  // Links to the folders above the folder of `parts`, from a page in it.
  mustache::data crumbs_for(const std::vector<std::string>& parts) const {
    mustache::data crumbs{mustache::data::type::list};
    for (std::size_t i = 0; i < parts.size(); ++i) {
      mustache::data crumb;
      crumb.set("name", i == 0 ? options_.title : display(parts[i - 1]));
      crumb.set("url", up_levels(parts.size() - i));
      crumbs.push_back(crumb);
    }
    return crumbs;
  }

  mustache::data image_data(const Photo& p, const fs::path& page_folder, std::size_t tile_index) const {
    const Entry& e = *p.entry;
    const TileFacts& f = *p.facts;
    mustache::data image;
    const std::string src = relative_url(page_folder, e.outputs.front());
    image.set("src", src);
    // A square tile shows the thumbnail's short side: that is the width the browser must fill.
    std::string srcset = src + " " + std::to_string(std::min(f.thumb.width, f.thumb.height)) + "w";
    if (std::min(f.thumb2.width, f.thumb2.height) > std::min(f.thumb.width, f.thumb.height)) {
      srcset += ", " + relative_url(page_folder, e.outputs.at(options_.double_size)) + " " +
                std::to_string(std::min(f.thumb2.width, f.thumb2.height)) + "w";
    }
    image.set("srcset", srcset);
    image.set("sizes", layout_.sizes);
    image.set("width", std::to_string(f.thumb.width));
    image.set("height", std::to_string(f.thumb.height));
    image.set("lazy", tile_index >= kEagerTiles);
    image.set("first", tile_index == 0);
    return image;
  }

  void viewer_page(const fs::path& folder_path, const std::vector<std::string>& parts, const Folder& folder,
                   std::size_t i) {
    const fs::path page_folder = (plan_.out_root / folder_path).lexically_normal();
    const Photo& p = folder.photos[i];
    const Entry& e = *p.entry;
    const TileFacts& f = *p.facts;
    mustache::data page;
    page.set("style", style_);
    page.set("name", display(p.name));
    page.set("alt", stem(display(p.name)));
    page.set("album", parts.empty() ? options_.title : display(parts.back()));
    page.set("crumbs", crumbs_for(parts));
    page.set("up", std::string(kPageName) + "#p" + std::to_string(i + 1));
    page.set("position", std::to_string(i + 1));
    page.set("total", std::to_string(folder.photos.size()));
    if (i > 0) {
      mustache::data prev;
      prev.set("url", url_escape_path(folder.photos[i - 1].page));
      page.set("prev", prev);
    }
    if (i + 1 < folder.photos.size()) {
      const Photo& n = folder.photos[i + 1];
      mustache::data next;
      next.set("url", url_escape_path(n.page));
      next.set("image", relative_url(page_folder, n.entry->outputs.at(options_.viewer)));
      page.set("next", next);
    }
    page.set("image", relative_url(page_folder, e.outputs.at(options_.viewer)));
    page.set("width", std::to_string(f.view.width));
    page.set("height", std::to_string(f.view.height));
    page.set("iso", p.when.iso);
    page.set("date", p.when.shown);
    if (!f.camera.empty()) page.set("camera", f.camera);
    if (!f.lens.empty()) page.set("lens", f.lens);
    if (!f.pixels.empty()) page.set("pixels", f.pixels);
    page.set("bytes", human_bytes(e.bytes));
    page.set("original", options_.base_url.empty() ? relative_url(page_folder, e.source)
                                                   : options_.base_url + url_escape_path(e.relative));
    write(folder_path / p.page, render(kViewerTemplate, page));
  }

  static std::string render(const char* source, const mustache::data& page) {
    mustache::mustache tmpl{source};
    std::string html = tmpl.render(page);
    if (!tmpl.is_valid()) throw std::logic_error("gallery template: " + tmpl.error_message());
    return html;
  }

  void write(const fs::path& relative, const std::string& html) {
    const fs::path page = plan_.out_root / relative;
    cache_.page(relative);
    ++result.pages;
    std::error_code ec;
    if (fs::exists(page, ec) && read_file(page, html.size() + 1) == html) return;
    fs::create_directories(page.parent_path(), ec);
    common::write_atomically(page.string(), html, temporaries_);
    ++result.rewritten;
  }

  const Plan& plan_;
  const GalleryOptions& options_;
  FactsCache& cache_;
  const common::Temporaries& temporaries_;
  GridLayout layout_;
  std::string style_;
};

std::string px(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

std::string html_escape(std::string_view text) { return mustache::html_escape(std::string(text)); }

std::string url_escape_path(std::string_view path) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string url;
  url.reserve(path.size());
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 && c < 0x80) {
      url += ch;
    } else if (c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      url += ch;
    } else {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 0xF];
    }
  }
  return url;
}

std::string relative_url(const fs::path& page_folder, const fs::path& target) {
  const fs::path relative = target.lexically_relative(page_folder);
  return url_escape_path(relative.empty() ? "." : relative.generic_string());
}

GridLayout grid_layout(int cell) {
  // Columns as many as tiles of at least `cell` fit, stretched to fill the row; never fewer than
  // two, nor than four from 1024 px on, nor more than kMaxColumns: the page stops growing there.
  const int widest = (kMaxColumns + 1) * (cell + kGap) - kGap + 2 * kPadding;
  const auto columns = [&](int width) {
    const int natural = (std::min(width, widest) - 2 * kPadding + kGap) / (cell + kGap);
    return std::clamp(natural, width < 1024 ? 2 : 4, kMaxColumns);
  };
  std::set<int> starts{1024, widest};
  for (int n = 3; n <= kMaxColumns; ++n) starts.insert(n * (cell + kGap) - kGap + 2 * kPadding);
  GridLayout layout;
  layout.css = ".index header,.index main{max-width:" + std::to_string(widest) + "px;margin:0 auto}\n";
  std::string sizes = "calc(50vw - " + px((2 * kPadding + kGap) / 2.0) + "px)";
  int shown = 2;
  for (const int start : starts) {
    if (start > widest) break;
    const int n = columns(start);
    const int gaps = 2 * kPadding + (n - 1) * kGap;
    if (start >= widest) {
      sizes = "(min-width:" + std::to_string(widest) + "px) " + px((widest - gaps) / static_cast<double>(n)) + "px, " +
              sizes;
    } else if (n != shown) {
      sizes = "(min-width:" + std::to_string(start) + "px) calc((100vw - " + std::to_string(gaps) + "px)/" +
              std::to_string(n) + "), " + sizes;
    }
    if (n != shown) {
      layout.css += "@media (min-width:" + std::to_string(start) + "px){.grid{grid-template-columns:repeat(" +
                    std::to_string(n) + ",1fr)}}\n";
      shown = n;
    }
  }
  layout.sizes = sizes;
  return layout;
}

std::string viewer_page_name(std::string_view thumbnail_name) {
  std::string name = std::string(thumbnail_name) + ".html";
  if (name.size() <= NAME_MAX) return name;
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same name gets the same page on every run
  for (const char c : thumbnail_name) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  char text[40];
  std::snprintf(text, sizeof text, "photo-%016llx.html", static_cast<unsigned long long>(hash));
  return text;
}

std::set<std::string> photos_with_facts(const fs::path& out_root) {
  std::set<std::string> photos;
  std::ifstream in(out_root / kGalleryFactsName);
  try {
    const nlohmann::json all = nlohmann::json::parse(in);
    if (all.at("schema").get<std::string>() != kFactsSchema) return {};
    for (const auto& [key, facts] : all.at("tiles").items()) photos.insert(common::name_from_text(key));
  } catch (const std::exception&) {
    return {};  // missing or damaged: none is known
  }
  return photos;
}

GalleryResult write_gallery(const Plan& plan, const GalleryOptions& options, const common::Temporaries& temporaries) {
  FactsCache cache(plan.out_root, options, temporaries);
  std::map<fs::path, Folder> folders;
  folders[fs::path()];
  for (const Entry& e : plan.entries) {
    if (e.relative.empty()) continue;  // a line of a path list that named nothing
    const bool has_thumbnail =
        !e.outputs.empty() && (e.status == Status::Ok || (e.status == Status::Skipped && e.note == "up to date"));
    if (!has_thumbnail && e.status != Status::Failed) continue;
    fs::path folder = fs::path(e.relative).parent_path();
    if (has_thumbnail) {
      const TileFacts& facts = cache.facts(e);
      folders[folder].photos.push_back(Photo{&e, &facts, fs::path(e.relative).filename().string(),
                                             viewer_page_name(fs::path(e.outputs.front()).filename().string()),
                                             when_taken(facts.taken, e.mtime)});
    } else {
      folders[folder].failures.push_back(&e);
    }
    while (!folder.empty()) {
      const fs::path parent = folder.parent_path();
      folders[parent].children.insert(folder.filename().string());
      folder = parent;
    }
  }
  // The plan lists sources by name; by date, the oldest first and the same date by name.
  if (options.sort == GallerySort::Date) {
    for (auto& [path, folder] : folders) {
      std::stable_sort(folder.photos.begin(), folder.photos.end(),
                       [](const Photo& a, const Photo& b) { return a.when.key < b.when.key; });
    }
  }
  // Children before their parents: a folder's cover may be its first child's.
  for (auto it = folders.rbegin(); it != folders.rend(); ++it) {
    Folder& folder = it->second;
    folder.count = folder.photos.size();
    folder.cover = folder.photos.empty() ? nullptr : &folder.photos.front();
    for (const std::string& child : folder.children) {
      const Folder& sub = folders.at(it->first / child);
      folder.count += sub.count;
      if (folder.cover == nullptr) folder.cover = sub.cover;
    }
  }

  PageWriter writer(plan, options, cache, temporaries);
  for (const auto& [folder_path, folder] : folders) writer.folder_page(folder_path, folder, folders);
  GalleryResult result = writer.result;
  for (const std::string& gone : cache.vanished_pages()) {
    std::error_code ec;
    if (fs::remove(plan.out_root / gone, ec)) ++result.removed;
  }
  cache.save();
  return result;
}

}  // namespace thumbs
