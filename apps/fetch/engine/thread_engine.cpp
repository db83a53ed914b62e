// The threads engine: every transfer is one task on conc::ThreadPool. With -j N the pool has N
// threads; with -j auto it sizes itself (Sizing::Auto: towards cores / (1 - measured blocking),
// as far as more threads bring more downloads per second).

#include "run_state.hpp"

namespace fetch {

void Run::download() {
  conc::ThreadPoolOptions options;
  options.max_threads = most_at_once();
  if (o_.jobs == 0) {
    options.sizing = conc::Sizing::Auto;
    options.sample_interval = std::chrono::milliseconds(20);
  }
  conc::ThreadPool pool(options);
  // Grants are taken only while the pool could run them all at once: a grant holds a host slot,
  // and none should wait in the queue behind others while its host could serve another.
  conc::Semaphore room(pool.size());
  const auto look_again = std::chrono::milliseconds(50);  // how soon an interrupt is seen
  while (!scheduler_.done()) {
    if (interrupted) {
      scheduler_.cancel();
      break;
    }
    show_waiting();
    if (!room.try_acquire_for(look_again)) continue;
    // With --thumbnail a transfer also needs room for its body (the bounded hand-off).
    if (thumbnails_ && !thumbnails_->acquire_for(look_again)) {
      room.release();
      continue;
    }
    std::optional<Scheduler::Grant> grant = scheduler_.next_until(Scheduler::Clock::now() + look_again);
    if (!grant) {
      room.release();
      if (thumbnails_) thumbnails_->release();
      continue;
    }
    pool.detach([this, &room, g = std::move(*grant)] {
      transfer(g);
      room.release();
    });
  }
  pool.wait_idle();
  threads_used_ = pool.stats().peak_threads;
}

void Run::transfer(const Scheduler::Grant& grant) {
  // Each pool thread keeps its own easy handle (keep-alive) for as long as it lives; the pool's
  // threads end with this run's download().
  thread_local std::optional<Downloader> downloader;
  thread_local std::mt19937_64 rng(std::random_device{}());
  work_on(
      scheduler_, grant,
      [&](const Scheduler::Grant& g) {
        Job& job = job_at(g.index);
        ++job.attempts;
        ++job.source_attempts;
        if (!downloader) downloader.emplace(transfer_, cache_);
        const AttemptResult r = downloader->attempt(job.request(), root_ / job.path, job.sha256);
        settle(g, r, rng);
        body_slot_done(r);
      },
      [&](const Scheduler::Grant& g, const std::string& reason) {
        AttemptResult r;
        r.verdict = Verdict::Fail;
        r.error = reason;
        settle(g, r, rng);
        body_slot_done(r);
      });
}

}  // namespace fetch
