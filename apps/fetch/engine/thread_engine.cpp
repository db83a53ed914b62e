// The threads engine: every transfer is one task on conc::ThreadPool. With -j N the pool has N
// threads; with -j auto it sizes itself (Sizing::Auto: towards cores / (1 - measured blocking),
// as far as more threads bring more downloads per second), within the transfers at once that
// ConcurrencyRamp allows. Each transfer runs on an easy handle
// of the run's HandlePool: the one whose connection its host's last transfer freed, whichever
// thread that was on, so that a thread that retires takes no connection with it.

#include "run_state.hpp"

namespace fetch {

void Run::download() {
  conc::ThreadPoolOptions options;
  options.max_threads = most_at_once();
  if (o_.jobs == 0) {
    options.sizing = conc::Sizing::Auto;
    options.sample_interval = std::chrono::milliseconds(20);
  }
  // Up to twice as many handles as threads, so that a host's handle is rarely taken by another
  // host while it is idle; each holds up to kRemembered connections, within the open-file limit.
  const std::size_t spare = idle_connections_within_open_file_limit(options.max_threads) / HandlePool::kRemembered;
  HandlePool handles(transfer_, options.max_threads + std::min(options.max_threads, spare), &cache_);
  conc::ThreadPool pool(options);
  // -j auto: the transfers at once start at kAutoStart and grow while more at once pay; the pool
  // sizes its threads within that.
  ConcurrencyRamp ramp(o_.jobs == 0 ? kAutoStart : pool.size(), pool.size());
  std::size_t allowed = ramp.limit();
  std::atomic<std::size_t> finished{0};
  std::size_t counted = 0;
  // Grants are taken only while the pool could run them all at once: a grant holds a host slot,
  // and none should wait in the queue behind others while its host could serve another.
  conc::Semaphore room(allowed);
  const auto look_again = std::chrono::milliseconds(50);  // how soon an interrupt is seen
  while (!scheduler_.done()) {
    if (interrupted) {
      scheduler_.cancel();
      break;
    }
    show_waiting();
    if (const std::size_t done = finished.load(std::memory_order_relaxed); done != counted) {
      ramp.finished(done - counted);
      counted = done;
    }
    if (ramp.limit() > allowed) {
      room.release(ramp.limit() - allowed);
      allowed = ramp.limit();
    }
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
    ramp.running(allowed - room.available());
    pool.detach([this, &room, &handles, &finished, g = std::move(*grant)] {
      transfer(g, handles);
      finished.fetch_add(1, std::memory_order_relaxed);
      room.release();
    });
  }
  pool.wait_idle();
  threads_used_ = pool.stats().peak_threads;
}

void Run::transfer(const Scheduler::Grant& grant, HandlePool& handles) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  work_on(
      scheduler_, grant,
      [&](const Scheduler::Grant& g) {
        Job& job = job_at(g.index);
        ++job.attempts;
        ++job.source_attempts;
        AttemptResult r;
        {
          HandlePool::Lease handle = handles.take(g.host);
          Attempt attempt(transfer_, handle.handle(), job.request(), root_ / job.path, job.sha256);
          auto early = attempt.start();
          r = early ? std::move(*early) : attempt.finish(curl_easy_perform(handle.get()));
        }  // the handle is back before the host's slot is: the host's next transfer finds its connection
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
