// The worker side of the process pool: registry of tasks and the worker loop (a worker is this
// program started with --conc-worker FD PARENT_PID MAX_FRAME).

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "conc/task.hpp"
#include "conc/unhandled.hpp"
#include "frames.hpp"

namespace conc {

namespace {

constexpr std::chrono::milliseconds kMaxResultDelay{1};

std::map<std::string, TaskInvoker, std::less<>>& registry() {
  static std::map<std::string, TaskInvoker, std::less<>> tasks;
  return tasks;
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string describe(std::exception_ptr e) { return describe_exception(e); }

// Runs one Task frame and appends its Result frame to out. Results that would take the frame
// past max_frame are replaced by an error, so the pool never receives a frame it must refuse.
void run_batch(detail::FrameReader& in, std::string& out, std::size_t max_frame) {
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t batch = in.get_u64();
  const std::uint32_t count = in.get_u32();
  const std::size_t frame_start = out.size();
  detail::FrameWriter result(out, detail::FrameKind::Result);
  result.put_u64(batch);
  const std::size_t elapsed_at = result.mark();
  result.put_u64(0);
  result.put_u32(count);
  std::string_view cached_name;
  TaskInvoker cached = nullptr;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string_view name = in.get_str();
    const std::string_view payload = in.get_str();
    if (name != cached_name) {
      cached_name = name;
      cached = find_task(name);
    }
    std::string bytes;
    bool ok = false;
    if (cached == nullptr) {
      bytes = "unknown task '" + std::string(name) + "' (not registered in the worker program)";
    } else {
      try {
        bytes = cached(payload);
        ok = true;
      } catch (...) {
        bytes = describe(std::current_exception());
      }
    }
    const std::size_t frame_size = out.size() - frame_start;
    if (frame_size + 5 + bytes.size() > max_frame) {
      bytes = "task result of " + std::to_string(bytes.size()) + " bytes is over the pool's message cap of " +
              std::to_string(max_frame) + " bytes";
      ok = false;
    }
    result.put_u8(ok ? 1 : 0);
    result.put_str(bytes);
  }
  const auto elapsed = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  result.patch_u64(elapsed_at, elapsed);
  result.finish();
}

[[noreturn]] void worker_loop(int fd, std::size_t max_frame) {
  {
    std::string hello;
    detail::FrameWriter w(hello, detail::FrameKind::Hello);
    w.put_u32(static_cast<std::uint32_t>(::getpid()));
    w.finish();
    if (!write_all(fd, hello)) std::exit(0);
  }
  detail::FrameStream in(max_frame);
  std::string out;
  auto last_flush = std::chrono::steady_clock::now();
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == 0) std::exit(0);  // the pool closed our socket: a clean stop
    if (n < 0) {
      if (errno == EINTR) continue;
      std::exit(0);
    }
    in.append(chunk, static_cast<std::size_t>(n));
    for (;;) {
      std::optional<std::string_view> body;
      try {
        body = in.next();
      } catch (const detail::MalformedFrame& e) {
        std::fprintf(stderr, "conc worker: %s from the pool\n", e.what());
        std::exit(4);
      }
      if (!body) break;
      detail::FrameReader reader(*body);
      switch (reader.kind()) {
        case detail::FrameKind::Task:
          run_batch(reader, out, max_frame);
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
            detail::FrameWriter w(out, detail::FrameKind::InitFailed);
            w.put_str(error);
            w.finish();
            write_all(fd, out);
            std::exit(3);
          }
          break;
        }
        default:
          std::fprintf(stderr, "conc worker: unexpected frame from the pool\n");
          std::exit(4);
      }
      // Results wait while more tasks are already here (one write for many), but not for long.
      // The pool does not rely on them for blame: when a worker dies with several tasks in
      // flight, it reruns each of them alone.
      const bool more_here = in.more_buffered();
      if (!out.empty() && (!more_here || std::chrono::steady_clock::now() - last_flush > kMaxResultDelay)) {
        if (!write_all(fd, out)) std::exit(0);
        out.clear();
        last_flush = std::chrono::steady_clock::now();
      }
    }
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
