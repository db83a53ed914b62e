#include "plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <conc/fd.hpp>
#include <cstring>
#include <map>

#include "freedesktop.hpp"
#include "name_text.hpp"
#include "path_list.hpp"

namespace fs = std::filesystem;

namespace thumbs {

namespace {

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

// The first bytes of a file and what identifies it, or an error message.
struct Head {
  std::string bytes;
  std::string error;
  struct stat st {};
  bool empty = false;
};

Head read_head(const fs::path& path) {
  Head head;
  const conc::Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    head.error = std::string("cannot read: ") + std::strerror(errno);
    return head;
  }
  if (::fstat(file.get(), &head.st) != 0) {
    head.error = std::string("cannot read: ") + std::strerror(errno);
    return head;
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

std::string display(const std::string& name) { return common::name_for_display(name); }

// A folder's entries, read once: its files (and links to files), its folders (not links to them:
// a loop cannot hang the walk), and whether it marks a conc output root.
struct Listing {
  std::vector<std::string> files;
  std::vector<std::string> folders;
  bool output_root = false;
};

Listing list_folder(const fs::path& folder, std::error_code& ec) {
  Listing listing;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (is_output_marker(name)) listing.output_root = true;
    std::error_code e;
    if (entry.is_symlink(e)) {
      if (fs::is_regular_file(entry.path(), e)) listing.files.push_back(name);
    } else if (entry.is_directory(e)) {
      listing.folders.push_back(name);
    } else if (entry.is_regular_file(e)) {
      listing.files.push_back(name);
    }
  }
  return listing;
}

struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileId&) const = default;
};

std::optional<FileId> file_id(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

class Planner {
 public:
  Planner(const Options& options, Plan& plan) : options_(options), plan_(plan), out_root_id_(file_id(plan.out_root)) {
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
      if (const auto other = common::shard_of_file_name(it->path().filename().string(), ".conc-thumbs", ".json")) {
        trust(other);
      }
    }
  }

  // A folder or a file named on the command line.
  void input(const std::string& given) {
    std::error_code ec;
    const fs::path path(given);
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      fail_input(given, ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such file or directory");
      return;
    }
    if (fs::is_directory(status)) {
      walk(path, {}, given);
    } else {
      file(path, path.filename(), given);
    }
  }

  // A path read from stdin: placed below the output root by its path below the current folder,
  // --root or "/", and left out when one of the folders on that path is an output folder, as a
  // walk from there would have left it out.
  void listed(const ListedPath& listed, const fs::path& root, bool null_separated) {
    if (!listed.error.empty()) {
      fail_line(std::string(null_separated ? "stdin, path " : "stdin, line ") + std::to_string(listed.number),
                listed.error);
      return;
    }
    const Placement place = place_listed_path(listed.path, root);
    if (!place.error.empty()) {
      fail_input(listed.path, place.error);
      return;
    }
    std::error_code ec;
    const fs::path path(listed.path);
    const auto status = fs::status(path, ec);
    const bool is_folder = !ec && fs::is_directory(status);
    // The folders on its way from the base, and a listed folder itself.
    fs::path folder = place.base;
    if (output_folder(folder)) return;
    for (const fs::path& part : is_folder ? place.relative : place.relative.parent_path()) {
      folder /= part;
      if (output_folder(folder)) return;
    }
    if (ec || !fs::exists(status)) {
      fail_input(listed.path,
                 ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such file or directory");
    } else if (is_folder) {
      walk(path, place.relative, listed.path);
    } else {
      file(path, place.relative, listed.path);
    }
  }

 private:
  // Whether `folder` is the run's output folder or holds a conc output root's marker; remembered,
  // and counted once in the plan when it is.
  bool output_folder(const fs::path& folder) {
    const auto [known, fresh] = output_folders_.try_emplace(folder.string(), false);
    if (fresh) {
      std::error_code ec;
      known->second = is_run_output(folder) || list_folder(folder, ec).output_root;
      if (known->second) plan_.output_folders.insert(absolute_clean(folder).string());
    }
    return known->second;
  }

  bool is_run_output(const fs::path& folder) const { return out_root_id_ && file_id(folder) == out_root_id_; }

  // Every image below `root`, placed at `place` / its path below root.
  void walk(const fs::path& root, const fs::path& place, const std::string& given) {
    std::vector<std::pair<fs::path, fs::path>> files;  // (path, relative below root)
    std::vector<fs::path> pending{fs::path()};
    while (!pending.empty()) {
      const fs::path relative = std::move(pending.back());
      pending.pop_back();
      const fs::path folder = relative.empty() ? root : root / relative;
      std::error_code ec;
      const Listing listing = list_folder(folder, ec);
      if (ec) {
        // A subfolder the user may not read is passed over, as find does with a message of its own.
        if (relative.empty() || ec != std::errc::permission_denied) fail_input(folder.string(), ec.message());
        continue;
      }
      const bool run_output = is_run_output(folder);
      if (run_output || listing.output_root) {
        plan_.output_folders.insert(absolute_clean(folder).string());
        if (relative.empty()) {
          plan_.notes.push_back(display(given) + ": not walked, " +
                                (run_output ? "it is the output folder" : "it holds the output of a conc run"));
        }
        continue;
      }
      for (const std::string& name : listing.folders) pending.push_back(relative / name);
      for (const std::string& name : listing.files) files.emplace_back(folder / name, relative / name);
    }
    // A stable order, whatever the directory order on disk.
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (auto& [path, relative] : files) file(path, place / relative, (fs::path(given) / relative).string());
  }

  // One source: nothing it holds (a name, a header, a path too long) ends the plan.
  void file(const fs::path& path, const fs::path& relative, const std::string& given) {
    try {
      plan_file(path, relative, given);
    } catch (const std::exception& e) {
      fail_input(given, display(e.what()));
    }
  }

  void plan_file(const fs::path& path, const fs::path& relative, const std::string& given) {
    const std::string name = path.filename().string();
    const bool image_name = has_image_extension(name);
    const Head head = read_head(path);
    Entry e;
    e.source = absolute_clean(path).string();
    e.display = given;
    e.relative = relative.lexically_normal().string();
    if (!head.error.empty()) {
      if (!image_name) return;  // an unreadable file that does not claim to be an image
      e.status = Status::Failed;
      e.note = head.error;
      plan_.entries.push_back(std::move(e));
      return;
    }
    e.format = detect_format(head.bytes);
    e.bytes = static_cast<std::uint64_t>(head.st.st_size);
    e.mtime = head.st.st_mtim.tv_sec;
    e.identity = identity_of(head.st);
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
    if (!options_.freedesktop.empty()) {
      plan_in_cache(std::move(e), head);
      return;
    }
    const Format out_format = output_format_for(e.format, options_.format);
    const std::string out_name = output_name(name, out_format);
    if (out_name.size() > NAME_MAX) {
      e.status = Status::Failed;
      e.note = "its thumbnail's name, " + display(out_name) + ", would be " + std::to_string(out_name.size()) +
               " bytes long, more than a file name may be (" + std::to_string(NAME_MAX) + ")";
      plan_.entries.push_back(std::move(e));
      return;
    }
    const fs::path out_relative = relative.parent_path() / out_name;
    // One --size is written at OUT/, as it always was; any other rendition at OUT/WxH/.
    const std::vector<Rendition>& renditions = plan_.renditions.list;
    for (std::size_t i = 0; i < renditions.size(); ++i) {
      const bool own_folder = i > 0 || options_.sizes.size() > 1;
      const fs::path out =
          own_folder ? plan_.out_root / to_string(renditions[i].box) / out_relative : plan_.out_root / out_relative;
      e.outputs.push_back(out.lexically_normal().string());
    }
    const FileId source_id{head.st.st_dev, head.st.st_ino};
    // The same file at the same place again (find lists a folder and the files in it): planned once.
    if (const auto known = claimed_.find(e.outputs.front());
        known != claimed_.end() && known->second.source == source_id) {
      return;
    }
    bool all_exist = true;
    for (const std::string& out : e.outputs) {
      const auto [it, fresh] = claimed_.emplace(out, Claim{given, source_id});
      if (!fresh) {
        e.status = Status::Failed;
        e.note = "its thumbnail " + display(out) + " is also the thumbnail of " + display(it->second.given);
        plan_.entries.push_back(std::move(e));
        return;
      }
      const auto out_id = file_id(out);
      if (out_id == source_id) {
        e.status = Status::Failed;
        e.note = "its thumbnail " + display(out) + " would replace it";
        plan_.entries.push_back(std::move(e));
        return;
      }
      all_exist = all_exist && out_id.has_value();
    }
    if (state_matches_ && all_exist && same_source(e)) {
      e.status = Status::Skipped;
      e.note = "up to date";
    }
    plan_.entries.push_back(std::move(e));
  }

  // --freedesktop: MD5(URI).png in each size's folder of the desktop's cache, up to date by the
  // standard's own rule: every one says this URI and this modification time.
  void plan_in_cache(Entry e, const Head& head) {
    const std::string uri = freedesktop::file_uri(e.source);
    const std::string name = freedesktop::thumbnail_name(uri);
    for (const std::string& size : options_.freedesktop) e.outputs.push_back((plan_.out_root / size / name).string());
    const FileId source_id{head.st.st_dev, head.st.st_ino};
    // The same file named twice (find lists a folder and the files in it): planned once.
    if (!claimed_.emplace(e.outputs.front(), Claim{e.display, source_id}).second) return;
    const bool current = std::all_of(e.outputs.begin(), e.outputs.end(), [&](const std::string& out) {
      const auto stamp = freedesktop::read_stamp(out);
      return stamp && stamp->uri == uri && stamp->mtime == e.mtime;
    });
    if (!options_.force && current) {
      e.status = Status::Skipped;
      e.note = "up to date";
    }
    plan_.entries.push_back(std::move(e));
  }

  // The state file lists every thumbnail of the entry as made from this very source: same size,
  // modification time, inode and change time.
  bool same_source(const Entry& e) const {
    return std::all_of(e.outputs.begin(), e.outputs.end(), [&](const std::string& out) {
      const auto made = plan_.state.made.find(fs::path(out).lexically_relative(plan_.out_root).string());
      return made != plan_.state.made.end() && made->second == e.identity;
    });
  }

  void fail_input(const std::string& given, const std::string& why) {
    Entry e;
    std::error_code ec;
    const fs::path absolute = fs::absolute(given, ec);
    e.source = ec ? given : absolute.lexically_normal().string();
    e.display = given;
    e.relative = fs::path(given).filename().string();
    e.status = Status::Failed;
    e.note = why;
    plan_.entries.push_back(std::move(e));
  }

  // A line of the list that names no path: its place in the list stands for it.
  void fail_line(const std::string& where, const std::string& why) {
    Entry e;
    e.source = where;
    e.display = where;
    e.status = Status::Failed;
    e.note = why;
    plan_.entries.push_back(std::move(e));
  }

  const Options& options_;
  Plan& plan_;
  std::optional<FileId> out_root_id_;
  bool state_matches_ = false;
  struct Claim {
    std::string given;  // the source it belongs to, as named
    FileId source;
  };
  std::map<std::string, Claim> claimed_;        // output -> the source it belongs to
  std::map<std::string, bool> output_folders_;  // folder on a listed path -> whether it is an output folder
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

Renditions renditions_for(const Options& options) {
  Renditions r;
  for (const Box& box : options.sizes) r.list.push_back({box, std::nullopt});
  if (!options.gallery) return r;
  const auto add = [&](Box box, std::optional<Fit> fit) {
    const auto known =
        std::find_if(r.list.begin(), r.list.end(), [&](const Rendition& rendition) { return rendition.box == box; });
    if (known != r.list.end()) return static_cast<std::size_t>(known - r.list.begin());
    r.list.push_back({box, fit});
    return r.list.size() - 1;
  };
  const Box first = options.sizes.front();
  r.double_size = add({2 * first.width, 2 * first.height}, std::nullopt);
  r.viewer = add(kViewerBox, Fit::Contain);
  return r;
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
  std::string s = "conc-thumbs/3 sizes=";
  for (std::size_t i = 0; i < options.sizes.size(); ++i) s += (i ? "," : "") + to_string(options.sizes[i]);
  s += std::string(" fit=") + to_string(options.fit) + " format=" + to_string(options.format) +
       " quality=" + std::to_string(options.quality) + " colour=" + to_string(options.colour);
  if (options.embedded_preview) s += " embedded-preview";
  return s;
}

Plan make_plan(const Options& options, std::istream& paths_in) {
  const bool from_stdin = std::find(options.inputs.begin(), options.inputs.end(), "-") != options.inputs.end();
  if (!from_stdin && (options.null_separated || !options.root.empty())) {
    throw UsageError(std::string(options.null_separated ? "-0" : "--root") + " goes with - (paths on stdin)");
  }
  fs::path root;
  if (!options.root.empty()) {
    std::error_code ec;
    root = fs::absolute(options.root, ec).lexically_normal();
    if (!ec && root.has_relative_path() && root.filename().empty()) root = root.parent_path();
    if (ec || !fs::is_directory(root, ec)) throw UsageError("--root " + display(options.root) + ": not a folder");
  }
  Plan plan;
  plan.out_root = output_root(options);
  plan.renditions = renditions_for(options);
  plan.signature = options_signature(options);
  Planner planner(options, plan);
  plan.token = !options.freedesktop.empty() ? freedesktop::kTemporariesToken
               : plan.state.token.empty()   ? common::Temporaries::new_token()
                                            : plan.state.token;
  for (const std::string& input : options.inputs) {
    if (input == "-") {
      PathReader reader(paths_in, options.null_separated);
      while (const auto listed = reader.next()) planner.listed(*listed, root, options.null_separated);
    } else {
      planner.input(input);
    }
  }
  if (options.shard) {
    std::erase_if(plan.entries, [&](const Entry& e) { return !common::owns(*options.shard, e.relative); });
  }
  return plan;
}

std::size_t remove_stale_temporaries(const fs::path& out_root, const common::Temporaries& ours,
                                     const std::vector<std::string>& planned_outputs) {
  std::set<fs::path> folders{out_root};
  for (const std::string& output : planned_outputs) {
    for (fs::path folder = fs::path(output).parent_path(); is_within(folder, out_root) && folders.insert(folder).second;
         folder = folder.parent_path()) {
    }
  }
  std::size_t removed = 0;
  for (const fs::path& folder : folders) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code e;
      if (ours.is_ours(it->path().filename().string()) && !it->is_symlink(e) && it->is_regular_file(e) &&
          fs::remove(it->path(), e)) {
        ++removed;
      }
    }
  }
  return removed;
}

}  // namespace thumbs
