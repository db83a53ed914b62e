// The threads engine: blocking transfers on the thread pool's workers.

#include "run_state.hpp"

namespace fetch {

void Run::download() {
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

void Run::report_worker_failure(const std::string& reason) {
  {
    std::lock_guard lock(print_mutex_);
    if (progress_) progress_->clear();
    err_ << "error: a download worker stopped: " << reason << "\n" << std::flush;
  }
  ++failed_;
}

void Run::worker() {
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

}  // namespace fetch
