#include "conc/process_pool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "conc/fd.hpp"
#include "frames.hpp"

extern char** environ;

namespace conc {

namespace {

using Clock = std::chrono::steady_clock;

// Tasks shorter than this on average are coalesced into batches and prefetched deeper.
constexpr std::chrono::nanoseconds kTinyTask = std::chrono::microseconds(200);
// A worker that dies before saying hello this many times in a row breaks the pool.
constexpr int kMaxStartupFailures = 5;

std::string self_executable() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::system_error(errno, std::generic_category(), "conc: readlink /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

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

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reaps pid, waiting up to `grace` for it to exit before killing it.
int reap(pid_t pid, std::chrono::milliseconds grace) {
  int status = 0;
  const auto deadline = Clock::now() + grace;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

struct ProcessPool::Impl {
  struct Item {
    std::string name;
    std::string payload;
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
  struct Worker {
    pid_t pid = -1;
    Fd sock;
    Fd err;
    std::string rbuf;
    std::string wbuf;
    std::size_t wpos = 0;
    std::string err_line;
    std::deque<Batch> in_flight;
    Clock::time_point head_started;
    std::uint64_t assigned = 0;  // items sent, for max_tasks_per_child
    bool hello = false;
    bool retiring = false;
    bool dead = false;
    bool timed_out = false;
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
  std::vector<std::unique_ptr<Worker>> workers;
  std::uint64_t next_batch = 1;
  double tiny_ns = -1;  // average item time, EWMA; < 0 unknown
  int startup_failures = 0;
  std::uint64_t unsettled_completed = 0;
  std::uint64_t unsettled_failed = 0;
  std::thread manager;

  explicit Impl(ProcessPoolOptions opts) : options(std::move(opts)) {
    executable = options.executable.empty() ? self_executable() : options.executable;
    target_workers = options.workers != 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    max_in_flight = options.max_in_flight != 0 ? options.max_in_flight : 1024 * target_workers;
    if (options.max_batch == 0) options.max_batch = 1;
    wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake) throw std::system_error(errno, std::generic_category(), "conc: eventfd");
    manager = std::thread([this] { run(); });
  }

  void notify() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
  }

  // Queues items in order, as many at a time as the bound on tasks in flight allows.
  void submit_many(std::vector<Item>& items) {
    std::size_t next = 0;
    while (next < items.size()) {
      std::unique_lock lock(mutex);
      space.wait(lock, [&] { return outstanding < max_in_flight || !accepting; });
      if (!accepting || !broken.empty()) {
        const std::string why = !broken.empty() ? broken : "cancelled: pool shut down";
        lock.unlock();
        for (; next < items.size(); ++next) items[next].done(Outcome<std::string>(Error{why, {}}));
        return;
      }
      const bool was_empty = intake.empty();
      const std::size_t room = std::min(max_in_flight - outstanding, items.size() - next);
      for (std::size_t i = 0; i < room; ++i) intake.push_back(std::move(items[next++]));
      outstanding += room;
      lock.unlock();
      if (was_empty) notify();
    }
  }

  void submit(Item item) {
    std::unique_lock lock(mutex);
    space.wait(lock, [&] { return outstanding < max_in_flight || !accepting; });
    if (!accepting || !broken.empty()) {
      const std::string why = !broken.empty() ? broken : "cancelled: pool shut down";
      lock.unlock();
      item.done(Outcome<std::string>(Error{why, {}}));
      return;
    }
    ++outstanding;
    const bool was_empty = intake.empty();
    intake.push_back(std::move(item));
    lock.unlock();
    if (was_empty) notify();
  }

  // Runs the item's callback; the counts are settled by settle(), once per frame.
  void complete(Item& item, Outcome<std::string>&& outcome) {
    ++unsettled_completed;
    if (!outcome.ok()) ++unsettled_failed;
    item.done(std::move(outcome));
    item.done = nullptr;
  }

  void settle() {
    if (unsettled_completed == 0) return;
    {
      std::lock_guard lock(mutex);
      outstanding -= unsettled_completed;
      stats.completed += unsettled_completed;
      stats.failed += unsettled_failed;
    }
    unsettled_completed = 0;
    unsettled_failed = 0;
    space.notify_all();
  }

  void fail(Item& item, const std::string& why) { complete(item, Outcome<std::string>(Error{why, {}})); }

  // ---- workers -----------------------------------------------------------------------------

  void spawn() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      set_broken("cannot start a worker: socketpair: " + std::string(::strerror(errno)));
      return;
    }
    Fd parent_end(sv[0]);
    Fd child_end(sv[1]);
    Fd err_read;
    Fd err_write;
    if (options.worker_stderr == WorkerStderr::Prefix) {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) {
        set_broken("cannot start a worker: pipe: " + std::string(::strerror(errno)));
        return;
      }
      err_read.reset(p[0]);
      err_write.reset(p[1]);
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, child_end.get(), 3);
    if (err_write) posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    // Own process group: a Ctrl-C meant for the program reaches the pool, which stops its workers.
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    const std::string parent_pid = std::to_string(::getpid());
    std::string exe = executable;
    std::string flag = "--conc-worker";
    std::string fd = "3";
    std::string ppid = parent_pid;
    char* argv[] = {exe.data(), flag.data(), fd.data(), ppid.data(), nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, executable.c_str(), &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      set_broken("cannot start a worker (" + executable + "): " + std::string(::strerror(rc)));
      return;
    }

    auto w = std::make_unique<Worker>();
    w->pid = pid;
    w->sock = std::move(parent_end);
    set_nonblocking(w->sock.get());
    if (err_read) {
      w->err = std::move(err_read);
      set_nonblocking(w->err.get());
    }
    if (!options.initializer.empty()) {
      detail::FrameWriter init(w->wbuf, detail::FrameKind::Init);
      init.put_str(options.initializer.name);
      init.put_str(options.initializer.payload);
      init.finish();
    }
    workers.push_back(std::move(w));
    std::lock_guard lock(mutex);
    ++stats.spawned;
    refresh_pids_locked();
  }

  void refresh_pids_locked() {
    pids.clear();
    for (auto& w : workers) pids.push_back(w->pid);
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

  std::size_t live_workers() const {
    std::size_t n = 0;
    for (auto& w : workers) n += (!w->retiring && !w->dead) ? 1 : 0;
    return n;
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
    if (w.dead || w.retiring || w.in_flight.size() >= window()) return false;
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
    while (!pending.empty() && batch.items.size() < limit && (batch.items.empty() || !pending.front().isolate)) {
      batch.items.push_back(std::move(pending.front()));
      pending.pop_front();
    }
    detail::FrameWriter frame(w.wbuf, detail::FrameKind::Task);
    frame.put_u64(batch.id);
    frame.put_u32(static_cast<std::uint32_t>(batch.items.size()));
    for (const Item& item : batch.items) {
      frame.put_str(item.name);
      frame.put_str(item.payload);
    }
    frame.finish();
    w.assigned += batch.items.size();
    if (w.in_flight.empty()) w.head_started = Clock::now();
    w.in_flight.push_back(std::move(batch));
    if (options.max_tasks_per_child != 0 && w.assigned >= options.max_tasks_per_child) w.retiring = true;
  }

  void flush(Worker& w) {
    while (w.wpos < w.wbuf.size()) {
      const ssize_t n = ::send(w.sock.get(), w.wbuf.data() + w.wpos, w.wbuf.size() - w.wpos, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) w.dead = true;  // EPIPE: it died; the read side tells how
        break;
      }
      w.wpos += static_cast<std::size_t>(n);
    }
    if (w.wpos == w.wbuf.size()) {
      w.wbuf.clear();
      w.wpos = 0;
    }
  }

  // ---- results -----------------------------------------------------------------------------

  void read_from(Worker& w) {
    char chunk[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(w.sock.get(), chunk, sizeof chunk);
      if (n > 0) {
        w.rbuf.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) w.dead = true;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) w.dead = true;
      break;
    }
    std::size_t pos = 0;
    std::string_view body;
    while (detail::next_frame(w.rbuf, pos, body)) handle_frame(w, body);
    w.rbuf.erase(0, pos);
    settle();
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
        w.dead = true;
        return;
    }
    const std::uint64_t id = in.get_u64();
    const std::uint64_t elapsed_ns = in.get_u64();
    const std::uint32_t count = in.get_u32();
    if (w.in_flight.empty() || w.in_flight.front().id != id || w.in_flight.front().items.size() != count) {
      w.dead = true;  // a worker out of step cannot be trusted with more work
      return;
    }
    Batch batch = std::move(w.in_flight.front());
    w.in_flight.pop_front();
    w.head_started = Clock::now();
    const double per_item = static_cast<double>(elapsed_ns) / std::max<std::uint32_t>(count, 1);
    tiny_ns = tiny_ns < 0 ? per_item : 0.8 * tiny_ns + 0.2 * per_item;
    for (Item& item : batch.items) {
      const bool ok = in.get_u8() != 0;
      const std::string_view bytes = in.get_str();
      if (ok) {
        complete(item, Outcome<std::string>(std::string(bytes)));  // the one copy out of the frame
      } else {
        complete(item, Outcome<std::string>(Error{std::string(bytes), {}}));
      }
    }
  }

  void forward_stderr(Worker& w, bool eof) {
    if (!w.err) return;
    char chunk[16 * 1024];
    for (;;) {
      const ssize_t n = ::read(w.err.get(), chunk, sizeof chunk);
      if (n > 0) {
        w.err_line.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) eof = true;
      break;
    }
    std::string out;
    const std::string prefix = "[worker " + std::to_string(w.pid) + "] ";
    std::size_t start = 0;
    for (std::size_t nl; (nl = w.err_line.find('\n', start)) != std::string::npos; start = nl + 1) {
      out += prefix;
      out.append(w.err_line, start, nl + 1 - start);
    }
    w.err_line.erase(0, start);
    if (eof && !w.err_line.empty()) {
      out += prefix + w.err_line + "\n";
      w.err_line.clear();
    }
    if (!out.empty()) {
      [[maybe_unused]] auto written = ::write(STDERR_FILENO, out.data(), out.size());
    }
    if (eof) w.err.reset();
  }

  // ---- deaths ------------------------------------------------------------------------------

  void bury(Worker& w) {
    forward_stderr(w, false);
    w.sock.reset();
    const int status = reap(w.pid, std::chrono::milliseconds(w.timed_out ? 0 : 2000));
    forward_stderr(w, true);
    const std::string cause = w.timed_out ? describe_timeout(options.task_timeout) : describe_status(status);
    if (!w.hello) ++startup_failures;
    {
      std::lock_guard lock(mutex);
      ++stats.worker_deaths;
      if (w.timed_out) ++stats.timeouts;
    }
    // Blame a task only when it was the one task in flight; otherwise rerun each alone.
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

  void retire(Worker& w) {
    w.sock.reset();  // EOF tells the worker to exit
    reap(w.pid, std::chrono::milliseconds(5000));
    forward_stderr(w, true);
  }

  void remove_finished_workers() {
    bool changed = false;
    for (auto it = workers.begin(); it != workers.end();) {
      Worker& w = **it;
      if (w.dead) {
        bury(w);
      } else if (w.retiring && w.in_flight.empty()) {
        retire(w);
      } else {
        ++it;
        continue;
      }
      it = workers.erase(it);
      changed = true;
    }
    if (changed) {
      std::lock_guard lock(mutex);
      refresh_pids_locked();
    }
  }

  void check_timeouts(Clock::time_point now) {
    if (options.task_timeout.count() == 0) return;
    for (auto& wp : workers) {
      Worker& w = *wp;
      if (w.dead || w.in_flight.empty()) continue;
      if (now >= deadline(w)) {
        ::kill(w.pid, SIGKILL);
        // With several tasks in flight the hung one is not known yet: bury() reruns them alone.
        std::size_t in_flight = 0;
        for (const Batch& batch : w.in_flight) in_flight += batch.items.size();
        w.timed_out = in_flight == 1;
        w.dead = true;
      }
    }
  }

  Clock::time_point deadline(const Worker& w) const {
    return w.head_started + options.task_timeout * static_cast<long>(w.in_flight.front().items.size());
  }

  // ---- the loop ----------------------------------------------------------------------------

  void fail_everything(const std::string& why) {
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

  void run() {
    std::vector<pollfd> fds;
    for (;;) {
      remove_finished_workers();
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
        for (auto& w : workers) ::kill(w->pid, SIGKILL);
        for (auto& w : workers) {
          w->sock.reset();
          reap(w->pid, std::chrono::milliseconds(0));
          forward_stderr(*w, true);
          for (Batch& b : w->in_flight) {
            for (Item& item : b.items) fail(item, "cancelled: pool shut down");
          }
        }
        settle();
        workers.clear();
        fail_everything("cancelled: pool shut down");
        break;
      }
      if (!broken_why.empty()) fail_everything(broken_why);
      if (broken_why.empty()) {
        while (live_workers() < target_workers && !is_broken()) spawn();
      }
      dispatch();
      for (auto& w : workers) {
        if (!w->wbuf.empty()) flush(*w);
      }

      bool idle = pending.empty();
      for (auto& w : workers) idle = idle && w->in_flight.empty();
      if (stopping == Shutdown::Drain && idle) break;
      if (!broken_why.empty() && idle && stopping.has_value()) break;

      fds.clear();
      fds.push_back({wake.get(), POLLIN, 0});
      for (auto& w : workers) {
        fds.push_back({w->sock.get(), static_cast<short>(POLLIN | (w->wbuf.empty() ? 0 : POLLOUT)), 0});
        fds.push_back({w->err ? w->err.get() : -1, POLLIN, 0});
      }
      int timeout_ms = -1;
      if (options.task_timeout.count() != 0) {
        const auto now = Clock::now();
        for (auto& w : workers) {
          if (w->in_flight.empty()) continue;
          const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline(*w) - now).count();
          const int ms = static_cast<int>(std::clamp<long long>(left, 0, 60'000));
          timeout_ms = timeout_ms < 0 ? ms : std::min(timeout_ms, ms);
        }
      }
      const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
      if (ready < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "conc: poll");
      if (fds[0].revents & POLLIN) {
        std::uint64_t count;
        [[maybe_unused]] auto n = ::read(wake.get(), &count, sizeof count);
      }
      for (std::size_t i = 0; i < workers.size(); ++i) {
        Worker& w = *workers[i];
        const short sock_events = fds[1 + 2 * i].revents;
        const short err_events = fds[2 + 2 * i].revents;
        if (err_events != 0) forward_stderr(w, false);
        if (sock_events & (POLLIN | POLLHUP | POLLERR)) read_from(w);
        if (sock_events & POLLOUT) flush(w);
      }
      check_timeouts(Clock::now());
    }
    for (auto& w : workers) w->sock.reset();
    for (auto& w : workers) {
      reap(w->pid, std::chrono::milliseconds(5000));
      forward_stderr(*w, true);
    }
    workers.clear();
    std::lock_guard lock(mutex);
    pids.clear();
  }
};

ProcessPool::ProcessPool(ProcessPoolOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ProcessPool::~ProcessPool() { shutdown(Shutdown::Drain); }

void ProcessPool::submit_raw(std::string name, std::string payload, Completion done, std::uint32_t chunk) {
  impl_->submit(Impl::Item{std::move(name), std::move(payload), std::move(done), 0, false, chunk == 0 ? 1 : chunk});
}

void ProcessPool::submit_raw_many(const std::string& name, std::vector<std::string>&& payloads,
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
  submit_raw(std::move(name), std::move(payload), [promise](Outcome<std::string>&& outcome) {
    if (outcome) {
      promise->set_value(std::move(*outcome));
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
  s.workers = impl_->pids.size();
  return s;
}

}  // namespace conc
