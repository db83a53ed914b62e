// A conc-fetch run: the folder lock, the manifest, the planner on its own thread, one engine,
// the summary; and the signal handling around it.

#include "run.hpp"

#include <signal.h>

#include "run_state.hpp"

namespace fetch {

std::atomic<bool> interrupted{false};

int Run::go(std::istream& list_in) {
  const auto start = Clock::now();
  std::unique_ptr<std::ifstream> file;
  std::istream* in = &list_in;
  if (!o_.list.empty() && o_.list != "-") {
    file = std::make_unique<std::ifstream>(o_.list);
    if (!*file) {
      err_ << "conc-fetch: cannot read " << o_.list << "\n";
      return 2;
    }
    in = file.get();
  }
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) {
    err_ << "conc-fetch: cannot create " << root_.string() << ": " << ec.message() << "\n";
    return 2;
  }
  std::optional<FolderLock> folder_lock;
  try {
    std::string holder;
    folder_lock = FolderLock::try_take(root_, holder, o_.shard);
    if (!folder_lock && !o_.wait_lock) {
      err_ << "conc-fetch: " << root_.string() << " is in use by " << holder
           << "; --wait-lock waits for it to finish\n";
      return 2;
    }
    if (!folder_lock) {
      err_ << "conc-fetch: waiting for " << holder << " to finish with " << root_.string() << "\n" << std::flush;
      folder_lock = FolderLock::take(root_, o_.shard);
    }
  } catch (const std::exception& e) {
    err_ << "conc-fetch: " << e.what() << "\n";
    return 2;
  }
  const fs::path manifest_path = manifest_file(o_.shard);
  try {
    manifest_ = std::make_unique<Manifest>(manifest_path);
    read_other_manifests();
  } catch (const std::exception& e) {
    err_ << "conc-fetch: " << e.what() << "\n";
    return 2;
  }
  if (thumbnailing()) {
    try {
      start_thumbnails();
    } catch (const std::exception& e) {
      err_ << "conc-fetch: cannot start the thumbnail workers: " << e.what() << "\n";
      return 2;
    }
  }
  progress_ = std::make_unique<conc::Progress>(
      0, conc::ProgressOptions{
             .label = "fetch",
             .unit = "files",
             .mode = o_.progress ? conc::ProgressOptions::Mode::Auto : conc::ProgressOptions::Mode::Never});
  // The list is planned entry by entry as it is read, on a thread of its own, while the first
  // downloads run: a long list on stdin is never waited for, nor held whole.
  std::thread planning([&] {
    struct CloseInput {
      Run& run;
      ~CloseInput() {
        run.planning_done_ = true;
        run.scheduler_.close_input();
      }
    } close_input{*this};
    try {
      Planner planner;
      {
        std::lock_guard lock(names_mutex_);
        names_.reserve(fs::relative(manifest_file(std::nullopt), root_).string());
        names_.reserve(FolderLock::kFileName);
        // Every shard keeps every shard's files out of the names, so that all plan the same names.
        for (std::size_t i = 0; o_.shard && i < o_.shard->count; ++i) {
          const common::Shard other{i, o_.shard->count};
          names_.reserve(fs::relative(manifest_file(other), root_).string());
          names_.reserve(common::shard_file_name(FolderLock::kFileName, other));
        }
      }
      read_url_list(
          *in, [&](ListEntry&& e) { plan(e, planner); }, [&](std::string&& w) { say("warning: " + w); });
    } catch (const std::exception& e) {
      say(std::string("error: reading the list: ") + e.what());
      ++failed_;
    }
  });
  try {
    o_.engine == Engine::Multi ? download_multi() : download();
  } catch (const std::exception& e) {
    // The engine itself failed (no event loop, no handle): what is not done stays for a re-run.
    say(std::string("error: the download engine stopped: ") + e.what());
    ++failed_;
    scheduler_.cancel();
  }
  planning.join();
  if (thumbnails_) finish_thumbnails(start);
  show_status(&Run::wait_text_, "");
  progress_->finish();

  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  char line[256];
  std::snprintf(line, sizeof line, "%zu %s, %zu skipped, %zu failed, %s in %.2f s (%s/s, %zu threads)\n", ok_.load(),
                thumbnailing() ? "thumbnailed" : "downloaded", skipped_.load(), failed_.load(),
                conc::format_bytes(static_cast<double>(bytes_.load())).c_str(), seconds,
                conc::format_bytes(static_cast<double>(bytes_.load()) / std::max(seconds, 1e-9)).c_str(),
                threads_used_.load());
  // One write, so that the lines of shards sharing a terminal do not interleave.
  err_ << (o_.shard ? common::shard_tag(*o_.shard) + ": " : std::string()) + line;
  if (interrupted) {
    err_ << "interrupted: " << pending_ - settled_.load() << " left for the next run, which resumes them\n";
    return 130;
  }
  return failed_ > 0 || manifest_failed_ ? 1 : 0;
}

fs::path Run::manifest_file(const std::optional<common::Shard>& shard) const {
  return common::shard_file_name(o_.manifest.empty() ? root_ / kManifestName : fs::absolute(o_.manifest), shard);
}

void Run::read_other_manifests() {
  const fs::path whole = manifest_file(std::nullopt);
  const std::string extension = whole.extension().string();
  const std::string stem = whole.filename().string().substr(0, whole.filename().string().size() - extension.size());
  std::error_code ec;
  for (auto it = fs::directory_iterator(whole.parent_path(), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const auto shard = common::shard_of_file_name(it->path().filename().string(), stem, extension);
    const bool other_run =
        shard ? shard != o_.shard && (!o_.shard || shard->count != o_.shard->count) : o_.shard.has_value();
    if (other_run && (shard || it->path().filename() == whole.filename())) manifest_->read_also(it->path());
  }
}

bool Run::mine(const ListEntry& e) const {
  if (!o_.shard) return true;
  return common::owns(*o_.shard, o_.shard_by == ShardBy::Host && e.url ? std::string_view(e.url->host) : e.raw);
}

void Run::plan(const ListEntry& e, Planner& planner) {
  if (interrupted) return;
  if (!e.url) {
    if (!mine(e)) return;
    fail_record(Record{e.raw, "", "failed", 0, 0, "", 0, e.error}, "line " + std::to_string(e.line) + ": " + e.raw);
    return;
  }
  std::string relative;
  if (!e.out.empty()) {
    const auto confined = confine(e.out);
    if (!confined) {
      if (!mine(e)) return;
      fail_record(Record{e.raw, "", "failed", 0, 0, "", 0, "out=" + e.out + " names no file inside the output folder"},
                  e.raw);
      return;
    }
    relative = *confined;
  } else {
    relative = o_.layout == Layout::Host ? host_path(*e.url) : flat_name(*e.url);
  }
  const std::string download_name = relative;
  {
    std::lock_guard lock(names_mutex_);
    relative = thumbnailing() ? claim_thumbnail_stem(relative) : names_.claim(relative);
  }
  // Every shard names the whole list alike (a duplicate gets the same .1 in each), then does its own part.
  if (!mine(e)) return;
  const fs::path target = root_ / relative;
  std::error_code ec;
  // Each folder is created once here, not on every transfer.
  if (const fs::path folder = target.parent_path(); planner.folders.insert(folder).second) {
    fs::create_directories(folder, ec);
    if (ec) {
      fail_record(
          Record{e.raw, relative, "failed", 0, 0, "", 0, "cannot create " + folder.string() + ": " + ec.message()},
          e.raw);
      return;
    }
  }
  if (thumbnailing() && !o_.force && thumbnail_done_before(e.raw, relative)) {
    ++skipped_;
    return;
  }
  const bool exists = fs::is_regular_file(target, ec);
  if (!o_.force && !thumbnailing()) {
    auto before = manifest_->done_before(e.raw, relative);
    // A file the server named is recorded under that name.
    if (!before && o_.transfer.content_disposition && e.out.empty()) before = manifest_->done_before(e.raw);
    const fs::path recorded = before ? root_ / before->path : target;
    if ((o_.skip_existing && exists) ||
        (before && fs::is_regular_file(recorded, ec) && still_as_recorded(recorded, *before, e.raw))) {
      ++skipped_;
      return;
    }
  }
  std::vector<Url> sources{*e.url};
  sources.insert(sources.end(), e.mirrors.begin(), e.mirrors.end());
  Job job;
  job.url = e.raw;
  job.sources = std::move(sources);
  job.path = relative;
  job.sha256 = e.sha256;
  job.named_by_list = !e.out.empty();
  job.line = e.line;
  if (thumbnailing() && o_.thumbnail.keep_originals) {
    job.original = "originals/" + relative + fs::path(download_name).extension().string();
  }
  std::size_t index = 0;
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_.push_back(std::move(job));
    index = jobs_.size() - 1;
  }
  progress_->set_total(++pending_);
  scheduler_.add(index, e.url->host);
}

bool Run::still_as_recorded(const fs::path& target, const Record& before, const std::string& url) {
  std::error_code ec;
  const auto size = fs::file_size(target, ec);
  std::string change;
  if (ec || size != before.bytes) {
    change = "its size is " + std::to_string(ec ? 0 : size) + " bytes, recorded " + std::to_string(before.bytes);
  } else if (o_.verify && !before.sha256.empty() && sha256_of_file(target) != before.sha256) {
    change = "its SHA-256 differs from the recorded one";
  }
  if (change.empty()) return true;
  say("note: " + url + ": " + before.path + " changed since it was downloaded (" + change + "); downloading it again");
  return false;
}

std::size_t Run::most_at_once() {
  const std::size_t fit = transfers_within_open_file_limit();
  if (o_.jobs == 0) return std::min(kMaxAutoThreads, fit);
  if (o_.jobs > fit) {
    say("note: -j " + std::to_string(o_.jobs) + " would need up to " + std::to_string(o_.jobs * kFilesPerTransfer) +
        " open files, more than this process may open; running " + std::to_string(fit) + " at once");
    return fit;
  }
  return o_.jobs;
}

Job& Run::job_at(std::size_t index) {
  std::lock_guard lock(jobs_mutex_);
  return jobs_[index];
}

int run(const Options& options, std::istream& list_in, std::ostream& out, std::ostream& err) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  interrupted.store(false);
  // The first Ctrl-C (or SIGTERM) ends the run in order, the second the default way.
  struct sigaction stop {};
  stop.sa_handler = [](int) { interrupted.store(true); };
  stop.sa_flags = SA_RESETHAND;
  sigemptyset(&stop.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, &stop, &old_int);
  ::sigaction(SIGTERM, &stop, &old_term);
  int code = 2;
  {
    Run r(options, out, err);
    code = r.go(list_in);
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  return code;
}

}  // namespace fetch
