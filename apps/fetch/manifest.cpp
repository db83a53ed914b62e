#include "manifest.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fetch {

std::string to_json_line(const Record& r) {
  nlohmann::json j = {{"url", r.url},     {"path", r.path},     {"status", r.status},    {"http_status", r.http_status},
                      {"bytes", r.bytes}, {"sha256", r.sha256}, {"attempts", r.attempts}};
  if (!r.error.empty()) j["error"] = r.error;
  // Invalid UTF-8 in a URL or name is replaced rather than refused: the line must be written.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Manifest::Manifest(const std::filesystem::path& file) {
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
      done_[r.url] = r;
    } catch (const std::exception&) {
      // A line cut short by a killed run: ignore it.
    }
  }
  if (!file.parent_path().empty()) std::filesystem::create_directories(file.parent_path());
  out_ = std::fopen(file.c_str(), "a");
  if (out_ == nullptr) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
}

Manifest::~Manifest() {
  if (out_ != nullptr) std::fclose(out_);
}

std::optional<Record> Manifest::done_before(const std::string& url) const {
  auto it = done_.find(url);
  if (it == done_.end()) return std::nullopt;
  return it->second;
}

void Manifest::append(const Record& r) {
  const std::string line = to_json_line(r) + "\n";
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace fetch
