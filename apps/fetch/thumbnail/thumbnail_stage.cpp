#include "thumbnail/thumbnail_stage.hpp"

#include <algorithm>
#include <thread>

namespace fetch {

namespace {

std::size_t workers_for(std::size_t requested) {
  if (requested != 0) return requested;
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

void BodySlot::release() {
  if (stage_ != nullptr) std::exchange(stage_, nullptr)->release();
}

ThumbnailStage::ThumbnailStage(const Settings& settings, Done done)
    : workers_(workers_for(settings.workers)),
      max_bodies_(std::max<std::size_t>(1, settings.max_bodies)),
      task_(settings.task),
      done_(std::move(done)),
      slots_(max_bodies_) {
  conc::ProcessPoolOptions options;
  options.workers = workers_;
  options.task_timeout = settings.task_timeout;
  // A body that crashed its decoder is not tried again: the same bytes crash it again.
  options.retries = 0;
  // Never more tasks than slots: submit() never blocks the download that calls it.
  options.max_in_flight = max_bodies_;
  options.max_batch = 1;
  pool_ = std::make_unique<conc::ProcessPool>(options);
}

ThumbnailStage::~ThumbnailStage() { finish(); }

void ThumbnailStage::held_changed(int delta) {
  std::lock_guard lock(mutex_);
  held_ = delta > 0 ? held_ + 1 : held_ - 1;
  peak_ = std::max(peak_, held_);
}

bool ThumbnailStage::try_acquire() {
  if (!slots_.try_acquire()) return false;
  held_changed(+1);
  return true;
}

bool ThumbnailStage::acquire_for(std::chrono::milliseconds wait) {
  if (!slots_.try_acquire_for(wait)) return false;
  held_changed(+1);
  return true;
}

void ThumbnailStage::release(bool notify) {
  held_changed(-1);
  slots_.release();
  if (!notify) return;
  std::lock_guard lock(slot_free_mutex_);
  if (slot_free_) slot_free_();
}

void ThumbnailStage::on_slot_free(std::function<void()> call) {
  std::lock_guard lock(slot_free_mutex_);
  slot_free_ = std::move(call);
}

void ThumbnailStage::submit(std::size_t index, const ThumbnailRequest& request) {
  conc::Message payload;
  {
    conc::detail::AttachFds attach(payload.fds);
    payload.bytes = conc::encode(request);
  }
  {
    std::lock_guard lock(mutex_);
    ++submitted_;
  }
  auto completion = [this, index](conc::Outcome<conc::Message>&& raw) {
    conc::Outcome<ThumbnailReply> outcome = conc::Error{};
    if (!raw) {
      outcome = raw.error();
    } else {
      try {
        outcome = conc::decode<ThumbnailReply>(raw->bytes);
      } catch (const std::exception& e) {
        outcome = conc::Error{std::string("a malformed reply from the thumbnail worker: ") + e.what(), {}};
      }
    }
    BodySlot slot(this);
    try {
      done_(index, std::move(outcome), std::move(slot));
    } catch (...) {
      // done_ records the body; a failure there is its own to report, and the slot must still free.
    }
    slot.release();  // unless done_ kept it
    std::lock_guard lock(mutex_);
    if (--submitted_ == 0) all_done_.notify_all();
  };
  try {
    pool_->submit_raw(task_, std::move(payload), completion);
  } catch (const std::exception& e) {
    completion(conc::Error{std::string("cannot hand the body to a thumbnail worker: ") + e.what(), {}});
  }
}

void ThumbnailStage::finish() {
  {
    std::unique_lock lock(mutex_);
    if (finished_) return;
    all_done_.wait(lock, [&] { return submitted_ == 0; });
    finished_ = true;
  }
  pool_->shutdown(conc::Shutdown::Drain);
}

std::size_t ThumbnailStage::in_flight() const {
  std::lock_guard lock(mutex_);
  return submitted_;
}

std::size_t ThumbnailStage::peak_held() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

}  // namespace fetch
