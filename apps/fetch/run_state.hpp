#pragma once
// Inside a conc-fetch run: class Run, the state its parts share, and where each part lives.
//   run.cpp                     the run: folder lock, manifest, planner thread, engine, summary, signals
//   plan/planner.cpp            a list entry becomes a name, a skip, or a job for the scheduler
//   engine/thread_engine.cpp    the threads engine: a thread-pool task per transfer
//   engine/multi_engine.cpp     the multi engine: one event loop (engine/multi_loop.cpp) for every transfer
//   store/settle.cpp            what follows an attempt: a retry, or a manifest line; every line said
//   thumbnail/thumbnail_run.cpp --thumbnail: bodies handed to the workers, thumbnails and tars recorded

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <conc/progress.hpp>
#include <conc/semaphore.hpp>
#include <conc/sizing.hpp>
#include <conc/thread_pool.hpp>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "cli/options.hpp"
#include "engine/attempt.hpp"
#include "engine/concurrency_ramp.hpp"
#include "engine/handle_pool.hpp"
#include "engine/multi_loop.hpp"
#include "engine/open_files.hpp"
#include "engine/scheduler.hpp"
#include "engine/shared_trust_store.hpp"
#include "engine/wait_status.hpp"
#include "plan/names.hpp"
#include "plan/url_list.hpp"
#include "store/folder_lock.hpp"
#include "store/manifest.hpp"
#include "store/run_stats.hpp"
#include "store/temporaries_token.hpp"
#include "thumbnail/thumbnail_stage.hpp"
#include "thumbnail/thumbnail_tars.hpp"

namespace fetch {

namespace fs = std::filesystem;

using Clock = std::chrono::steady_clock;

// Set by SIGINT or SIGTERM: the run stops starting transfers, ends those running and keeps their parts.
extern std::atomic<bool> interrupted;
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");
inline constexpr const char* kManifestName = ".conc-fetch.jsonl";
// -j auto's ceiling. The threads engine's pool sizes itself below it (Sizing::Auto). The multi engine
// may run this many at once: its transfers cost no thread, and what bounds their use is the one
// core that serves them all. That core completes about 8,000-11,000 small transfers a second
// (90-120 us of CPU each, docs/BENCHMARKS.md, W1), so at a 50 ms response time 400-550 transfers
// keep it busy (Little's law: rate x time); more at once only wait for the loop, fewer leave it
// idle. Slower servers would gain from more: -j N says so. The open-file limit caps both
// (most_at_once).
inline constexpr std::size_t kMaxAutoThreads = 512;
// Where -j auto starts, in both engines: this many transfers at once, growing towards
// kMaxAutoThreads while more at once finish more a second (ConcurrencyRamp). Every transfer past
// what pays costs a connection, and over TLS a handshake (about 1 ms of a core), for nothing.
inline constexpr std::size_t kAutoStart = 256;
inline constexpr std::chrono::seconds kLongWait{5};  // retry waits at least this long are said without -v
// The planner keeps at most this many URLs that could start (planned, not done, neither held back by
// a busy host nor waiting for a retry) ahead of the downloads: a long list is never held whole, and
// a list sorted by host still reaches the other hosts.
inline constexpr std::size_t kPlannedAhead = 1024;

struct Job {
  std::string url;           // as listed, credentials redacted: the manifest's key and what messages name
  std::vector<Url> sources;  // the URL as requested, then any mirrors
  std::string path;          // relative to the output folder
  std::string sha256;
  unsigned attempts = 0;         // in all
  std::size_t source = 0;        // the one being tried
  unsigned source_attempts = 0;  // at sources[source]
  std::string failed_sources;    // what the ones before it said
  bool named_by_list = false;    // out= given: never renamed after the server's Content-Disposition
  std::size_t line = 0;          // in the list; --output-format webdataset's sample key
  std::string original;          // --thumbnail --keep-originals: where the body is kept, relative
  long http_status = 0;          // --thumbnail: of the download whose body is being thumbnailed
  std::uint64_t body_bytes = 0;
  std::uint64_t resumed_from = 0;      // the byte where the part was first continued (Record::resumed_from)
  std::string resume_check;            // and what vouched for it
  std::optional<std::string> caption;  // a table's row: its caption and saved columns, until it is recorded
  std::string columns;
  const std::string& request() const { return sources[source].text; }
  // A record of this job with its row's columns (and no path yet).
  Record record(std::string status, std::string error = {}) const {
    Record r{url, "", std::move(status), http_status, body_bytes, "", attempts, std::move(error)};
    r.caption = caption;
    r.columns = columns;
    return r;
  }
};

// One run: the list planned into jobs, downloaded by one engine, each attempt settled.
class Run {
 public:
  Run(const Options& o, std::ostream& out, std::ostream& err)
      : o_(o),
        out_(out),
        err_(err),
        root_(fs::absolute(o.out)),
        scheduler_(o.per_host),
        trust_store_(o.transfer.trust.file, o.transfer.trust.folder) {
    if (o.rate > 0) rate_.emplace(o.rate);
    transfer_ = o.transfer;
    transfer_.rate = rate_ ? &*rate_ : nullptr;
    transfer_.rate_pauses = o.engine == Engine::Multi;
    transfer_.multiplex = o.engine == Engine::Multi;
    transfer_.shared_trust = &trust_store_;
    transfer_.stop = &interrupted;
    transfer_.stalls = &stalls_;
    transfer_.to_memory = o.thumbnail.enabled;
  }

  int go(std::istream& list_in);

 private:
  struct Planner {
    std::set<fs::path> folders;  // created already; where the run's temporaries may be
  };

  // The manifest of a run of the whole list (no shard) or of one shard.
  fs::path manifest_file(const std::optional<common::Shard>& shard) const;

  // What runs of the whole list or of other shards recorded in the manifest's folder (a shard of
  // the same count records only its own URLs, and is not read).
  void read_other_manifests();

  // Whether the entry is this run's: its URL's (or host's) shard, or every entry without --shard.
  bool mine(const ListEntry& e) const;

  // One list entry: its name, its folder, skipped if done before, or a job for the scheduler.
  void plan(const ListEntry& e, Planner& planner);
  // Waits (on the planning thread) while the planner is kPlannedAhead URLs ahead of the downloads.
  void keep_pace();

  // A file recorded as done counts only while it is what was recorded: its size, and with
  // --verify its SHA-256 (when one was recorded). Otherwise it is said and downloaded again.
  bool still_as_recorded(const fs::path& target, const Record& before, const std::string& url);

  // One line on stderr, from any thread.
  void say(const std::string& line);

  // Puts what the run waits for (wait_status) on the progress line; called by the engine's own
  // thread as it goes round, acting at most a few times a second.
  void show_waiting();
  // Sets one part of the progress line's status (stages_text_ or wait_text_) and redraws it.
  void show_status(std::string Run::*part, std::string text);

  // With --content-disposition: the finished file takes the server's name, in the same folder,
  // made unique against this run's names and the files already there.
  std::string rename_as_suggested(const Job& job, const AttemptResult& r);

  // --thumbnail (thumbnail_run.cpp). Job::path is then the thumbnail's stem: the thumbnail is
  // STEM.jpg, .png or .webp, as its format turns out.
  bool thumbnailing() const { return o_.thumbnail.enabled; }
  // Claims the stem of the thumbnail of a download that would be named `relative`.
  std::string claim_thumbnail_stem(const std::string& relative);
  // The thumbnail recorded as done for url at stem (and, with --keep-originals, its original) is there.
  bool thumbnail_done_before(const std::string& url, const std::string& stem);
  void start_thumbnails();
  // Takes a download's whole body (in memory) on to the thumbnail workers, unless its response opted
  // out (then recorded as such).
  void hand_off(std::size_t index, const AttemptResult& r);
  // A URL settled without a thumbnail and without failing (opted-out, filtered): said with -v, recorded.
  void refuse(std::size_t index, Record rec, const ThumbnailFacts* facts);
  // The engines free a body's slot when the attempt brought no body to hand off.
  void body_slot_done(const AttemptResult& r) {
    if (thumbnails_ && !(r.verdict == Verdict::Ok && r.body)) thumbnails_->release();
  }
  // On the thumbnail pool's manager thread: never blocks. A sample for a tar takes the body's slot
  // with it to the tar writer.
  void thumbnail_done(std::size_t index, conc::Outcome<ThumbnailReply>&& outcome, BodySlot&& slot);
  // --output-format webdataset: the samples of a tar, recorded once it is complete (or failed if lost).
  void tar_settled(std::vector<ThumbnailTars::Pending>&& samples, const std::string& tar, const std::string& error);
  void update_thumbnail_status();
  // Waits for the thumbnails in flight, then writes OUT/stats.json.
  void finish_thumbnails(Clock::time_point start);

  // The job with that index; safe while the planner adds more.
  Job& job_at(std::size_t index);
  // A job whose URL is recorded for good is freed, so that a long list costs no memory per URL done:
  // nothing may touch it after this.
  void job_done(std::size_t index);

  // One line on stderr and one in the manifest; callable from any worker.
  void fail_record(const Record& r, const std::string& where, const ThumbnailFacts* thumbnail = nullptr);

  // The manifest line of r; a line that cannot be written is said, and the run fails.
  void record(const Record& r, const ThumbnailFacts* thumbnail = nullptr);

  // The most transfers the engine may run at once: -j, or for -j auto kMaxAutoThreads, and never more
  // than the open-file limit allows (a -j above it is said and lowered).
  std::size_t most_at_once();

  // The threads engine: a task on the thread pool per transfer; -j auto lets the pool size itself.
  void download();

  // One transfer of the threads engine, on a pool thread, on an easy handle from `handles`.
  void transfer(const Scheduler::Grant& grant, HandlePool& handles);

  // The multi engine: one thread, one event loop, up to -j transfers at once.
  void download_multi();

  // What follows an attempt: a retry scheduled, or the URL recorded as done or failed. The caller
  // releases the grant's host slot (the threads engine after this, so that a retry is queued before
  // the scheduler can see nothing left; the single-threaded event loop before).
  void settle(const Scheduler::Grant& grant, const AttemptResult& r, std::mt19937_64& rng);

  // Removes what killed runs of this root (and shard) left half-written in the folders this run
  // used, once nothing of this run is writing any more.
  void remove_stale_temporaries();

  const Options& o_;
  std::ostream& out_;
  std::ostream& err_;
  const fs::path root_;
  std::optional<common::Temporaries> temporaries_;  // the output root's (store/temporaries_token.hpp)
  Planner planner_;                                 // the planning thread's, until it ends
  Scheduler scheduler_;
  std::optional<conc::RateLimiter> rate_;
  Stalls stalls_;                 // before transfer_, which points at it
  SharedTrustStore trust_store_;  // before transfer_, which points at it
  TransferOptions transfer_;
  SharedCache cache_;
  std::unique_ptr<Manifest> manifest_;
  std::unique_ptr<conc::Progress> progress_;
  std::mutex names_mutex_;
  NameRegistry names_;  // the planner's, and --content-disposition's renames
  std::mutex jobs_mutex_;
  std::deque<std::unique_ptr<Job>> jobs_;  // null once done (job_done)
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> jobs_done_{0};    // jobs freed by job_done()
  std::atomic<bool> engine_stopped_{false};  // the planner then waits for nothing
  std::mutex pace_mutex_;
  std::condition_variable pace_;  // a job is done
  std::atomic<std::size_t> skipped_{0};
  std::atomic<bool> planning_done_{false};
  std::atomic<std::size_t> ok_{0};
  std::atomic<std::size_t> failed_{0};
  std::atomic<std::size_t> opted_out_{0};   // --thumbnail: not kept, as an X-Robots-Tag asked
  std::atomic<std::size_t> filtered_{0};    // --thumbnail: refused by a filter
  std::atomic<bool> list_unusable_{false};  // a table whose header lacks a named column
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::size_t> threads_used_{0};  // the most threads (or transfers, multi) at once
  std::atomic<bool> manifest_failed_{false};
  std::atomic<std::size_t> settled_{0};  // downloads recorded as ok or failed
  std::mutex print_mutex_;
  std::unique_ptr<ThumbnailStage> thumbnails_;  // with --thumbnail
  std::unique_ptr<ThumbnailTars> tars_;         // with --output-format webdataset
  std::atomic<std::size_t> thumbnailed_{0};     // thumbnails made (recorded as ok once written)
  RunStats stats_;
  std::atomic<std::size_t> handed_off_{0};  // bodies given to the thumbnail workers
  Clock::time_point status_shown_{};        // by show_waiting(), on the engine's thread
  // The progress line's status: the stages (with --thumbnail) and what the run waits for.
  std::mutex status_mutex_;
  std::string stages_text_;
  std::string wait_text_;
};

}  // namespace fetch
