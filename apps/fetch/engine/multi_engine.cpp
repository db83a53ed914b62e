// The multi engine: one thread running libcurl's socket interface, up to -j transfers at once.

#include "run_state.hpp"

namespace fetch {

void Run::download_multi() {
  const std::size_t most = most_at_once();
  threads_used_ = 1;
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
  // Start whatever the scheduler allows, up to -j at once.
  auto start_ready = [&] {
    while (loop.size() < most) {
      if (thumbnails_ && !thumbnails_->try_acquire()) return;  // every body slot taken: a freed one wakes the loop
      auto grant = scheduler_.try_next();
      if (!grant) {
        if (thumbnails_) thumbnails_->release(false);
        return;
      }
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
      slot->attempt.emplace(transfer_, slot->handle, job.request(), root_ / job.path, job.sha256);
      if (auto early = slot->attempt->start()) {
        slot->attempt.reset();
        settle(slot->grant, *early, rng);
        body_slot_done(*early);
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
    for (const auto due : {scheduler_.next_due(), resume_due()}) {
      if (!due) continue;
      wait = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*due - Clock::now()), std::chrono::milliseconds(0),
                        wait);
    }
    const std::vector<MultiLoop::Finished>& finished = loop.poll(wait);  // valid until the next poll
    show_waiting();
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
      body_slot_done(r);
    }
  }
}

}  // namespace fetch
