// The multi engine: one thread running libcurl's socket interface, up to -j transfers at once
// (-j auto: as many as pay, ConcurrencyRamp).
// Every transfer's connection is in the event loop's one cache, so any handle reuses it; a
// transfer takes the handle that served its host last (HandlePool) for the TLS session that
// handle keeps, and over HTTP/2 waits for a connection it can share as one more stream.

#include "run_state.hpp"

namespace fetch {

void Run::download_multi() {
  const std::size_t most = most_at_once();
  threads_used_ = 1;
  // A finished transfer's handle is back only after the next transfers have started (below): twice
  // as many handles as transfers leave the idle ones to the hosts they served.
  HandlePool handles(transfer_, 2 * most);
  struct Slot {
    std::optional<HandlePool::Lease> handle;
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
  MultiLoop loop(scheduler_.per_host(), scheduler_.per_host() == 0 ? most : std::min(most, scheduler_.per_host()));
  // The connection cache holds every connection in use and one idle per host with work waiting
  // for it (up to --per-host each), as far as the open-file limit allows.
  const std::size_t idle_room = idle_connections_within_open_file_limit(most);
  auto size_cache = [&] { loop.keep_connections(most + std::min(scheduler_.idle_connections(), idle_room)); };
  size_cache();
  // --thumbnail: a thumbnail worker that frees a body slot wakes the loop, which may then start a
  // download; the hook goes before the loop does.
  struct SlotHook {
    ThumbnailStage* stage;
    ~SlotHook() {
      if (stage != nullptr) stage->on_slot_free({});
    }
  } hook{thumbnails_.get()};
  if (thumbnails_) thumbnails_->on_slot_free([&loop] { loop.wake(); });
  std::mt19937_64 rng(std::random_device{}());
  // Transfers paused for the --rate cap go on when it covers them; the soonest such time.
  auto resume_due = [&]() -> std::optional<Clock::time_point> {
    if (!rate_) return std::nullopt;
    std::optional<Clock::time_point> soonest;
    const auto now = Clock::now();
    for (const auto& slot : slots) {
      if (!slot->attempt) continue;
      const auto until = slot->attempt->paused_until();
      if (!until) continue;
      if (*until <= now || interrupted) {
        slot->attempt->resume();  // may pause again at once; when stopping, it ends instead
        continue;
      }
      if (!soonest || *until < *soonest) soonest = until;
    }
    return soonest;
  };
  // -j auto: from kAutoStart at once up to `most`, as far as more at once pays.
  ConcurrencyRamp ramp(o_.jobs == 0 ? kAutoStart : most, most);
  // Start whatever the scheduler allows, up to the limit at once.
  auto start_ready = [&] {
    while (loop.size() < ramp.limit()) {
      if (thumbnails_ && !thumbnails_->try_acquire()) return;  // every body slot taken: a freed one wakes the loop
      auto grant = scheduler_.try_next();
      if (!grant) {
        if (thumbnails_) thumbnails_->release(false);
        return;
      }
      if (idle.empty()) {
        slots.push_back(std::make_unique<Slot>());
        idle.push_back(slots.back().get());
      }
      Slot* slot = idle.back();
      Job& job = job_at(grant->index);
      ++job.attempts;
      ++job.source_attempts;
      slot->grant = std::move(*grant);
      slot->handle.emplace(handles.take(slot->grant.host));
      CURL* easy = slot->handle->get();
      curl_easy_setopt(easy, CURLOPT_PRIVATE, slot);
      slot->attempt.emplace(transfer_, slot->handle->handle(), job.request(), root_ / job.path, job.sha256);
      if (auto early = slot->attempt->start()) {
        slot->attempt.reset();
        slot->handle.reset();
        settle(slot->grant, *early, rng);
        body_slot_done(*early);
        scheduler_.release(slot->grant.host);
        continue;
      }
      loop.add(easy);
      idle.pop_back();
    }
  };
  for (;;) {
    if (interrupted) scheduler_.cancel();
    start_ready();
    ramp.running(loop.size());
    if (loop.size() == 0 && scheduler_.done()) break;
    // Wait for network activity, or at most until the next retry falls due (or, while the list
    // is read, until more work may have come).
    auto wait = std::chrono::milliseconds(planning_done_ ? 1000 : 10);
    for (const auto due : {scheduler_.next_due(), resume_due()}) {
      if (!due) continue;
      wait = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*due - Clock::now()), std::chrono::milliseconds(0),
                        wait);
    }
    const std::vector<MultiLoop::Finished>& finished = loop.poll(wait);  // valid until the next poll
    show_waiting();
    if (finished.empty()) continue;
    ramp.finished(finished.size());
    // The next requests leave before the finished files are checked, renamed and recorded, so
    // that a burst of completions does not hold up the connections it freed.
    for (const MultiLoop::Finished& f : finished) scheduler_.release(slot_of(f.easy)->grant.host);
    size_cache();
    start_ready();
    ramp.running(loop.size());
    loop.kick();
    for (const MultiLoop::Finished& f : finished) {
      Slot* slot = slot_of(f.easy);
      const AttemptResult r = slot->attempt->finish(f.code);
      slot->attempt.reset();
      slot->handle.reset();
      idle.push_back(slot);
      settle(slot->grant, r, rng);
      body_slot_done(r);
    }
  }
}

}  // namespace fetch
