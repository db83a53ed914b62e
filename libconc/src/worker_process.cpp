#include "worker_process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace conc::detail {

namespace {

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

WorkerProcess::WorkerProcess(const WorkerSpawn& spawn) : inbox_(spawn.max_frame) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    throw std::system_error(errno, std::generic_category(), "socketpair");
  }
  Fd parent_end(sv[0]);
  Fd child_end(sv[1]);
  Fd err_read;
  Fd err_write;
  if (spawn.capture_stderr) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    err_read.reset(p[0]);
    err_write.reset(p[1]);
  }
  child_ = std::make_unique<ChildProcess>(
      spawn.executable,
      std::vector<std::string>{"--conc-worker", "3", std::to_string(::getpid()), std::to_string(spawn.max_frame)},
      child_end, err_write);
  pid_ = child_->pid();
  socket_ = std::move(parent_end);
  set_nonblocking(socket_.get());
  if (err_read) {
    stderr_ = std::move(err_read);
    set_nonblocking(stderr_.get());
  }
}

WorkerProcess::~WorkerProcess() {
  child_.reset();  // kills and reaps it if it is still there
  forward_stderr(true);
}

bool WorkerProcess::flush() { return socket_ && outbox_.flush(socket_.get()); }

bool WorkerProcess::receive() {
  char chunk[64 * 1024];
  for (;;) {
    if (!socket_) return false;
    const ssize_t n = receive_with_fds(socket_.get(), chunk, sizeof chunk, received_fds_, lost_fds_);
    if (n > 0) {
      inbox_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void WorkerProcess::forward_stderr(bool eof) {
  if (stderr_) {
    char chunk[16 * 1024];
    for (;;) {
      const ssize_t n = ::read(stderr_.get(), chunk, sizeof chunk);
      if (n > 0) {
        stderr_line_.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) eof = true;
      break;
    }
    const std::string prefix = "[worker " + std::to_string(pid_) + "] ";
    std::string out;
    std::size_t start = 0;
    for (std::size_t nl; (nl = stderr_line_.find('\n', start)) != std::string::npos; start = nl + 1) {
      out += prefix;
      out.append(stderr_line_, start, nl + 1 - start);
    }
    stderr_line_.erase(0, start);
    // A line without end, however long, goes out in pieces rather than growing without bound.
    if ((eof && !stderr_line_.empty()) || stderr_line_.size() > kMaxStderrLine) {
      out += prefix + stderr_line_ + "\n";
      stderr_line_.clear();
    }
    if (stderr_pending_.size() + out.size() <= kMaxStderrPending) {
      stderr_pending_ += out;
    } else {
      stderr_dropped_ += out.size();
    }
    if (eof) stderr_.reset();
  }
  write_stderr();
}

// Writes what stderr takes without blocking: a pipe that polls writable takes
// PIPE_BUF bytes whole, so the pool never waits on a program whose stderr nobody reads.
void WorkerProcess::write_stderr() {
  if (stderr_dropped_ != 0 && stderr_pending_.size() < kMaxStderrPending) {
    stderr_pending_ += "[worker " + std::to_string(pid_) + "] (" + std::to_string(stderr_dropped_) +
                       " bytes of output dropped: stderr was not being read)\n";
    stderr_dropped_ = 0;
  }
  std::size_t written = 0;
  while (written < stderr_pending_.size()) {
    pollfd p{STDERR_FILENO, POLLOUT, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLOUT) == 0) break;
    const std::size_t piece = std::min<std::size_t>(PIPE_BUF, stderr_pending_.size() - written);
    const ssize_t n = ::write(STDERR_FILENO, stderr_pending_.data() + written, piece);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  stderr_pending_.erase(0, written);
}

}  // namespace conc::detail
