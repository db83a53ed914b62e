#include "conc/process_pool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "conc/fd.hpp"
#include "conc/unhandled.hpp"
#include "frames.hpp"
#include "worker_process.hpp"

namespace conc {

namespace {

using Clock = std::chrono::steady_clock;

// Tasks shorter than this on average are coalesced into batches and prefetched deeper.
constexpr std::chrono::nanoseconds kTinyTask = std::chrono::microseconds(200);
// A worker that dies before saying hello this many times in a row breaks the pool.
constexpr int kMaxStartupFailures = 5;
// A worker that crashed is given this long to finish dying (a core dump) before SIGKILL.
constexpr std::chrono::milliseconds kCrashGrace{2000};
// Where there is no pidfd to say that a worker exited, the loop looks this often.
constexpr std::chrono::milliseconds kReapPoll{10};
// Room for a Task frame's fixed fields and one task's name beside its payload.
constexpr std::size_t kFrameOverhead = 4096;

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return "worker killed by " + (abbrev != nullptr ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig));
  }
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 0) return "worker exited during the task";
    return "worker exited with status " + std::to_string(WEXITSTATUS(status));
  }
  return "worker ended";
}

std::string describe_timeout(std::chrono::milliseconds timeout) {
  char buf[64];
  const double seconds = static_cast<double>(timeout.count()) / 1000.0;
  std::snprintf(buf, sizeof buf, timeout.count() % 1000 == 0 ? "timed out after %.0f s" : "timed out after %.3g s",
                seconds);
  return buf;
}

int ms_until(Clock::time_point when, Clock::time_point now) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

}  // namespace

struct ProcessPool::Impl {
  struct Item {
    std::string name;
    Message payload;  // its descriptors are duplicated for each attempt, kept for a retry
    Completion done;
    unsigned attempts = 0;
    bool isolate = false;  // run alone: it was in a batch whose worker died
    std::uint32_t chunk = 1;
  };
  struct Batch {
    std::uint64_t id;
    std::vector<Item> items;
    bool isolated = false;  // sent alone to a worker with nothing else in flight
  };
  // Why a worker left: its tasks are settled with `cause`, or with its exit status when empty.
  enum class Exit { Retired, Lost };
  struct Worker {
    std::unique_ptr<detail::WorkerProcess> process;
    std::deque<Batch> in_flight;
    Clock::time_point head_started;
    std::uint64_t assigned = 0;  // items sent, for max_tasks_per_child
    bool hello = false;
    bool retiring = false;
    // Set once it leaves the live set:
    std::optional<Exit> exit;
    std::string cause;  // known reason (timeout, malformed frame); empty: from the status
    bool timed_out = false;
    Clock::time_point kill_at{};  // not reaped by then: SIGKILL
    bool killed = false;
  };

  ProcessPoolOptions options;
  std::string executable;
  std::size_t target_workers;
  std::size_t max_in_flight;

  // Shared with submitters.
  mutable std::mutex mutex;
  std::condition_variable space;
  std::deque<Item> intake;
  std::size_t outstanding = 0;  // submitted and not completed
  bool accepting = true;
  std::optional<Shutdown> stop;
  std::vector<pid_t> pids;  // for worker_pids()
  ProcessPoolStats stats;
  std::string broken;  // why the pool cannot run tasks, once it cannot

  // Manager thread only.
  Fd wake;
  std::deque<Item> pending;
  std::vector<std::unique_ptr<Worker>> workers;  // live: may take tasks
  std::vector<std::unique_ptr<Worker>> dying;    // leaving: reaped when they exit
  std::uint64_t next_batch = 1;
  double tiny_ns = -1;  // average item time, EWMA; < 0 unknown
  int startup_failures = 0;
  // Counted by the manager thread before a task's callback runs, so that stats() seen after a
  // task's future is ready counts that task; folded into `stats` once per frame by settle().
  std::atomic<std::uint64_t> unsettled_completed{0};
  std::atomic<std::uint64_t> unsettled_failed{0};
  std::chrono::milliseconds spawn_backoff{0};
  Clock::time_point next_spawn{};
  std::thread manager;

  explicit Impl(ProcessPoolOptions opts) : options(std::move(opts)) {
    executable = options.executable.empty() ? detail::self_executable() : options.executable;
    target_workers = options.workers != 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    max_in_flight = options.max_in_flight != 0 ? options.max_in_flight : 1024 * target_workers;
    if (options.max_batch == 0) options.max_batch = 1;
    options.max_message_bytes = std::clamp<std::size_t>(options.max_message_bytes, kFrameOverhead * 2, UINT32_MAX);
    wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake) throw std::system_error(errno, std::generic_category(), "conc: eventfd");
    manager = std::thread([this] { run_guarded(); });
  }

  void notify() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
  }

  // A completion callback that throws is reported and does not reach the pool.
  static void call(Completion& done, Outcome<Message>&& outcome) noexcept {
    try {
      done(std::move(outcome));
    } catch (...) {
      report_unhandled(std::current_exception(), "a process pool completion");
    }
  }

  std::string refusal(const Item& item) const {
    if (item.payload.bytes.size() + item.name.size() + kFrameOverhead > options.max_message_bytes) {
      return "task payload of " + std::to_string(item.payload.bytes.size()) +
             " bytes is over the pool's message cap of " + std::to_string(options.max_message_bytes) + " bytes";
    }
    if (item.payload.fds.size() > detail::kMaxFrameFds) {
      return "task carries " + std::to_string(item.payload.fds.size()) + " descriptors, more than the " +
             std::to_string(detail::kMaxFrameFds) + " one message can";
    }
    return {};
  }

  // Waits until the bound on tasks in flight allows one more. A completion that submits runs on
  // the manager thread, which alone makes room: it never waits (the bound gives way instead).
  void wait_for_room(std::unique_lock<std::mutex>& lock) {
    if (std::this_thread::get_id() == manager.get_id()) return;
    space.wait(lock, [&] { return outstanding < max_in_flight || !accepting; });
  }

  // Queues items in order, as many at a time as the bound on tasks in flight allows.
  void submit_many(std::vector<Item>& items) {
    std::size_t next = 0;
    while (next < items.size()) {
      std::unique_lock lock(mutex);
      wait_for_room(lock);
      if (!accepting || !broken.empty()) {
        const std::string why = !broken.empty() ? broken : "cancelled: pool shut down";
        lock.unlock();
        for (; next < items.size(); ++next) call(items[next].done, Outcome<Message>(Error{why, {}}));
        return;
      }
      const bool was_empty = intake.empty();
      std::size_t added = 0;
      const std::size_t room = std::min(std::max(max_in_flight, outstanding + 1) - outstanding, items.size() - next);
      std::vector<std::size_t> refused;
      for (std::size_t i = 0; i < room; ++i, ++next) {
        if (!refusal(items[next]).empty()) {
          refused.push_back(next);
          continue;
        }
        intake.push_back(std::move(items[next]));
        ++added;
      }
      outstanding += added;
      lock.unlock();
      for (std::size_t i : refused) call(items[i].done, Outcome<Message>(Error{refusal(items[i]), {}}));
      if (was_empty && added > 0) notify();
    }
  }

  void submit(Item item) {
    if (std::string why = refusal(item); !why.empty()) {
      call(item.done, Outcome<Message>(Error{std::move(why), {}}));
      return;
    }
    std::unique_lock lock(mutex);
    wait_for_room(lock);
    if (!accepting || !broken.empty()) {
      const std::string why = !broken.empty() ? broken : "cancelled: pool shut down";
      lock.unlock();
      call(item.done, Outcome<Message>(Error{why, {}}));
      return;
    }
    ++outstanding;
    const bool was_empty = intake.empty();
    intake.push_back(std::move(item));
    lock.unlock();
    if (was_empty) notify();
  }

  // Runs the item's callback; the counts are settled by settle(), once per frame.
  void complete(Item& item, Outcome<Message>&& outcome) {
    unsettled_completed.fetch_add(1, std::memory_order_relaxed);
    if (!outcome.ok()) unsettled_failed.fetch_add(1, std::memory_order_relaxed);
    call(item.done, std::move(outcome));
    item.done = nullptr;
  }

  void settle() {
    const std::uint64_t completed = unsettled_completed.load(std::memory_order_relaxed);
    if (completed == 0) return;
    {
      // Moved under the lock, so that stats() never counts a task twice or not at all.
      std::lock_guard lock(mutex);
      const std::uint64_t failed = unsettled_failed.load(std::memory_order_relaxed);
      outstanding -= completed;
      stats.completed += completed;
      stats.failed += failed;
      unsettled_completed.fetch_sub(completed, std::memory_order_relaxed);
      unsettled_failed.fetch_sub(failed, std::memory_order_relaxed);
    }
    space.notify_all();
  }

  void fail(Item& item, const std::string& why) { complete(item, Outcome<Message>(Error{why, {}})); }

  // ---- workers -----------------------------------------------------------------------------

  // Starts one worker; on failure, backs off, and when no worker is left fails what waits.
  bool spawn() {
    auto w = std::make_unique<Worker>();
    try {
      w->process = std::make_unique<detail::WorkerProcess>(
          detail::WorkerSpawn{executable, options.worker_stderr == WorkerStderr::Prefix, options.max_message_bytes});
    } catch (const std::system_error& e) {
      spawn_backoff = std::clamp(spawn_backoff * 2, std::chrono::milliseconds(50), std::chrono::milliseconds(5000));
      next_spawn = Clock::now() + spawn_backoff;
      if (workers.empty()) fail_waiting("cannot start a worker: " + std::string(e.what()));
      return false;
    }
    spawn_backoff = std::chrono::milliseconds(0);
    if (!options.initializer.empty()) {
      detail::FrameWriter init(w->process->outbox(), detail::FrameKind::Init);
      init.put_str(options.initializer.name);
      init.put_str(options.initializer.payload);
      init.finish();
    }
    workers.push_back(std::move(w));
    std::lock_guard lock(mutex);
    ++stats.spawned;
    refresh_pids_locked();
    return true;
  }

  void spawn_missing() {
    while (workers.size() < target_workers && !is_broken()) {
      if (!workers.empty() && Clock::now() < next_spawn) return;
      if (!spawn()) return;
    }
  }

  void refresh_pids_locked() {
    pids.clear();
    for (auto& w : workers) pids.push_back(w->process->pid());
  }

  void set_broken(const std::string& why) {
    {
      std::lock_guard lock(mutex);
      if (broken.empty()) broken = why;
    }
    space.notify_all();
  }

  bool is_broken() {
    std::lock_guard lock(mutex);
    return !broken.empty();
  }

  // ---- dispatch ----------------------------------------------------------------------------

  std::size_t batch_size() const {
    if (options.max_batch <= 1 || tiny_ns < 0 || tiny_ns > static_cast<double>(kTinyTask.count())) return 1;
    const std::size_t share = pending.size() / (2 * std::max<std::size_t>(target_workers, 1));
    return std::clamp<std::size_t>(share, 1, options.max_batch);
  }

  std::size_t window() const { return tiny_ns >= 0 && tiny_ns <= static_cast<double>(kTinyTask.count()) ? 8 : 2; }

  void dispatch() {
    if (pending.empty()) return;
    const std::size_t auto_size = batch_size();
    // Each batch goes to the least-loaded worker that may take it, so that work spreads over
    // every worker and a task waits behind another only when all are busy.
    while (!pending.empty()) {
      Worker* best = nullptr;
      for (auto& wp : workers) {
        if (can_take(*wp) && (best == nullptr || wp->in_flight.size() < best->in_flight.size())) best = wp.get();
      }
      if (best == nullptr) break;
      send_batch(*best, auto_size);
    }
  }

  bool can_take(const Worker& w) const {
    if (w.retiring || w.in_flight.size() >= window()) return false;
    // A task under suspicion runs alone on its worker, so that its fate is its own.
    return w.in_flight.empty() || (!pending.front().isolate && !w.in_flight.back().isolated);
  }

  // Sends the next batch from pending to w, which can_take() it.
  void send_batch(Worker& w, std::size_t auto_size) {
    const bool isolated = pending.front().isolate;
    std::size_t limit = isolated ? 1 : std::max<std::size_t>(pending.front().chunk, auto_size);
    if (options.max_tasks_per_child != 0) {
      limit = std::min<std::size_t>(limit, options.max_tasks_per_child - w.assigned);
    }
    Batch batch{next_batch++, {}, isolated};
    batch.items.reserve(limit);
    std::size_t bytes = kFrameOverhead;
    std::size_t fds = 0;
    while (!pending.empty() && batch.items.size() < limit && (batch.items.empty() || !pending.front().isolate)) {
      const Item& next = pending.front();
      const std::size_t size = next.payload.bytes.size() + next.name.size() + 12;
      if (!batch.items.empty() &&
          (bytes + size > options.max_message_bytes || fds + next.payload.fds.size() > detail::kMaxFrameFds)) {
        break;  // the next frame takes it
      }
      bytes += size;
      fds += next.payload.fds.size();
      batch.items.push_back(std::move(pending.front()));
      pending.pop_front();
    }
    std::vector<Fd> copies;
    for (const Item& item : batch.items) {
      for (const Fd& fd : item.payload.fds) {
        Fd copy(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!copy) {
          // Out of descriptors for now: these tasks fail with the reason, the pool goes on.
          const std::string why = "cannot pass the task's descriptors: " + std::string(::strerror(errno));
          for (Item& failed : batch.items) fail(failed, why);
          settle();
          return;
        }
        copies.push_back(std::move(copy));
      }
    }
    w.process->attach(std::move(copies));
    detail::FrameWriter frame(w.process->outbox(), detail::FrameKind::Task);
    frame.put_u64(batch.id);
    frame.put_u32(static_cast<std::uint32_t>(batch.items.size()));
    for (const Item& item : batch.items) {
      frame.put_str(item.name);
      frame.put_str(item.payload.bytes);
      frame.put_u32(static_cast<std::uint32_t>(item.payload.fds.size()));
    }
    frame.finish();
    w.assigned += batch.items.size();
    if (w.in_flight.empty()) w.head_started = Clock::now();
    w.in_flight.push_back(std::move(batch));
    if (options.max_tasks_per_child != 0 && w.assigned >= options.max_tasks_per_child) w.retiring = true;
  }

  // ---- results -----------------------------------------------------------------------------

  // Reads and handles every whole frame; a worker that closed its end or sent a bad frame is lost.
  void read_from(Worker& w) {
    const bool open = w.process->receive();
    if (w.process->lost_fds()) {
      // A result's descriptors were dropped: it cannot be delivered whole.
      lose(w, "the descriptors a result carried were lost: this process is out of descriptors (EMFILE)", true);
      return;
    }
    try {
      while (auto body = w.process->inbox().next()) {
        handle_frame(w, *body);
        if (w.exit) break;
      }
      // Descriptors with no frame to claim them, once no frame is half-read.
      if (!w.exit && !w.process->inbox().partial() && !w.process->received_fds().empty()) {
        throw detail::MalformedFrame("descriptors that no result names");
      }
    } catch (const detail::MalformedFrame& e) {
      lose(w, "worker sent a " + std::string(e.what()), true);
    }
    settle();
    if (!open && !w.exit) lose(w, {}, false);
  }

  void handle_frame(Worker& w, std::string_view body) {
    detail::FrameReader in(body);
    switch (in.kind()) {
      case detail::FrameKind::Hello:
        w.hello = true;
        startup_failures = 0;
        return;
      case detail::FrameKind::InitFailed:
        set_broken("worker initializer failed: " + std::string(in.get_str()));
        return;
      case detail::FrameKind::Result:
        break;
      default:
        throw detail::MalformedFrame("unknown kind");
    }
    detail::ResultFrame result = detail::parse_result(in);
    if (w.in_flight.empty() || w.in_flight.front().id != result.batch ||
        w.in_flight.front().items.size() != result.items.size()) {
      throw detail::MalformedFrame("a result for no task in flight");
    }
    auto& received = w.process->received_fds();
    if (received.size() < result.fds) throw detail::MalformedFrame("descriptors missing");
    Batch batch = std::move(w.in_flight.front());
    w.in_flight.pop_front();
    w.head_started = Clock::now();
    const double per_item =
        static_cast<double>(result.elapsed_ns) / static_cast<double>(std::max<std::size_t>(batch.items.size(), 1));
    tiny_ns = tiny_ns < 0 ? per_item : 0.8 * tiny_ns + 0.2 * per_item;
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
      const auto& r = result.items[i];
      Message message{std::string(r.bytes), {}};  // the one copy out of the frame
      for (std::uint32_t k = 0; k < r.fds; ++k) {
        message.fds.push_back(std::move(received.front()));
        received.pop_front();
      }
      if (r.ok) {
        complete(batch.items[i], Outcome<Message>(std::move(message)));
      } else {
        complete(batch.items[i], Outcome<Message>(Error{std::move(message.bytes), {}}));
      }
    }
  }

  // ---- departures --------------------------------------------------------------------------

  // Marks w lost: with a known cause (timeout, malformed frame) it is killed and its tasks
  // settled now; otherwise (it died) they wait for its exit status. Never blocks.
  void lose(Worker& w, std::string cause, bool kill) {
    if (w.exit) return;
    w.exit = Exit::Lost;
    w.cause = std::move(cause);
    w.process->close_channel();
    if (kill) {
      w.process->kill();
      w.killed = true;
    }
    w.kill_at = Clock::now() + kCrashGrace;
    if (!w.cause.empty()) settle_lost(w, w.cause);
  }

  void retire(Worker& w) {
    w.exit = Exit::Retired;
    w.process->close_channel();  // EOF tells the worker to exit
    w.kill_at = Clock::now() + options.exit_grace;
  }

  // Fails or requeues the tasks of a lost worker. Blame a task only when it was the one task in
  // flight; otherwise rerun each alone.
  void settle_lost(Worker& w, const std::string& cause) {
    if (!w.hello) ++startup_failures;
    {
      std::lock_guard lock(mutex);
      ++stats.worker_deaths;
      if (w.timed_out) ++stats.timeouts;
    }
    std::size_t in_flight = 0;
    for (const Batch& batch : w.in_flight) in_flight += batch.items.size();
    std::deque<Item> back;
    for (Batch& batch : w.in_flight) {
      for (Item& item : batch.items) {
        if (in_flight == 1) {
          if (w.timed_out) {
            fail(item, cause);
            continue;
          }
          if (++item.attempts > options.retries) {
            fail(item, options.retries == 0 ? cause : cause + " (" + std::to_string(item.attempts) + " attempts)");
            continue;
          }
          std::lock_guard lock(mutex);
          ++stats.retried;
        }
        item.isolate = true;
        back.push_back(std::move(item));
      }
    }
    w.in_flight.clear();
    settle();
    pending.insert(pending.begin(), std::make_move_iterator(back.begin()), std::make_move_iterator(back.end()));
    if (startup_failures >= kMaxStartupFailures) set_broken("workers die at startup: " + cause);
  }

  // Moves workers that left (or should leave) from the live set to the dying one.
  void remove_departed() {
    bool changed = false;
    for (auto it = workers.begin(); it != workers.end();) {
      Worker& w = **it;
      if (!w.exit && w.retiring && w.in_flight.empty()) retire(w);
      if (!w.exit) {
        ++it;
        continue;
      }
      dying.push_back(std::move(*it));
      it = workers.erase(it);
      changed = true;
    }
    if (changed) {
      std::lock_guard lock(mutex);
      refresh_pids_locked();
    }
  }

  // Reaps dying workers that have exited and kills those past their grace. Never blocks.
  void reap_dying(Clock::time_point now) {
    for (auto it = dying.begin(); it != dying.end();) {
      Worker& w = **it;
      w.process->forward_stderr(false);
      const std::optional<int> status = w.process->try_reap();
      if (!status) {
        if (!w.killed && now >= w.kill_at) {
          w.process->kill();
          w.killed = true;
        }
        ++it;
        continue;
      }
      w.process->forward_stderr(true);
      if (w.exit == Exit::Lost && w.cause.empty()) settle_lost(w, describe_status(*status));
      it = dying.erase(it);
    }
  }

  void check_timeouts(Clock::time_point now) {
    if (options.task_timeout.count() == 0) return;
    for (auto& wp : workers) {
      Worker& w = *wp;
      if (w.exit || w.in_flight.empty() || now < deadline(w)) continue;
      // With several tasks in flight the hung one is not known yet: they are rerun alone.
      std::size_t in_flight = 0;
      for (const Batch& batch : w.in_flight) in_flight += batch.items.size();
      w.timed_out = in_flight == 1;
      lose(w, describe_timeout(options.task_timeout), true);
    }
  }

  Clock::time_point deadline(const Worker& w) const {
    return w.head_started + options.task_timeout * static_cast<long>(w.in_flight.front().items.size());
  }

  // ---- the loop ----------------------------------------------------------------------------

  // Fails every task not yet sent to a worker.
  void fail_waiting(const std::string& why) {
    std::deque<Item> taken;
    {
      std::lock_guard lock(mutex);
      taken.swap(intake);
    }
    for (Item& item : taken) fail(item, why);
    for (Item& item : pending) fail(item, why);
    pending.clear();
    settle();
  }

  // Whatever goes wrong in the loop itself (poll failing, memory running out) breaks the pool
  // with the reason instead of terminating the program.
  void run_guarded() noexcept {
    try {
      run();
      return;
    } catch (const std::exception& e) {
      set_broken(std::string("process pool failed: ") + e.what());
    } catch (...) {
      set_broken("process pool failed");
    }
    try {
      stop_everything("process pool failed");
    } catch (...) {
      report_unhandled(std::current_exception(), "the process pool's shutdown");
    }
  }

  // Kills every worker, fails every task, reaps.
  void stop_everything(const std::string& why) {
    std::string reason;
    {
      std::lock_guard lock(mutex);
      accepting = false;
      reason = broken.empty() ? why : broken;
    }
    space.notify_all();
    for (auto& w : workers) {
      for (Batch& b : w->in_flight) {
        for (Item& item : b.items) fail(item, reason);
      }
      w->in_flight.clear();
      w->process.reset();  // kills and reaps
    }
    workers.clear();
    for (auto& w : dying) {
      if (w->exit == Exit::Lost && w->cause.empty()) settle_lost(*w, reason);
      w->process.reset();
    }
    dying.clear();
    fail_waiting(reason);
    std::lock_guard lock(mutex);
    pids.clear();
  }

  void run() {
    std::vector<pollfd> fds;
    for (;;) {
      const auto now = Clock::now();
      reap_dying(now);
      remove_departed();
      std::optional<Shutdown> stopping;
      std::string broken_why;
      {
        std::lock_guard lock(mutex);
        pending.insert(pending.end(), std::make_move_iterator(intake.begin()), std::make_move_iterator(intake.end()));
        intake.clear();
        stopping = stop;
        broken_why = broken;
      }
      if (stopping == Shutdown::Cancel) {
        stop_everything("cancelled: pool shut down");
        return;
      }
      if (!broken_why.empty()) fail_waiting(broken_why);
      if (broken_why.empty()) spawn_missing();
      dispatch();
      for (auto& w : workers) {
        if (w->process->has_output() && !w->process->flush()) lose(*w, {}, false);
      }

      // Idle: nothing waits, nothing runs, and no dead worker still holds tasks to settle.
      bool idle = pending.empty();
      for (auto& w : workers) idle = idle && w->in_flight.empty();
      for (auto& w : dying) idle = idle && w->in_flight.empty();
      if ((stopping == Shutdown::Drain || (!broken_why.empty() && stopping.has_value())) && idle) break;

      // Live workers: socket and stderr. Dying ones: exit (pidfd) and stderr.
      fds.clear();
      fds.push_back({wake.get(), POLLIN, 0});
      for (auto& w : workers) {
        fds.push_back(
            {w->process->socket_fd(), static_cast<short>(POLLIN | (w->process->has_output() ? POLLOUT : 0)), 0});
        fds.push_back({w->process->stderr_fd(), POLLIN, 0});
      }
      for (auto& w : dying) {
        fds.push_back({w->process->exit_fd(), POLLIN, 0});
        fds.push_back({w->process->stderr_fd(), POLLIN, 0});
      }
      int timeout_ms = -1;
      auto wait_until = [&](Clock::time_point when) {
        const int ms = ms_until(when, now);
        timeout_ms = timeout_ms < 0 ? ms : std::min(timeout_ms, ms);
      };
      if (options.task_timeout.count() != 0) {
        for (auto& w : workers) {
          if (!w->in_flight.empty()) wait_until(deadline(*w));
        }
      }
      for (auto& w : dying) {
        if (!w->killed) wait_until(w->kill_at);
        if (w->process->exit_fd() < 0) wait_until(now + kReapPoll);
      }
      if (workers.size() < target_workers && !workers.empty()) wait_until(next_spawn);
      if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "poll");
      }
      if (fds[0].revents & POLLIN) {
        std::uint64_t count;
        [[maybe_unused]] auto n = ::read(wake.get(), &count, sizeof count);
      }
      for (std::size_t i = 0; i < workers.size(); ++i) {
        Worker& w = *workers[i];
        const short sock_events = fds[1 + 2 * i].revents;
        const short err_events = fds[2 + 2 * i].revents;
        if (err_events != 0) w.process->forward_stderr(false);
        if (w.exit) continue;
        if (sock_events & (POLLIN | POLLHUP | POLLERR)) read_from(w);
        if (!w.exit && (sock_events & POLLOUT) && !w.process->flush()) lose(w, {}, false);
      }
      check_timeouts(Clock::now());
    }
    // Drained: every worker is asked to exit, and reaped (killed after exit_grace).
    for (auto& w : workers) retire(*w);
    std::move(workers.begin(), workers.end(), std::back_inserter(dying));
    workers.clear();
    {
      std::lock_guard lock(mutex);
      pids.clear();
    }
    while (!dying.empty()) {
      const auto now = Clock::now();
      reap_dying(now);
      if (dying.empty()) break;
      fds.clear();
      int timeout_ms = static_cast<int>(kReapPoll.count());
      for (auto& w : dying) {
        fds.push_back({w->process->exit_fd(), POLLIN, 0});
        fds.push_back({w->process->stderr_fd(), POLLIN, 0});
        if (!w->killed) timeout_ms = std::min(timeout_ms, ms_until(w->kill_at, now));
      }
      ::poll(fds.data(), fds.size(), timeout_ms);
    }
  }
};

ProcessPool::ProcessPool(ProcessPoolOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ProcessPool::~ProcessPool() { shutdown(Shutdown::Drain); }

void ProcessPool::submit_raw(std::string name, Message payload, Completion done, std::uint32_t chunk) {
  impl_->submit(Impl::Item{std::move(name), std::move(payload), std::move(done), 0, false, chunk == 0 ? 1 : chunk});
}

void ProcessPool::submit_raw_many(const std::string& name, std::vector<Message>&& payloads,
                                  std::vector<Completion>&& done, std::uint32_t chunk) {
  std::vector<Impl::Item> items;
  items.reserve(payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    items.push_back(Impl::Item{name, std::move(payloads[i]), std::move(done[i]), 0, false, chunk == 0 ? 1 : chunk});
  }
  impl_->submit_many(items);
}

Future<std::string> ProcessPool::submit_raw(std::string name, std::string payload) {
  auto promise = std::make_shared<Promise<std::string>>();
  Future<std::string> future = promise->get_future();
  submit_raw(std::move(name), std::move(payload), [promise](Outcome<Message>&& outcome) {
    if (outcome) {
      promise->set_value(std::move(outcome->bytes));
    } else {
      promise->set_exception(std::make_exception_ptr(TaskError(outcome.error())));
    }
  });
  return future;
}

void ProcessPool::shutdown(Shutdown mode) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->accepting = false;
    if (!impl_->stop.has_value() || mode == Shutdown::Cancel) impl_->stop = mode;
  }
  impl_->space.notify_all();
  impl_->notify();
  if (impl_->manager.joinable()) impl_->manager.join();
}

std::size_t ProcessPool::size() const noexcept { return impl_->target_workers; }

std::size_t ProcessPool::in_flight_limit() const noexcept { return impl_->max_in_flight; }

std::vector<pid_t> ProcessPool::worker_pids() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->pids;
}

ProcessPoolStats ProcessPool::stats() const {
  std::lock_guard lock(impl_->mutex);
  ProcessPoolStats s = impl_->stats;
  s.completed += impl_->unsettled_completed.load(std::memory_order_relaxed);
  s.failed += impl_->unsettled_failed.load(std::memory_order_relaxed);
  s.workers = impl_->pids.size();
  return s;
}

}  // namespace conc
