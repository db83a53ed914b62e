#include "thumbnail/sample_json.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "name_text.hpp"

namespace fetch {

std::string sample_key(std::size_t line) {
  char key[32];
  std::snprintf(key, sizeof key, "%09zu", line);
  return key;
}

std::string sample_json(const SampleFacts& facts) {
  nlohmann::json j = facts.columns.empty() ? nlohmann::json::object() : nlohmann::json::parse(facts.columns);
  j["schema"] = kSampleSchema;
  j["key"] = facts.key;
  j["url"] = common::name_to_text(facts.url);
  if (facts.caption) j["caption"] = *facts.caption;
  j["status"] = "success";
  j["error_message"] = nullptr;
  j["width"] = facts.width;
  j["height"] = facts.height;
  j["original_width"] = facts.source_width;
  j["original_height"] = facts.source_height;
  j["source_width"] = facts.source_width;
  j["source_height"] = facts.source_height;
  j["source_bytes"] = facts.source_bytes;
  j["sha256"] = facts.sha256;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fetch
