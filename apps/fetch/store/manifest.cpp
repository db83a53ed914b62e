#include "store/manifest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "name_text.hpp"

namespace fetch {

using common::name_from_text;
using common::name_to_text;

std::string to_json_line(const Record& r, const ThumbnailFacts* thumbnail) {
  nlohmann::ordered_json j = {{"schema", kManifestSchema},    {"url", name_to_text(r.url)},
                              {"path", name_to_text(r.path)}, {"status", r.status},
                              {"http_status", r.http_status}, {"bytes", r.bytes},
                              {"sha256", r.sha256},           {"attempts", r.attempts}};
  if (r.resumed_from != 0) {
    j["resumed_from"] = r.resumed_from;
    j["resume_check"] = r.resume_check;
  }
  if (thumbnail != nullptr) {
    j["thumbnail"] = name_to_text(thumbnail->path);
    j["width"] = thumbnail->width;
    j["height"] = thumbnail->height;
    j["source_width"] = thumbnail->source_width;
    j["source_height"] = thumbnail->source_height;
    j["source_bytes"] = thumbnail->source_bytes;
    if (thumbnail->thumbnail_bytes != 0) j["thumbnail_bytes"] = thumbnail->thumbnail_bytes;
    if (thumbnail->tar_bytes != 0) j["tar_bytes"] = thumbnail->tar_bytes;
    if (!thumbnail->original.empty()) j["original"] = name_to_text(thumbnail->original);
  }
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.filtered.empty()) j["filtered"] = r.filtered;
  if (r.caption) j["caption"] = *r.caption;
  if (!r.columns.empty()) j["columns"] = nlohmann::ordered_json::parse(r.columns);
  // Names are text already; an error message that quotes bytes that are not UTF-8 has them replaced.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Recorded> parse_manifest_line(const std::string& line) {
  try {
    const auto j = nlohmann::json::parse(line);
    if (const auto schema = j.find("schema"); schema != j.end() && *schema != kManifestSchema) return std::nullopt;
    Recorded r;
    r.record.url = name_from_text(j.at("url").get<std::string>());
    r.record.path = name_from_text(j.value("path", ""));
    r.record.status = j.value("status", "");
    r.record.http_status = j.value("http_status", 0L);
    r.record.bytes = j.value("bytes", std::uint64_t{0});
    r.record.sha256 = j.value("sha256", "");
    r.record.attempts = j.value("attempts", 0u);
    r.record.error = j.value("error", "");
    r.record.resumed_from = j.value("resumed_from", std::uint64_t{0});
    r.record.resume_check = j.value("resume_check", "");
    r.record.filtered = j.value("filtered", "");
    if (const auto caption = j.find("caption"); caption != j.end() && caption->is_string()) {
      r.record.caption = caption->get<std::string>();
    }
    if (const auto columns = j.find("columns"); columns != j.end()) {
      r.record.columns = columns->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    if (j.contains("thumbnail")) {
      ThumbnailFacts t;
      t.path = name_from_text(j.at("thumbnail").get<std::string>());
      t.width = j.value("width", 0);
      t.height = j.value("height", 0);
      t.source_width = j.value("source_width", 0);
      t.source_height = j.value("source_height", 0);
      t.source_bytes = j.value("source_bytes", std::uint64_t{0});
      t.thumbnail_bytes = j.value("thumbnail_bytes", std::uint64_t{0});
      t.tar_bytes = j.value("tar_bytes", std::uint64_t{0});
      t.original = name_from_text(j.value("original", ""));
      r.thumbnail = std::move(t);
    }
    return r;
  } catch (const std::exception&) {
    return std::nullopt;  // a line cut short by a killed run (or one another shard is writing)
  }
}

Manifest::Manifest(const std::filesystem::path& file) {
  if (file == "-") {  // lines to standard output; nothing to resume from
    out_ = conc::Fd(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
    if (!out_) throw std::runtime_error(std::string("cannot write to standard output: ") + std::strerror(errno));
    return;
  }
  read_also(file);
  if (!file.parent_path().empty()) std::filesystem::create_directories(file.parent_path());
  out_ = conc::Fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!out_) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
}

std::string Manifest::unit_of(const Recorded& r) {
  if (!r.thumbnail || r.thumbnail->path.empty() || r.thumbnail->path == r.record.path) return r.record.path;
  return r.record.path + '\0' + r.thumbnail->path;
}

void Manifest::read_also(const std::filesystem::path& file) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::optional<Recorded> r = parse_manifest_line(line);
    if (!r || r->record.status != "ok") continue;
    // A row's columns say nothing of what is done: not held.
    r->record.caption.reset();
    r->record.columns.clear();
    const std::string unit = unit_of(*r);
    url_unit_[r->record.url] = unit;
    if (r->thumbnail && !r->thumbnail->original.empty()) originals_[r->thumbnail->original] = r->record.url;
    latest_[unit] = std::move(*r);
  }
}

std::vector<std::string> Manifest::done_paths() const {
  std::vector<std::string> paths;
  paths.reserve(latest_.size());
  for (const auto& [unit, r] : latest_) paths.push_back(r.record.path);
  return paths;
}

std::optional<Recorded> Manifest::done_before(const std::string& url, const std::string& path) const {
  const auto it = latest_.find(path);
  if (it == latest_.end() || it->second.record.url != url) return std::nullopt;
  return it->second;
}

std::optional<Recorded> Manifest::done_before(const std::string& url) const {
  const auto unit = url_unit_.find(url);
  if (unit == url_unit_.end()) return std::nullopt;
  const auto it = latest_.find(unit->second);
  if (it == latest_.end() || it->second.record.url != url) return std::nullopt;
  return it->second;
}

bool Manifest::original_is(const std::string& url, const std::string& original) const {
  const auto it = originals_.find(original);
  return it != originals_.end() && it->second == url;
}

bool Manifest::append(const Record& r, const ThumbnailFacts* thumbnail) {
  const std::string line = to_json_line(r, thumbnail) + "\n";
  std::lock_guard lock(mutex_);
  // One write per line, O_APPEND: a killed run leaves whole lines and at most one cut-off last line.
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(out_.get(), line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace fetch
