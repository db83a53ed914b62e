#include "path_list.hpp"

#include "name_text.hpp"

namespace fs = std::filesystem;

namespace thumbs {

namespace {

// Lexically normal, without the empty last element a trailing '/' leaves ("a/" -> "a").
fs::path clean(const fs::path& p) {
  fs::path normal = p.lexically_normal();
  if (normal.has_relative_path() && normal.filename().empty()) normal = normal.parent_path();
  return normal;
}

bool outside(const fs::path& relative) { return relative.empty() || *relative.begin() == ".."; }

}  // namespace

std::optional<ListedPath> PathReader::next() {
  ListedPath listed;
  std::string record;
  if (!std::getline(in_, record, null_separated_ ? '\0' : '\n')) return std::nullopt;
  listed.number = ++number_;
  if (!null_separated_ && !record.empty() && record.back() == '\r') record.pop_back();
  if (record.empty()) {
    listed.error = null_separated_ ? "an empty path" : "an empty line";
  } else if (!null_separated_ && record.find('\0') != std::string::npos) {
    listed.error = "the line holds a NUL byte (paths separated by NUL, as find -print0 writes them, need -0)";
  } else {
    listed.path = std::move(record);
  }
  return listed;
}

Placement place_listed_path(const std::string& path, const fs::path& root) {
  const fs::path given(path);
  if (root.empty()) {
    if (given.is_absolute()) return {"/", clean(given).relative_path(), ""};
    const fs::path relative = clean(given);
    if (relative == ".") return {".", {}, ""};
    if (outside(relative)) return {{}, {}, "not below the current folder (give --root DIR to place it)"};
    return {".", relative, ""};
  }
  std::error_code ec;
  const fs::path absolute = given.is_absolute() ? given : fs::absolute(given, ec);
  if (ec) return {{}, {}, "cannot make it absolute: " + ec.message()};
  const fs::path relative = clean(absolute).lexically_relative(root);
  if (relative == ".") return {root, {}, ""};
  if (outside(relative)) return {{}, {}, "not below --root " + common::name_for_display(root.string())};
  return {root, relative, ""};
}

}  // namespace thumbs
