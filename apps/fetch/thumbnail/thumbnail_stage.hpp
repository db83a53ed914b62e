#pragma once
// The bounded hand-off from downloads to thumbnail workers. A download takes a slot before its
// body starts and the slot is freed only when that body's thumbnail is finished (or the download
// fails), so at most `max_bodies` bodies are held at any time, however long the list: the
// downloads wait for the workers (backpressure) instead of piling bodies up in memory.

#include <chrono>
#include <conc/outcome.hpp>
#include <conc/process_pool.hpp>
#include <conc/semaphore.hpp>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "thumbnail/thumbnail_protocol.hpp"

namespace fetch {

class ThumbnailStage {
 public:
  struct Settings {
    std::size_t workers = 0;                        // processes; 0: one per core
    std::size_t max_bodies = 64;                    // bodies held at once: downloading, queued or thumbnailed
    std::chrono::milliseconds task_timeout{60000};  // a thumbnail taking longer costs its worker and fails
    std::string task = kThumbnailTask;              // the registered task that makes a thumbnail
  };
  // Called once per submitted body, on the pool's thread, with the task's reply or the reason it
  // failed ("worker killed by SIGSEGV"); the body's slot is freed after it returns.
  using Done = std::function<void(std::size_t index, conc::Outcome<ThumbnailReply>&&)>;

  ThumbnailStage(const Settings& settings, Done done);
  ~ThumbnailStage();  // finish()
  ThumbnailStage(const ThumbnailStage&) = delete;
  ThumbnailStage& operator=(const ThumbnailStage&) = delete;

  // A slot for one body, taken before its download starts: at once, or within `wait`.
  bool try_acquire();
  bool acquire_for(std::chrono::milliseconds wait);
  // Frees the slot of a download that brought no body to submit; `notify`: call the on_slot_free
  // hook (not for a slot taken and given back at once, which would only wake its own loop).
  void release(bool notify = true);
  // Called (from any thread) each time a slot is freed, so that a loop waiting for one can wake;
  // an empty function removes it, after which it is no longer called.
  void on_slot_free(std::function<void()> call);
  // Hands a downloaded body to the workers; its slot (taken before) goes with it.
  void submit(std::size_t index, const ThumbnailRequest& request);
  // Waits until every submitted body is done, then stops the workers. Idempotent.
  void finish();

  std::size_t workers() const noexcept { return workers_; }
  std::size_t max_bodies() const noexcept { return max_bodies_; }
  // Bodies handed to the workers and not yet done.
  std::size_t in_flight() const;
  // The most slots held at once so far (never more than max_bodies()).
  std::size_t peak_held() const;

 private:
  void held_changed(int delta);

  const std::size_t workers_;
  const std::size_t max_bodies_;
  const std::string task_;
  Done done_;
  conc::Semaphore slots_;
  mutable std::mutex mutex_;
  std::condition_variable all_done_;
  std::size_t held_ = 0;
  std::size_t peak_ = 0;
  std::size_t submitted_ = 0;  // handed to the pool and not yet done
  bool finished_ = false;
  std::mutex slot_free_mutex_;
  std::function<void()> slot_free_;
  std::unique_ptr<conc::ProcessPool> pool_;
};

}  // namespace fetch
