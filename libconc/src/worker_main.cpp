// The worker side of the process pool: registry of tasks and the worker loop (a worker is this
// program started with --conc-worker FD PARENT_PID MAX_FRAME).

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "conc/fd.hpp"
#include "conc/message.hpp"
#include "conc/task.hpp"
#include "conc/unhandled.hpp"
#include "frames.hpp"
#include "unix_socket.hpp"

namespace conc {

namespace {

constexpr std::chrono::milliseconds kMaxResultDelay{1};

std::map<std::string, TaskInvoker, std::less<>>& registry() {
  static std::map<std::string, TaskInvoker, std::less<>> tasks;
  return tasks;
}

// A malformed frame from the pool: the worker cannot go on.
[[noreturn]] void protocol_error(const char* what) {
  std::fprintf(stderr, "conc worker: %s from the pool\n", what);
  std::exit(4);
}

std::string describe(std::exception_ptr e) { return describe_exception(e); }

// The next whole frame from the pool, if one is in; a malformed one ends the child.
std::optional<std::string_view> next_frame(detail::FrameStream& in) {
  try {
    return in.next();
  } catch (const detail::MalformedFrame& e) {
    protocol_error(e.what());
  }
}

// The next `count` descriptors that arrived, in order; too few ends the child.
std::vector<Fd> take_fds(std::deque<Fd>& received, std::uint32_t count) {
  if (received.size() < count) protocol_error("a task whose descriptors did not arrive");
  std::vector<Fd> fds;
  for (std::uint32_t k = 0; k < count; ++k) {
    fds.push_back(std::move(received.front()));
    received.pop_front();
  }
  return fds;
}

// Runs one Task frame and appends its Result frame to out, with the descriptors the results
// carry. Results that would take the frame past max_frame are replaced by an error, so the pool
// never receives a frame it must refuse.
void run_batch(detail::FrameReader& in, std::deque<Fd>& received, detail::SocketOutbox& out, std::size_t max_frame) {
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t batch = in.get_u64();
  const std::uint32_t count = in.get_u32();
  std::string& bytes_out = out.bytes();
  const std::size_t frame_start = bytes_out.size();
  detail::FrameWriter result(bytes_out, detail::FrameKind::Result);
  result.put_u64(batch);
  const std::size_t elapsed_at = result.mark();
  result.put_u64(0);
  result.put_u32(count);
  std::vector<Fd> result_fds;
  std::string_view cached_name;
  TaskInvoker cached = nullptr;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string_view name = in.get_str();
    const std::string_view payload = in.get_str();
    std::vector<Fd> task_fds = take_fds(received, in.get_u32());
    if (name != cached_name) {
      cached_name = name;
      cached = find_task(name);
    }
    std::string bytes;
    std::vector<Fd> fds;
    bool ok = false;
    if (cached == nullptr) {
      bytes = "unknown task '" + std::string(name) + "' (not registered in the worker program)";
    } else {
      try {
        detail::ReceiveFds take(task_fds);
        detail::AttachFds attach(fds);
        bytes = cached(payload);
        ok = true;
      } catch (...) {
        bytes = describe(std::current_exception());
        fds.clear();
      }
    }
    const std::size_t frame_size = bytes_out.size() - frame_start;
    if (frame_size + 9 + bytes.size() > max_frame || result_fds.size() + fds.size() > detail::kMaxFrameFds) {
      bytes = "task result of " + std::to_string(bytes.size()) + " bytes and " + std::to_string(fds.size()) +
              " descriptors does not fit in the pool's message cap of " + std::to_string(max_frame) + " bytes";
      fds.clear();
      ok = false;
    }
    result.put_u8(ok ? 1 : 0);
    result.put_str(bytes);
    result.put_u32(static_cast<std::uint32_t>(fds.size()));
    for (Fd& fd : fds) result_fds.push_back(std::move(fd));
  }
  const auto elapsed = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  result.patch_u64(elapsed_at, elapsed);
  result.finish();
  out.attach_at(frame_start, std::move(result_fds));
}

[[noreturn]] void worker_loop(int fd, std::size_t max_frame) {
  detail::SocketOutbox out;
  {
    detail::FrameWriter w(out.bytes(), detail::FrameKind::Hello);
    w.put_u32(static_cast<std::uint32_t>(::getpid()));
    w.finish();
    if (!out.flush(fd)) std::exit(0);
  }
  detail::FrameStream in(max_frame);
  std::deque<Fd> received;
  bool lost_fds = false;
  auto last_flush = std::chrono::steady_clock::now();
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = detail::receive_with_fds(fd, chunk, sizeof chunk, received, lost_fds);
    if (lost_fds) protocol_error("descriptors lost: this worker is out of descriptors (EMFILE)");
    if (n == 0) std::exit(0);  // the pool closed our socket: a clean stop
    if (n < 0) {
      if (errno == EINTR) continue;
      std::exit(0);
    }
    in.append(chunk, static_cast<std::size_t>(n));
    for (;;) {
      const std::optional<std::string_view> body = next_frame(in);
      if (!body) break;
      detail::FrameReader reader(*body);
      switch (reader.kind()) {
        case detail::FrameKind::Task:
          try {
            run_batch(reader, received, out, max_frame);
          } catch (const detail::MalformedFrame& e) {
            protocol_error(e.what());
          }
          break;
        case detail::FrameKind::Init: {
          const std::string_view name = reader.get_str();
          const std::string_view payload = reader.get_str();
          std::string error;
          if (TaskInvoker init = find_task(name); init == nullptr) {
            error = "unknown initializer '" + std::string(name) + "'";
          } else {
            try {
              init(payload);
            } catch (...) {
              error = describe(std::current_exception());
            }
          }
          if (!error.empty()) {
            detail::FrameWriter w(out.bytes(), detail::FrameKind::InitFailed);
            w.put_str(error);
            w.finish();
            out.flush(fd);
            std::exit(3);
          }
          break;
        }
        default:
          protocol_error("a frame of an unknown kind");
      }
      // Results wait while more tasks are already here (one write for many), but not for long.
      // The pool does not rely on them for blame: when a worker dies with several tasks in
      // flight, it reruns each of them alone.
      const bool more_here = in.more_buffered();
      if (!out.empty() && (!more_here || std::chrono::steady_clock::now() - last_flush > kMaxResultDelay)) {
        if (!out.flush(fd)) std::exit(0);
        last_flush = std::chrono::steady_clock::now();
      }
    }
  }
}

// Ends this process when `parent` ends. PR_SET_PDEATHSIG fires when the parent's *thread* that
// started us exits, and a conc::Process may be started from a pool thread that retires: watch
// the parent process itself through a pidfd instead (PR_SET_PDEATHSIG where there is none).
void die_with_process(pid_t parent) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, parent, 0));
  if (pidfd < 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  } else {
    std::thread([pidfd] {
      pollfd p{pidfd, POLLIN, 0};
      while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
      }
      ::kill(::getpid(), SIGKILL);
    }).detach();
  }
  if (::getppid() != parent) std::exit(0);
}

// A conc::Process child: reads its one task (an Init frame with its descriptors), runs it, exits
// 0 when it returned, 1 when it threw, 2 when no task of that name is registered.
[[noreturn]] void process_main(int fd) {
  detail::FrameStream in(std::size_t{1} << 31);
  std::deque<Fd> received;
  bool lost_fds = false;
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = detail::receive_with_fds(fd, chunk, sizeof chunk, received, lost_fds);
    if (lost_fds) protocol_error("descriptors lost: this process is out of descriptors (EMFILE)");
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) protocol_error("no task");
    in.append(chunk, static_cast<std::size_t>(n));
    const std::optional<std::string_view> body = next_frame(in);
    if (!body) continue;
    std::string name;
    std::string payload;
    std::vector<Fd> fds;
    try {
      detail::FrameReader reader(*body);
      if (reader.kind() != detail::FrameKind::Init) protocol_error("a frame that is not a task");
      name = reader.get_str();
      payload = reader.get_str();
      fds = take_fds(received, reader.get_u32());
    } catch (const detail::MalformedFrame& e) {
      protocol_error(e.what());
    }
    ::close(fd);  // the task is here; the rest of the child's life is its own
    const TaskInvoker task = find_task(name);
    if (task == nullptr) {
      std::fprintf(stderr, "conc process: unknown task '%s' (not registered in this program)\n", name.c_str());
      std::exit(2);
    }
    try {
      detail::ReceiveFds take(fds);
      task(payload);
    } catch (...) {
      std::fprintf(stderr, "conc process: %s: %s\n", name.c_str(), describe(std::current_exception()).c_str());
      std::exit(1);
    }
    std::exit(0);
  }
}

}  // namespace

namespace detail {
void register_task(const char* name, TaskInvoker invoker) { registry()[name] = invoker; }
}  // namespace detail

TaskInvoker find_task(std::string_view name) {
  auto& tasks = registry();
  auto it = tasks.find(name);
  return it == tasks.end() ? nullptr : it->second;
}

void worker_main_if_requested(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--conc-process") == 0) {
    const auto parent = static_cast<pid_t>(std::atol(argv[3]));
    die_with_process(parent);
    process_main(std::atoi(argv[2]));
  }
  if (argc < 4 || std::strcmp(argv[1], "--conc-worker") != 0) return;
  const int fd = std::atoi(argv[2]);
  const auto parent = static_cast<pid_t>(std::atol(argv[3]));
  const std::size_t max_frame = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : std::size_t{256} << 20;
  // Die with the pool's process, even if it is killed with SIGKILL.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) std::exit(0);
  worker_loop(fd, max_frame);
}

}  // namespace conc
