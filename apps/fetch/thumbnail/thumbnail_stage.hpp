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
#include <utility>

#include "thumbnail/thumbnail_protocol.hpp"

namespace fetch {

class ThumbnailStage;

// A body's slot in the stage, freed when this is destroyed (or release()d). The stage hands it to
// its Done callback, which may keep it for as long as the body's thumbnail still waits downstream
// (a sample queued for its tar writer), so that the slots bound that queue too.
class BodySlot {
 public:
  BodySlot() = default;
  explicit BodySlot(ThumbnailStage* stage) : stage_(stage) {}
  BodySlot(BodySlot&& other) noexcept : stage_(std::exchange(other.stage_, nullptr)) {}
  BodySlot& operator=(BodySlot&& other) noexcept {
    if (this != &other) {
      release();
      stage_ = std::exchange(other.stage_, nullptr);
    }
    return *this;
  }
  ~BodySlot() { release(); }
  void release();

 private:
  ThumbnailStage* stage_ = nullptr;
};

class ThumbnailStage {
 public:
  struct Settings {
    std::size_t workers = 0;                        // processes; 0: one per core
    std::size_t max_bodies = 64;                    // bodies held at once: downloading, queued or thumbnailed
    std::chrono::milliseconds task_timeout{60000};  // a thumbnail taking longer costs its worker and fails
    std::string task = kThumbnailTask;              // the registered task that makes a thumbnail
  };
  // Called once per submitted body, on the pool's manager thread (so it must never block), with the
  // task's reply or the reason it failed ("worker killed by SIGSEGV"), and the body's slot: freed
  // after it returns unless it moved the slot elsewhere.
  using Done = std::function<void(std::size_t index, conc::Outcome<ThumbnailReply>&&, BodySlot&&)>;

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
