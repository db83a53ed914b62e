// A conc-fetch run: the folder lock, the manifest, the planner on its own thread, one engine,
// the summary; and the signal handling around it.

#include "run.hpp"

#include <signal.h>

#include "name_text.hpp"
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
      std::error_code ec;
      const bool there = fs::exists(o_.list, ec);
      err_ << "conc-fetch: " << common::name_for_display(o_.list) << ": "
           << (there ? "cannot read the list" : "no such file or directory") << "\n";
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
    temporaries_.emplace(root_temporaries(root_, o_.shard));
    transfer_.temporaries = &*temporaries_;
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
      {
        std::lock_guard lock(names_mutex_);
        if (o_.manifest != "-") names_.reserve(fs::relative(manifest_file(std::nullopt), root_).string());
        names_.reserve(FolderLock::kFileName);
        names_.reserve(kTokenFileName);
        // Every shard keeps every shard's files out of the names, so that all plan the same names.
        for (std::size_t i = 0; o_.shard && i < o_.shard->count; ++i) {
          const common::Shard other{i, o_.shard->count};
          if (o_.manifest != "-") names_.reserve(fs::relative(manifest_file(other), root_).string());
          names_.reserve(common::shard_file_name(FolderLock::kFileName, other));
          names_.reserve(common::shard_file_name(kTokenFileName, other));
        }
      }
      if (is_table(o_.input)) {
        read_table(*in, o_.input, o_.columns, [&](ListEntry&& e) { plan(e, planner_); });
      } else {
        read_url_list(
            *in, [&](ListEntry&& e) { plan(e, planner_); }, [&](std::string&& w) { say("warning: " + w); });
      }
    } catch (const TableError& e) {
      say("error: " + common::name_for_display(o_.list.empty() ? "-" : o_.list) + ": " + e.what());
      list_unusable_ = true;
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
  engine_stopped_ = true;
  planning.join();
  if (thumbnails_) finish_thumbnails(start);
  remove_stale_temporaries();
  show_status(&Run::wait_text_, "");
  progress_->finish();

  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::string refused;  // what was neither kept nor failed, when there was any
  if (opted_out_ > 0) refused += ", " + std::to_string(opted_out_.load()) + " opted out";
  if (filtered_ > 0) refused += ", " + std::to_string(filtered_.load()) + " filtered";
  char line[320];
  std::snprintf(line, sizeof line, "%zu %s, %zu skipped, %zu failed%s, %s in %.2f s (%s/s, %zu threads)\n", ok_.load(),
                thumbnailing() ? "thumbnailed" : "downloaded", skipped_.load(), failed_.load(), refused.c_str(),
                conc::format_bytes(static_cast<double>(bytes_.load())).c_str(), seconds,
                conc::format_bytes(static_cast<double>(bytes_.load()) / std::max(seconds, 1e-9)).c_str(),
                threads_used_.load());
  // One write, so that the lines of shards sharing a terminal do not interleave.
  err_ << (o_.shard ? common::shard_tag(*o_.shard) + ": " : std::string()) + line;
  if (interrupted) {
    err_ << "interrupted: " << pending_ - settled_.load() << " left for the next run, which resumes them\n";
    return 130;
  }
  if (list_unusable_) return 2;
  return failed_ > 0 || manifest_failed_ ? 1 : 0;
}

void Run::remove_stale_temporaries() {
  planner_.folders.insert(root_);
  for (const fs::path& folder : planner_.folders) remove_temporaries(folder, *temporaries_);
}

fs::path Run::manifest_file(const std::optional<common::Shard>& shard) const {
  if (o_.manifest == "-") return "-";  // standard output: a record of this run, resuming nothing
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
  return *jobs_[index];
}

void Run::job_done(std::size_t index) {
  std::unique_ptr<Job> done;
  {
    std::lock_guard lock(jobs_mutex_);
    done = std::move(jobs_[index]);
  }
  ++jobs_done_;
  pace_.notify_one();
}

void Run::keep_pace() {
  std::unique_lock lock(pace_mutex_);
  while (!interrupted && !engine_stopped_) {
    const std::size_t open = pending_ - jobs_done_;
    if (open < kPlannedAhead) return;
    const Scheduler::Waiting w = scheduler_.waiting();
    if (open - std::min(open, w.held_by_host + w.retries) < kPlannedAhead) return;
    // Bounded: a notification may come between the check and the wait.
    pace_.wait_for(lock, std::chrono::milliseconds(50));
  }
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
