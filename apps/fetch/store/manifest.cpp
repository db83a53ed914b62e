#include "store/manifest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fetch {

std::string to_json_line(const Record& r, const ThumbnailFacts* thumbnail) {
  nlohmann::json j = {{"url", r.url},     {"path", r.path},     {"status", r.status},    {"http_status", r.http_status},
                      {"bytes", r.bytes}, {"sha256", r.sha256}, {"attempts", r.attempts}};
  if (thumbnail != nullptr) {
    j["thumbnail"] = thumbnail->path;
    j["width"] = thumbnail->width;
    j["height"] = thumbnail->height;
    j["source_width"] = thumbnail->source_width;
    j["source_height"] = thumbnail->source_height;
    j["source_bytes"] = thumbnail->source_bytes;
    if (!thumbnail->original.empty()) j["original"] = thumbnail->original;
  }
  if (!r.error.empty()) j["error"] = r.error;
  // Invalid UTF-8 in a URL or name is replaced rather than refused: the line must be written.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Manifest::Manifest(const std::filesystem::path& file) {
  read_also(file);
  if (!file.parent_path().empty()) std::filesystem::create_directories(file.parent_path());
  out_ = conc::Fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!out_) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
}

void Manifest::read_also(const std::filesystem::path& file) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    try {
      const auto j = nlohmann::json::parse(line);
      if (j.value("status", "") != "ok") continue;
      Record r;
      r.url = j.at("url").get<std::string>();
      r.path = j.at("path").get<std::string>();
      r.status = "ok";
      r.bytes = j.value("bytes", std::uint64_t{0});
      r.sha256 = j.value("sha256", "");
      if (j.contains("thumbnail")) {
        ThumbnailFacts t;
        t.path = j.at("thumbnail").get<std::string>();
        t.original = j.value("original", "");
        t.source_bytes = j.value("source_bytes", std::uint64_t{0});
        thumbnails_[{r.url, r.path}] = t;
      }
      done_[{r.url, r.path}] = r;
      last_done_[r.url] = r;
    } catch (const std::exception&) {
      // A line cut short by a killed run (or one another shard is writing): ignore it.
    }
  }
}

std::vector<std::string> Manifest::done_paths() const {
  std::vector<std::string> paths;
  paths.reserve(done_.size());
  for (const auto& [key, record] : done_) paths.push_back(key.second);
  return paths;
}

std::optional<Record> Manifest::done_before(const std::string& url) const {
  auto it = last_done_.find(url);
  if (it == last_done_.end()) return std::nullopt;
  return it->second;
}

std::optional<Record> Manifest::done_before(const std::string& url, const std::string& path) const {
  auto it = done_.find({url, path});
  if (it == done_.end()) return std::nullopt;
  return it->second;
}

std::optional<ThumbnailFacts> Manifest::thumbnail_before(const std::string& url, const std::string& path) const {
  auto it = thumbnails_.find({url, path});
  if (it == thumbnails_.end()) return std::nullopt;
  return it->second;
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
