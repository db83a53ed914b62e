#include "run.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <conc/progress.hpp>
#include <conc/sizing.hpp>
#include <conc/thread_pool.hpp>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "downloader.hpp"
#include "folder_lock.hpp"
#include "manifest.hpp"
#include "multi_loop.hpp"
#include "names.hpp"
#include "scheduler.hpp"
#include "url_list.hpp"

namespace fs = std::filesystem;

namespace fetch {

namespace {

using Clock = std::chrono::steady_clock;

// Set by SIGINT or SIGTERM: the run stops starting transfers, ends those running and keeps their parts.
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
constexpr const char* kManifestName = ".conc-fetch.jsonl";
constexpr std::size_t kMaxAutoThreads = 512;
constexpr std::chrono::seconds kLongWait{5};  // retry waits at least this long are said without -v

struct Job {
  std::string url;           // as listed: the manifest's key and what messages name
  std::vector<Url> sources;  // the URL as requested, then any mirrors
  std::string path;          // relative to the output folder
  std::string sha256;
  unsigned attempts = 0;         // in all
  std::size_t source = 0;        // the one being tried
  unsigned source_attempts = 0;  // at sources[source]
  std::string failed_sources;    // what the ones before it said
  bool named_by_list = false;    // out= given: never renamed after the server's Content-Disposition
  const std::string& request() const { return sources[source].text; }
};

class Run {
 public:
  Run(const Options& o, std::ostream& out, std::ostream& err)
      : o_(o), out_(out), err_(err), root_(fs::absolute(o.out)), scheduler_(o.per_host) {
    if (o.rate > 0) rate_.emplace(o.rate);
    transfer_ = o.transfer;
    transfer_.rate = rate_ ? &*rate_ : nullptr;
    transfer_.stop = &interrupted;
  }

  int go(std::istream& list_in) {
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
      folder_lock = FolderLock::try_take(root_, holder);
      if (!folder_lock && !o_.wait_lock) {
        err_ << "conc-fetch: " << root_.string() << " is in use by " << holder
             << "; --wait-lock waits for it to finish\n";
        return 2;
      }
      if (!folder_lock) {
        err_ << "conc-fetch: waiting for " << holder << " to finish with " << root_.string() << "\n" << std::flush;
        folder_lock = FolderLock::take(root_);
      }
    } catch (const std::exception& e) {
      err_ << "conc-fetch: " << e.what() << "\n";
      return 2;
    }
    const fs::path manifest_path = o_.manifest.empty() ? root_ / kManifestName : fs::absolute(o_.manifest);
    try {
      manifest_ = std::make_unique<Manifest>(manifest_path);
    } catch (const std::exception& e) {
      err_ << "conc-fetch: " << e.what() << "\n";
      return 2;
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
          names_.reserve(fs::relative(manifest_path, root_).string());
          names_.reserve(FolderLock::kFileName);
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
    progress_->finish();

    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    char line[256];
    std::snprintf(line, sizeof line, "%zu downloaded, %zu skipped, %zu failed, %s in %.2f s (%s/s, %zu threads)\n",
                  ok_.load(), skipped_.load(), failed_.load(),
                  conc::format_bytes(static_cast<double>(bytes_.load())).c_str(), seconds,
                  conc::format_bytes(static_cast<double>(bytes_.load()) / std::max(seconds, 1e-9)).c_str(),
                  threads_started_.load());
    err_ << line;
    if (interrupted) {
      err_ << "interrupted: " << pending_ - settled_.load() << " left for the next run, which resumes them\n";
      return 130;
    }
    return failed_ > 0 || manifest_failed_ ? 1 : 0;
  }

 private:
  struct Planner {
    std::set<fs::path> folders;  // created already
  };

  void plan(const ListEntry& e, Planner& planner) {
    if (interrupted) return;
    if (!e.url) {
      fail_record(Record{e.raw, "", "failed", 0, 0, "", 0, e.error}, "line " + std::to_string(e.line) + ": " + e.raw);
      return;
    }
    std::string relative;
    if (!e.out.empty()) {
      const auto confined = confine(e.out);
      if (!confined) {
        fail_record(
            Record{e.raw, "", "failed", 0, 0, "", 0, "out=" + e.out + " names no file inside the output folder"},
            e.raw);
        return;
      }
      relative = *confined;
    } else {
      relative = o_.layout == Layout::Host ? host_path(*e.url) : flat_name(*e.url);
    }
    {
      std::lock_guard lock(names_mutex_);
      relative = names_.claim(relative);
    }
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
    const bool exists = fs::is_regular_file(target, ec);
    if (!o_.force) {
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
    std::size_t index = 0;
    {
      std::lock_guard lock(jobs_mutex_);
      jobs_.push_back(std::move(job));
      index = jobs_.size() - 1;
    }
    progress_->set_total(++pending_);
    scheduler_.add(index, e.url->host);
  }

  // A file recorded as done counts only while it is what was recorded: its size, and with
  // --verify its SHA-256 (when one was recorded). Otherwise it is said and downloaded again.
  bool still_as_recorded(const fs::path& target, const Record& before, const std::string& url) {
    std::error_code ec;
    const auto size = fs::file_size(target, ec);
    std::string change;
    if (ec || size != before.bytes) {
      change = "its size is " + std::to_string(ec ? 0 : size) + " bytes, recorded " + std::to_string(before.bytes);
    } else if (o_.verify && !before.sha256.empty() && sha256_of_file(target) != before.sha256) {
      change = "its SHA-256 differs from the recorded one";
    }
    if (change.empty()) return true;
    say("note: " + url + ": " + before.path + " changed since it was downloaded (" + change +
        "); downloading it again");
    return false;
  }

  // One line on stderr, from any thread.
  void say(const std::string& line) {
    std::lock_guard lock(print_mutex_);
    if (progress_) progress_->clear();
    err_ << line << "\n" << std::flush;
  }

  // With --content-disposition: the finished file takes the server's name, in the same folder,
  // made unique against this run's names and the files already there.
  std::string rename_as_suggested(const Job& job, const AttemptResult& r) {
    const fs::path planned(job.path);
    const std::string wanted = (planned.parent_path() / r.suggested_name).string();
    if (wanted == job.path) return job.path;
    std::string name;
    {
      std::lock_guard lock(names_mutex_);
      std::error_code ec;
      do {
        name = names_.claim(wanted);
      } while (fs::exists(root_ / name, ec) || fs::exists(root_ / (name + ".part"), ec));
    }
    if (::rename((root_ / job.path).c_str(), (root_ / name).c_str()) != 0) {
      say("note: " + job.url + ": kept as " + job.path + ", cannot rename it to " + name + ": " + std::strerror(errno));
      return job.path;
    }
    return name;
  }

  Job& job_at(std::size_t index) {
    std::lock_guard lock(jobs_mutex_);
    return jobs_[index];
  }

  // One line on stderr and one in the manifest; callable from any worker.
  void fail_record(const Record& r, const std::string& where) {
    {
      std::lock_guard lock(print_mutex_);
      if (progress_) progress_->clear();
      err_ << "error: " << where << ": " << r.error << "\n" << std::flush;
    }
    record(r);
    ++failed_;
  }

  // The manifest line of r; a line that cannot be written is said, and the run fails.
  void record(const Record& r) {
    if (manifest_->append(r)) return;
    const std::string reason = std::strerror(errno);
    {
      std::lock_guard lock(print_mutex_);
      if (progress_) progress_->clear();
      err_ << "error: " << r.url << ": cannot write the manifest: " << reason << "\n" << std::flush;
    }
    manifest_failed_ = true;
  }

  void download() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const bool automatic = o_.jobs == 0;
    // Downloads wait far more than they compute: start as if 97% blocking, then follow the measurement.
    const std::size_t first = automatic ? conc::threads_for(cores, 0.97) : o_.jobs;
    const std::size_t most = automatic ? kMaxAutoThreads : o_.jobs;
    conc::ThreadPool pool(most);
    std::vector<conc::Future<void>> workers;
    auto start_workers = [&](std::size_t n) {
      for (std::size_t i = 0; i < n && threads_started_ < most; ++i) {
        ++threads_started_;
        workers.push_back(pool.submit([this] { worker(); }));
      }
    };
    // Start workers as the list brings work, stop on an interrupt; with -j auto, grow the pool
    // towards cores / (1 - blocking) as the blocking coefficient is measured.
    while (!finished_.load() && !scheduler_.done()) {
      if (interrupted) scheduler_.cancel();
      std::size_t target = first;
      if (const auto window = meter_.window(); automatic && window.samples >= 4)
        target = conc::threads_for(cores, window.coefficient(), most);
      const std::size_t want = std::min(target, pending_.load());
      if (want > threads_started_) start_workers(want - threads_started_);
      std::unique_lock lock(finish_mutex_);
      finish_cv_.wait_for(lock, std::chrono::milliseconds(10), [&] { return finished_.load(); });
    }
    pool.wait_idle();
    for (const auto& w : workers) {
      try {
        w.get();
      } catch (const std::exception& e) {
        report_worker_failure(e.what());
      }
    }
  }

  // A worker that stopped on an exception outside any one download: said once, and counted.
  void report_worker_failure(const std::string& reason) {
    {
      std::lock_guard lock(print_mutex_);
      if (progress_) progress_->clear();
      err_ << "error: a download worker stopped: " << reason << "\n" << std::flush;
    }
    ++failed_;
  }

  void worker() {
    struct Finish {
      Run& run;
      // The last worker out wakes the pool's grower, also when this one leaves on an exception.
      ~Finish() {
        if (run.scheduler_.in_flight() == 0) {
          run.finished_ = true;
          run.finish_cv_.notify_all();
        }
      }
    } finish{*this};
    std::optional<Downloader> downloader;  // made by the first attempt, so that its failure is that download's
    std::mt19937_64 rng(std::random_device{}());
    work_through(
        scheduler_,
        [&](const Scheduler::Grant& grant) {
          Job& job = job_at(grant.index);
          ++job.attempts;
          ++job.source_attempts;
          if (!downloader) downloader.emplace(transfer_, cache_);
          AttemptResult r;
          {
            auto measure = meter_.measure();
            r = downloader->attempt(job.request(), root_ / job.path, job.sha256);
          }
          settle(grant, r, rng);
        },
        [&](const Scheduler::Grant& grant, const std::string& reason) {
          AttemptResult r;
          r.verdict = Verdict::Fail;
          r.error = reason;
          settle(grant, r, rng);
        });
  }

  // The multi engine: one thread, one event loop, up to -j transfers at once.
  void download_multi() {
    const std::size_t most = o_.jobs == 0 ? kMaxAutoThreads : o_.jobs;
    threads_started_ = 1;
    struct Slot {
      explicit Slot(const TransferOptions& t) : handle(t) {}
      EasyHandle handle;
      std::optional<Attempt> attempt;
      Scheduler::Grant grant{};
    };
    std::vector<std::unique_ptr<Slot>> slots;
    std::vector<Slot*> idle;
    auto slot_of = [](CURL* easy) {
      Slot* slot = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &slot);
      return slot;
    };
    MultiLoop loop;
    std::mt19937_64 rng(std::random_device{}());
    // Start whatever the scheduler allows, up to -j at once.
    auto start_ready = [&] {
      while (loop.size() < most) {
        auto grant = scheduler_.try_next();
        if (!grant) return;
        if (idle.empty()) {
          slots.push_back(std::make_unique<Slot>(transfer_));
          curl_easy_setopt(slots.back()->handle.get(), CURLOPT_PRIVATE, slots.back().get());
          idle.push_back(slots.back().get());
        }
        Slot* slot = idle.back();
        Job& job = job_at(grant->index);
        ++job.attempts;
        ++job.source_attempts;
        slot->grant = std::move(*grant);
        slot->attempt.emplace(transfer_, slot->handle.get(), job.request(), root_ / job.path, job.sha256);
        if (auto early = slot->attempt->start()) {
          slot->attempt.reset();
          settle(slot->grant, *early, rng);
          scheduler_.release(slot->grant.host);
          continue;
        }
        loop.add(slot->handle.get());
        idle.pop_back();
      }
    };
    for (;;) {
      if (interrupted) scheduler_.cancel();
      start_ready();
      if (loop.size() == 0 && scheduler_.done()) break;
      // Wait for network activity, or at most until the next retry falls due (or, while the list
      // is read, until more work may have come).
      auto wait = std::chrono::milliseconds(planning_done_ ? 1000 : 10);
      if (const auto due = scheduler_.next_due()) {
        wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*due - Clock::now()),
                          std::chrono::milliseconds(0), wait);
      }
      const std::vector<MultiLoop::Finished>& finished = loop.poll(wait);  // valid until the next poll
      if (finished.empty()) continue;
      // The next requests leave before the finished files are checked, renamed and recorded, so
      // that a burst of completions does not hold up the connections it freed.
      for (const MultiLoop::Finished& f : finished) scheduler_.release(slot_of(f.easy)->grant.host);
      start_ready();
      loop.kick();
      for (const MultiLoop::Finished& f : finished) {
        Slot* slot = slot_of(f.easy);
        const AttemptResult r = slot->attempt->finish(f.code);
        slot->attempt.reset();
        idle.push_back(slot);
        settle(slot->grant, r, rng);
      }
    }
  }

  // What follows an attempt: a retry scheduled, or the URL recorded as done or failed. The caller
  // releases the grant's host slot (the threads engine after this, so that a retry is queued before
  // the scheduler can see nothing left; the single-threaded event loop before).
  void settle(const Scheduler::Grant& grant, const AttemptResult& r, std::mt19937_64& rng) {
    Job& job = job_at(grant.index);
    if (r.verdict == Verdict::Interrupted) return;  // its part stays for the next run
    if (r.verdict == Verdict::Retry && r.restart) {
      --job.attempts;
      --job.source_attempts;
      if (o_.verbose) {
        std::lock_guard lock(print_mutex_);
        err_ << "restart: " << job.url << ": " << r.error << "; downloading from the start\n";
      }
      scheduler_.retry(grant.index, grant.host, Clock::now());
      return;
    }
    std::string error = r.error;
    const bool wait_too_long = r.verdict == Verdict::Retry && r.retry_after && *r.retry_after > o_.retry_max_wait;
    if (wait_too_long) {
      error += ", and the server asks to wait " + std::to_string(r.retry_after->count()) +
               " s (Retry-After), more than --retry-max-wait " + std::to_string(o_.retry_max_wait.count()) + " s";
    }
    if (r.verdict == Verdict::Retry && !wait_too_long && job.source_attempts <= o_.retries) {
      auto delay = backoff(job.source_attempts - 1, rng);
      if (r.retry_after) delay = std::max<std::chrono::milliseconds>(delay, *r.retry_after);
      // A long wait is said even without -v, so that a quiet run is never a mystery.
      if (o_.verbose || delay >= kLongWait) {
        std::lock_guard lock(print_mutex_);
        if (progress_) progress_->clear();
        err_ << "retry: " << job.url << ": " << r.error << " (attempt " << job.attempts << "), waiting "
             << conc::format_duration(std::chrono::duration<double>(delay).count())
             << (r.retry_after ? " as the server asks (Retry-After)" : "") << "\n"
             << std::flush;
      }
      scheduler_.retry(grant.index, grant.host, Clock::now() + delay);
      return;
    }
    if (r.verdict != Verdict::Ok && job.source + 1 < job.sources.size()) {
      // This URI has failed for good: the next mirror of the same file takes over.
      job.failed_sources += job.request() + ": " + error + "; ";
      ++job.source;
      job.source_attempts = 0;
      if (o_.verbose) {
        std::lock_guard lock(print_mutex_);
        err_ << "mirror: " << job.url << ": " << error << "; trying " << job.request() << "\n";
      }
      scheduler_.retry(grant.index, job.sources[job.source].host, Clock::now());
      return;
    }
    if (!job.failed_sources.empty()) {
      error = "all " + std::to_string(job.sources.size()) + " URIs failed: " + job.failed_sources + job.request() +
              ": " + error;
    }
    Record rec{job.url,      job.path, r.verdict == Verdict::Ok ? "ok" : "failed", r.http_status, r.bytes, r.sha256,
               job.attempts, ""};
    if (r.verdict == Verdict::Ok) {
      if (!r.suggested_name.empty() && !job.named_by_list) rec.path = job.path = rename_as_suggested(job, r);
      ++ok_;
      bytes_ += r.bytes;
      progress_->add_bytes(r.bytes);
      if (o_.verbose) {
        std::lock_guard lock(print_mutex_);
        out_ << "ok " << job.url << " -> " << job.path << " (" << r.bytes << " bytes)\n";
      }
      record(rec);
    } else {
      rec.error = job.attempts > 1 ? error + " after " + std::to_string(job.attempts) + " attempts" : error;
      fail_record(rec, job.url);
    }
    ++settled_;
    progress_->advance(1, r.verdict != Verdict::Ok);
  }

  const Options& o_;
  std::ostream& out_;
  std::ostream& err_;
  const fs::path root_;
  Scheduler scheduler_;
  std::optional<conc::RateLimiter> rate_;
  TransferOptions transfer_;
  SharedCache cache_;
  std::unique_ptr<Manifest> manifest_;
  std::unique_ptr<conc::Progress> progress_;
  std::mutex names_mutex_;
  NameRegistry names_;  // the planner's, and --content-disposition's renames
  std::mutex jobs_mutex_;
  std::deque<Job> jobs_;  // a deque: the planner adds while workers hold references
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> skipped_{0};
  std::atomic<bool> planning_done_{false};
  std::atomic<std::size_t> ok_{0};
  std::atomic<std::size_t> failed_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::size_t> threads_started_{0};
  std::atomic<bool> manifest_failed_{false};
  std::atomic<std::size_t> settled_{0};  // downloads recorded as ok or failed
  conc::BlockingMeter meter_;
  std::mutex print_mutex_;
  std::atomic<bool> finished_{false};
  std::mutex finish_mutex_;
  std::condition_variable finish_cv_;
};

}  // namespace

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
