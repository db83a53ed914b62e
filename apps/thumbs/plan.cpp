#include "plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <conc/fd.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"

namespace fs = std::filesystem;

namespace thumbs {

namespace {

const char* const kStateName = ".conc-thumbs.json";
const char* const kStateStem = ".conc-thumbs";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool extension_names(const std::string& ext, Format f) {
  switch (f) {
    case Format::Jpeg:
      return ext == "jpg" || ext == "jpeg" || ext == "jpe" || ext == "jfif";
    case Format::Png:
      return ext == "png";
    case Format::Webp:
      return ext == "webp";
    default:
      return false;
  }
}

// The first bytes of a file, or an error message.
struct Head {
  std::string bytes;
  std::string error;
  std::uint64_t size = 0;
  timespec mtime{};
  bool empty = false;
};

Head read_head(const fs::path& path) {
  Head head;
  const conc::Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    head.error = std::string("cannot read: ") + std::strerror(errno);
    return head;
  }
  struct stat st {};
  if (::fstat(file.get(), &st) == 0) {
    head.size = static_cast<std::uint64_t>(st.st_size);
    head.mtime = st.st_mtim;
  }
  char buf[32];
  ssize_t n;
  do {
    n = ::read(file.get(), buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    head.error = std::string("cannot read: ") + std::strerror(errno);
  } else {
    head.bytes.assign(buf, static_cast<std::size_t>(n));
    head.empty = n == 0;
  }
  return head;
}

bool is_within(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

fs::path absolute_clean(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal() : abs;
}

class Planner {
 public:
  Planner(const Options& options, Plan& plan) : options_(options), plan_(plan) {
    plan.state = read_state(plan.out_root, options.shard);
    trust_other_runs(plan, options.shard);
    state_matches_ = !options.force && plan.state.signature == plan.signature;
  }

  // A run of the whole tree trusts what its shards made with the same options, and a shard what a
  // run of the whole tree made.
  static void trust_other_runs(Plan& plan, const std::optional<common::Shard>& shard) {
    if (!plan.state.signature.empty() && plan.state.signature != plan.signature) return;
    auto trust = [&](const std::optional<common::Shard>& other) {
      State state = read_state(plan.out_root, other);
      if (state.signature != plan.signature) return;
      plan.state.signature = plan.signature;
      plan.state.made.merge(state.made);
    };
    if (shard) {
      trust(std::nullopt);
      return;
    }
    std::error_code ec;
    for (auto it = fs::directory_iterator(plan.out_root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      if (const auto other = common::shard_of_file_name(it->path().filename().string(), kStateStem, ".json")) {
        trust(other);
      }
    }
  }

  void input(const std::string& given) {
    std::error_code ec;
    const fs::path path(given);
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      fail_input(given, ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such file or directory");
      return;
    }
    if (fs::is_directory(status)) {
      walk(path);
    } else {
      file(path, path.filename(), given);
    }
  }

 private:
  void walk(const fs::path& root) {
    std::error_code ec;
    const auto options = fs::directory_options::skip_permission_denied;
    std::vector<std::pair<fs::path, fs::path>> files;  // (path, relative)
    for (auto it = fs::recursive_directory_iterator(root, options, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      const fs::directory_entry& entry = *it;
      std::error_code e;
      if (entry.is_symlink(e)) {
        // Links to files are followed; links to folders are not (a loop cannot hang the walk).
        if (fs::is_directory(entry.path(), e)) continue;
      } else if (entry.is_directory(e)) {
        if (is_within(absolute_clean(entry.path()), plan_.out_root)) it.disable_recursion_pending();
        continue;
      }
      if (!fs::is_regular_file(entry.path(), e)) continue;
      files.emplace_back(entry.path(), entry.path().lexically_relative(root));
    }
    if (ec) fail_input(root.string(), ec.message());
    // A stable order, whatever the directory order on disk.
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (auto& [path, relative] : files) file(path, relative, (root / relative).string());
  }

  void file(const fs::path& path, const fs::path& relative, const std::string& display) {
    const std::string name = path.filename().string();
    const bool image_name = has_image_extension(name);
    const Head head = read_head(path);
    Entry e;
    e.source = absolute_clean(path).string();
    e.display = display;
    e.relative = relative.lexically_normal().string();
    if (!head.error.empty()) {
      if (!image_name) return;  // an unreadable file that does not claim to be an image
      e.status = Status::Failed;
      e.note = head.error;
      plan_.entries.push_back(std::move(e));
      return;
    }
    e.format = detect_format(head.bytes);
    e.bytes = head.size;
    e.mtime = head.mtime.tv_sec;
    if (e.format == Format::Unknown) {
      if (!image_name) return;  // README.txt, .DS_Store: not ours
      e.status = Status::Failed;
      e.note = head.empty ? "empty file" : "not an image (unrecognised content)";
      plan_.entries.push_back(std::move(e));
      return;
    }
    if (!format_supported(e.format)) {
      e.status = Status::Skipped;
      e.note = std::string("unsupported format (") + format_name(e.format) + ")";
      plan_.entries.push_back(std::move(e));
      return;
    }
    const Format out_format = output_format_for(e.format, options_.format);
    const fs::path out_relative = relative.parent_path() / output_name(name, out_format);
    for (const Box& box : options_.sizes) {
      const fs::path out =
          options_.sizes.size() > 1 ? plan_.out_root / to_string(box) / out_relative : plan_.out_root / out_relative;
      e.outputs.push_back(out.lexically_normal().string());
    }
    for (const std::string& out : e.outputs) {
      const auto [it, fresh] = claimed_.emplace(out, display);
      if (!fresh) {
        e.status = Status::Failed;
        e.note = "its thumbnail " + out + " is also the thumbnail of " + it->second;
        plan_.entries.push_back(std::move(e));
        return;
      }
    }
    if (state_matches_ && recorded(e) && up_to_date(e, head.mtime)) {
      e.status = Status::Skipped;
      e.note = "up to date";
    }
    plan_.entries.push_back(std::move(e));
  }

  // The state file lists every thumbnail of the entry.
  bool recorded(const Entry& e) const {
    return std::all_of(e.outputs.begin(), e.outputs.end(), [&](const std::string& out) {
      return plan_.state.made.count(fs::path(out).lexically_relative(plan_.out_root).string()) != 0;
    });
  }

  // Every thumbnail exists and is at least as new as the source (modified at source_mtime).
  static bool up_to_date(const Entry& e, const timespec& source_mtime) {
    for (const std::string& out : e.outputs) {
      struct stat dst {};
      if (::stat(out.c_str(), &dst) != 0) return false;
      if (dst.st_mtim.tv_sec < source_mtime.tv_sec ||
          (dst.st_mtim.tv_sec == source_mtime.tv_sec && dst.st_mtim.tv_nsec < source_mtime.tv_nsec)) {
        return false;
      }
    }
    return true;
  }

  void fail_input(const std::string& given, const std::string& why) {
    Entry e;
    e.source = absolute_clean(given).string();
    e.display = given;
    e.relative = fs::path(given).filename().string();
    e.status = Status::Failed;
    e.note = why;
    plan_.entries.push_back(std::move(e));
  }

  const Options& options_;
  Plan& plan_;
  bool state_matches_ = false;
  std::map<std::string, std::string> claimed_;  // output -> the source it belongs to
};

}  // namespace

const char* to_string(Status s) {
  switch (s) {
    case Status::Ok:
      return "ok";
    case Status::Skipped:
      return "skipped";
    case Status::Failed:
      return "failed";
    case Status::Pending:
      break;
  }
  return "pending";
}

fs::path output_root(const Options& options) {
  if (!options.out.empty()) return absolute_clean(options.out);
  std::error_code ec;
  if (options.inputs.size() == 1 && options.inputs[0] != "-" && fs::is_directory(options.inputs[0], ec)) {
    return absolute_clean(fs::path(options.inputs[0]) / "thumbs");
  }
  throw UsageError("--out is required unless the only INPUT is a folder");
}

std::string output_name(const std::string& source_name, Format output) {
  const auto dot = source_name.rfind('.');
  if (dot != std::string::npos && dot > 0 && extension_names(lower(source_name.substr(dot + 1)), output)) {
    return source_name;
  }
  return source_name + "." + format_extension(output);
}

std::string options_signature(const Options& options) {
  std::string s = "conc-thumbs/2 sizes=";
  for (std::size_t i = 0; i < options.sizes.size(); ++i) s += (i ? "," : "") + to_string(options.sizes[i]);
  s += std::string(" fit=") + to_string(options.fit) + " format=" + to_string(options.format) +
       " quality=" + std::to_string(options.quality) + " colour=" + to_string(options.colour);
  return s;
}

fs::path state_file(const fs::path& out_root, const std::optional<common::Shard>& shard) {
  return out_root / common::shard_file_name(kStateName, shard);
}

State read_state(const fs::path& out_root, const std::optional<common::Shard>& shard) {
  State state;
  std::ifstream in(state_file(out_root, shard));
  std::string line;
  if (!in || !std::getline(in, line)) return state;
  try {
    state.signature = nlohmann::json::parse(line).at("signature").get<std::string>();
    while (std::getline(in, line)) state.made.insert(nlohmann::json::parse(line).at("made").get<std::string>());
  } catch (const std::exception&) {
    // A line cut short by a killed run ends the list; what it named is simply made again.
  }
  return state;
}

void write_state(const fs::path& out_root, const State& state, const std::optional<common::Shard>& shard) {
  std::string text = nlohmann::json{{"signature", state.signature}}.dump() + "\n";
  for (const std::string& made : state.made) text += nlohmann::json{{"made", made}}.dump() + "\n";
  common::write_atomically(state_file(out_root, shard).string(), text);
}

StateJournal::StateJournal(const fs::path& out_root, const std::optional<common::Shard>& shard)
    : out_root_(out_root),
      file_name_(state_file(out_root, shard)),
      file_(::open(file_name_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)) {
  if (!file_) throw std::runtime_error("cannot append to " + file_name_.string() + ": " + std::strerror(errno));
}

void StateJournal::made(const std::string& output) {
  const std::string line =
      nlohmann::json{{"made", fs::path(output).lexically_relative(out_root_).string()}}.dump() + "\n";
  // One write per line with O_APPEND: a killed run leaves at worst one partial last line.
  if (::write(file_.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("cannot append to " + file_name_.string() + ": " + std::strerror(errno));
  }
}

Plan make_plan(const Options& options, std::istream& paths_in) {
  Plan plan;
  plan.out_root = output_root(options);
  plan.signature = options_signature(options);
  Planner planner(options, plan);
  for (const std::string& input : options.inputs) {
    if (input == "-") {
      for (std::string line; std::getline(paths_in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) planner.input(line);
      }
    } else {
      planner.input(input);
    }
  }
  if (options.shard) {
    std::erase_if(plan.entries, [&](const Entry& e) { return !common::owns(*options.shard, e.relative); });
  }
  return plan;
}

std::size_t remove_stale_temporaries(const fs::path& out_root,
                                     const std::function<bool(const std::string& final_path)>& ours) {
  std::size_t removed = 0;
  std::error_code ec;
  if (!fs::is_directory(out_root, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(out_root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e;
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(e) && !it->is_symlink(e) && common::is_temporary_name(name) &&
        (!ours || ours((it->path().parent_path() / name.substr(0, name.rfind(".tmp-"))).string()))) {
      if (fs::remove(it->path(), e)) ++removed;
    }
  }
  return removed;
}

}  // namespace thumbs
