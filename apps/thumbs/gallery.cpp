#include "gallery.hpp"

#include <algorithm>
#include <cctype>
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

// {{x}} is HTML-escaped by Mustache itself; every URL is percent-encoded before it gets there.
const char* const kPageTemplate = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{heading}}</title>
<style>
body{margin:0;font:14px/1.4 system-ui,sans-serif;background:#f3f3f3;color:#222}
header{padding:12px 16px;background:#fff;border-bottom:1px solid #ddd}
h1{margin:0;font-size:20px}
nav a{color:#0645ad;text-decoration:none}
ul.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min({{cell}}px,45vw),1fr));gap:12px;margin:0;padding:16px;list-style:none}
.tile{background:#fff;border:1px solid #ddd;border-radius:4px;overflow:hidden}
.tile a{display:block;color:inherit;text-decoration:none}
.frame{display:flex;align-items:center;justify-content:center;aspect-ratio:1;overflow:hidden;background:#e9e9e9}
.frame img{max-width:100%;height:auto}
.name{display:block;padding:4px 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.folder .frame::before{content:"";width:55%;height:40%;background:#e2b340;border-radius:3px 3px 6px 6px;box-shadow:0 -8px 0 -2px #c9982a}
.failed .frame{color:#a00;padding:8px;text-align:center;font-size:13px}
</style>
</head>
<body>
<header>
<nav>{{#crumbs}}<a href="{{url}}">{{name}}</a> / {{/crumbs}}</nav>
<h1>{{heading}}</h1>
</header>
<ul class="grid">
{{#folders}}
<li class="tile folder"><a href="{{url}}" title="{{name}}"><span class="frame"></span><span class="name">{{name}}/</span></a></li>
{{/folders}}
{{#images}}
<li class="tile"><a href="{{original}}" title="{{hover}}"><span class="frame"><img src="{{thumb}}" width="{{width}}" height="{{height}}" loading="lazy" alt="{{name}}"></span><span class="name">{{name}}</span></a></li>
{{/images}}
{{#failures}}
<li class="tile failed" title="{{hover}}"><span class="frame">{{error}}</span><span class="name">{{name}}</span></li>
{{/failures}}
</ul>
</body>
</html>
)";

const char* const kPageName = "index.html";

std::string display(std::string_view name) { return common::name_for_display(name); }

struct Folder {
  std::vector<const Entry*> images;
  std::vector<const Entry*> failures;
  std::set<std::string> children;
};

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

std::string utc_date(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

// The source's pixel size as shown (after EXIF orientation), from its first bytes; empty when
// the header does not say.
std::string source_size(const Entry& e) {
  const ImageHeader h = read_header(read_file(e.source, 256 * 1024));
  if (h.width == 0 || h.height == 0) return {};
  const bool turned = h.orientation >= 5;
  return std::to_string(turned ? h.height : h.width) + " x " + std::to_string(turned ? h.width : h.height) + " px";
}

// What a tile shows that is not in the plan, read from the files once and remembered in
// OUT/.conc-gallery.json, so a run over unchanged folders reads no image to render its pages;
// with the folders that have a page, so a page whose folder is gone can be removed.
struct TileFacts {
  std::int64_t mtime = 0;  // of the source, when these facts were read
  std::uint64_t bytes = 0;
  std::string pixels;  // "4000 x 3000 px", empty when the header does not say
  int width = 0;       // of the thumbnail
  int height = 0;
};

class FactsCache {
 public:
  FactsCache(const fs::path& out_root, const common::Temporaries& temporaries)
      : path_(out_root / kGalleryFactsName), temporaries_(temporaries) {
    std::ifstream in(path_);
    try {
      const nlohmann::json all = nlohmann::json::parse(in);
      for (const auto& [key, f] : all.at("tiles").items()) {
        known_[common::name_from_text(key)] =
            TileFacts{f.at("mtime").get<std::int64_t>(), f.at("bytes").get<std::uint64_t>(),
                      f.at("pixels").get<std::string>(), f.at("width").get<int>(), f.at("height").get<int>()};
      }
      for (const auto& page : all.at("pages")) known_pages_.insert(common::name_from_text(page.get<std::string>()));
    } catch (const std::exception&) {
      known_.clear();  // missing or damaged: every fact is read again
      known_pages_.clear();
    }
  }

  void page(const fs::path& folder) { pages_.insert(folder.string()); }

  // Folders that had a page in the last run and have none now.
  std::vector<std::string> vanished_pages() const {
    std::vector<std::string> gone;
    std::set_difference(known_pages_.begin(), known_pages_.end(), pages_.begin(), pages_.end(),
                        std::back_inserter(gone));
    return gone;
  }

  // Facts for an image with a thumbnail: remembered ones while the source is unchanged and the
  // thumbnail was not made again, else read now.
  const TileFacts& facts(const Entry& e, const std::string& key) {
    const auto known = known_.find(key);
    const bool reusable = known != known_.end() && e.status == Status::Skipped && known->second.mtime == e.mtime &&
                          known->second.bytes == e.bytes && known->second.width > 0;
    TileFacts f = reusable ? known->second : TileFacts{e.mtime, e.bytes, source_size(e), e.width, e.height};
    if (f.width == 0 || f.height == 0) {
      const ImageHeader h = read_header(read_file(e.outputs.front(), 1 << 20));
      f.width = static_cast<int>(h.width);
      f.height = static_cast<int>(h.height);
    }
    return used_[key] = std::move(f);
  }

  // Keeps the facts of this run's tiles only; the file is replaced when they changed.
  void save() const {
    nlohmann::json tiles = nlohmann::json::object();
    for (const auto& [key, f] : used_) {
      tiles[common::name_to_text(key)] = {
          {"mtime", f.mtime}, {"bytes", f.bytes}, {"pixels", f.pixels}, {"width", f.width}, {"height", f.height}};
    }
    nlohmann::json pages = nlohmann::json::array();
    for (const std::string& page : pages_) pages.push_back(common::name_to_text(page));
    const nlohmann::json all = {{"pages", pages}, {"tiles", tiles}};
    const std::string text = all.dump() + "\n";
    if (read_file(path_, text.size() + 1) == text) return;
    common::write_atomically(path_.string(), text, temporaries_);
  }

 private:
  fs::path path_;
  const common::Temporaries& temporaries_;
  std::map<std::string, TileFacts> known_;
  std::map<std::string, TileFacts> used_;
  std::set<std::string> known_pages_;
  std::set<std::string> pages_;
};

std::string hover_text(const Entry& e, const std::string& name, const TileFacts& facts) {
  std::string text = name;
  if (!facts.pixels.empty()) text += "\n" + facts.pixels;
  text += "\n" + human_bytes(e.bytes) + ", " + utc_date(e.mtime);
  return text;
}

std::string up_levels(std::size_t depth) {
  std::string url;
  for (std::size_t i = 0; i < depth; ++i) url += "../";
  return url + kPageName;
}

std::string render_page(const fs::path& out_root, const fs::path& folder_path, const Folder& folder,
                        const GalleryOptions& options, FactsCache& cache) {
  const fs::path page_folder = (out_root / folder_path).lexically_normal();
  mustache::data page;
  std::vector<std::string> parts;
  for (const fs::path& part : folder_path) parts.push_back(part.string());
  page.set("heading", parts.empty() ? options.title : display(parts.back()));
  page.set("cell", std::to_string(options.cell));

  mustache::data crumbs{mustache::data::type::list};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    mustache::data crumb;
    crumb.set("name", i == 0 ? options.title : display(parts[i - 1]));
    crumb.set("url", up_levels(parts.size() - i));
    crumbs.push_back(crumb);
  }
  page.set("crumbs", crumbs);

  mustache::data folders{mustache::data::type::list};
  for (const std::string& child : folder.children) {
    mustache::data tile;
    tile.set("name", display(child));
    tile.set("url", url_escape_path(child) + "/" + kPageName);
    folders.push_back(tile);
  }
  page.set("folders", folders);

  mustache::data images{mustache::data::type::list};
  for (const Entry* e : folder.images) {
    const std::string name = display(fs::path(e->relative).filename().string());
    const TileFacts& facts = cache.facts(*e, fs::path(e->outputs.front()).lexically_relative(out_root).string());
    mustache::data tile;
    tile.set("name", name);
    tile.set("hover", hover_text(*e, name, facts));
    tile.set("thumb", relative_url(page_folder, e->outputs.front()));
    tile.set("width", std::to_string(facts.width));
    tile.set("height", std::to_string(facts.height));
    tile.set("original", options.base_url.empty() ? relative_url(page_folder, e->source)
                                                  : options.base_url + url_escape_path(e->relative));
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

  mustache::mustache tmpl{kPageTemplate};
  std::string html = tmpl.render(page);
  if (!tmpl.is_valid()) throw std::logic_error("gallery template: " + tmpl.error_message());
  return html;
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

GalleryResult write_gallery(const Plan& plan, const GalleryOptions& options, const common::Temporaries& temporaries) {
  std::map<fs::path, Folder> folders;
  folders[fs::path()];
  for (const Entry& e : plan.entries) {
    if (e.relative.empty()) continue;  // a line of a path list that named nothing
    const bool has_thumbnail =
        !e.outputs.empty() && (e.status == Status::Ok || (e.status == Status::Skipped && e.note == "up to date"));
    if (!has_thumbnail && e.status != Status::Failed) continue;
    fs::path folder = fs::path(e.relative).parent_path();
    (has_thumbnail ? folders[folder].images : folders[folder].failures).push_back(&e);
    while (!folder.empty()) {
      const fs::path parent = folder.parent_path();
      folders[parent].children.insert(folder.filename().string());
      folder = parent;
    }
  }

  GalleryResult result;
  FactsCache cache(plan.out_root, temporaries);
  for (const auto& [folder_path, folder] : folders) {
    const std::string html = render_page(plan.out_root, folder_path, folder, options, cache);
    const fs::path page = plan.out_root / folder_path / kPageName;
    cache.page(folder_path);
    ++result.pages;
    std::error_code ec;
    if (fs::exists(page, ec) && read_file(page, html.size() + 1) == html) continue;
    fs::create_directories(page.parent_path(), ec);
    common::write_atomically(page.string(), html, temporaries);
    ++result.rewritten;
  }
  for (const std::string& gone : cache.vanished_pages()) {
    std::error_code ec;
    if (fs::remove(plan.out_root / gone / kPageName, ec)) ++result.removed;
  }
  cache.save();
  return result;
}

}  // namespace thumbs
