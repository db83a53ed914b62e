#include "state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "atomic_file.hpp"
#include "name_text.hpp"

namespace fs = std::filesystem;

namespace thumbs {

namespace {

const char* const kStateName = ".conc-thumbs.json";
const char* const kStateStem = ".conc-thumbs";

std::int64_t nanoseconds(const timespec& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

std::string made_line(const std::string& relative, const SourceIdentity& source) {
  return nlohmann::ordered_json{{"made", common::name_to_text(relative)},
                                {"size", source.size},
                                {"mtime_ns", source.mtime_ns},
                                {"inode", source.inode},
                                {"ctime_ns", source.ctime_ns}}
             .dump() +
         "\n";
}

common::Temporaries temporaries_of(const std::string& token) {
  return token.empty() ? common::Temporaries::process() : common::Temporaries(token);
}

}  // namespace

SourceIdentity identity_of(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_size), nanoseconds(st.st_mtim), static_cast<std::uint64_t>(st.st_ino),
          nanoseconds(st.st_ctim)};
}

fs::path state_file(const fs::path& out_root, const std::optional<common::Shard>& shard) {
  return out_root / common::shard_file_name(kStateName, shard);
}

State read_state(const fs::path& out_root, const std::optional<common::Shard>& shard) {
  State state;
  std::ifstream in(state_file(out_root, shard), std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return state;
  try {
    const nlohmann::json head = nlohmann::json::parse(line);
    state.signature = head.at("signature").get<std::string>();
    if (head.contains("token") && head["token"].is_string()) {
      try {
        state.token = common::Temporaries(head["token"].get<std::string>()).token();
      } catch (const std::invalid_argument&) {
        // Not a token this version makes: the run records a new one.
      }
    }
    while (std::getline(in, line)) {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (!j.contains("inode")) continue;  // an older conc-thumbs' line: no identity to vouch with
      state.made[common::name_from_text(j.at("made").get<std::string>())] =
          SourceIdentity{j.at("size").get<std::uint64_t>(), j.at("mtime_ns").get<std::int64_t>(),
                         j.at("inode").get<std::uint64_t>(), j.at("ctime_ns").get<std::int64_t>()};
    }
  } catch (const std::exception&) {
    // A line cut short by a killed run ends the list; what it named is simply made again.
  }
  return state;
}

void write_state(const fs::path& out_root, const State& state, const std::optional<common::Shard>& shard) {
  std::string text =
      nlohmann::ordered_json{{"schema", kStateSchema}, {"signature", state.signature}, {"token", state.token}}.dump() +
      "\n";
  for (const auto& [made, source] : state.made) text += made_line(made, source);
  common::write_atomically(state_file(out_root, shard).string(), text, temporaries_of(state.token));
}

bool is_output_marker(const std::string& filename) {
  return filename == kStateName || filename == kGalleryFactsName ||
         common::shard_of_file_name(filename, kStateStem, ".json").has_value();
}

StateJournal::StateJournal(const fs::path& out_root, const std::optional<common::Shard>& shard)
    : out_root_(out_root),
      file_name_(state_file(out_root, shard)),
      file_(::open(file_name_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)) {
  if (!file_) throw std::runtime_error("cannot append to " + file_name_.string() + ": " + std::strerror(errno));
}

void StateJournal::made(const std::string& output, const SourceIdentity& source) {
  const std::string line = made_line(fs::path(output).lexically_relative(out_root_).string(), source);
  // One write per line with O_APPEND: a killed run leaves at worst one partial last line.
  if (::write(file_.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("cannot append to " + file_name_.string() + ": " + std::strerror(errno));
  }
}

}  // namespace thumbs
