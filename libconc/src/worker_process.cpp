#include "worker_process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <system_error>

extern char** environ;

namespace conc::detail {

namespace {

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::system_error spawn_error(int error, const std::string& what) {
  return std::system_error(error, std::generic_category(), what);
}

// RAII for the two posix_spawn attribute objects.
struct SpawnAttributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

}  // namespace

WorkerProcess::WorkerProcess(const WorkerSpawn& spawn) : inbox_(spawn.max_frame) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw spawn_error(errno, "socketpair");
  Fd parent_end(sv[0]);
  Fd child_end(sv[1]);
  Fd err_read;
  Fd err_write;
  if (spawn.capture_stderr) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw spawn_error(errno, "pipe");
    err_read.reset(p[0]);
    err_write.reset(p[1]);
  }

  SpawnAttributes sa;
  posix_spawn_file_actions_adddup2(&sa.actions, child_end.get(), 3);
  if (err_write) posix_spawn_file_actions_adddup2(&sa.actions, err_write.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&sa.actions, 4);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  // Own process group: a Ctrl-C meant for the program reaches the pool, which stops its workers.
  posix_spawnattr_setpgroup(&sa.attr, 0);
  posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::string exe = spawn.executable;
  std::string flag = "--conc-worker";
  std::string fd = "3";
  std::string parent = std::to_string(::getpid());
  std::string cap = std::to_string(spawn.max_frame);
  char* argv[] = {exe.data(), flag.data(), fd.data(), parent.data(), cap.data(), nullptr};
  const int rc = ::posix_spawn(&pid_, spawn.executable.c_str(), &sa.actions, &sa.attr, argv, environ);
  if (rc != 0) throw spawn_error(rc, spawn.executable);

  socket_ = std::move(parent_end);
  set_nonblocking(socket_.get());
  if (err_read) {
    stderr_ = std::move(err_read);
    set_nonblocking(stderr_.get());
  }
  // Without a pidfd (old kernels) the pool looks for the exit on a short timer instead.
  pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
}

WorkerProcess::~WorkerProcess() {
  if (reaped() || pid_ <= 0) return;
  kill();
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  forward_stderr(true);
}

bool WorkerProcess::flush() { return socket_ && outbox_.flush(socket_.get()); }

bool WorkerProcess::receive() {
  char chunk[64 * 1024];
  for (;;) {
    if (!socket_) return false;
    const ssize_t n = receive_with_fds(socket_.get(), chunk, sizeof chunk, received_fds_);
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
  if (!stderr_) return;
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
  std::string out;
  const std::string prefix = "[worker " + std::to_string(pid_) + "] ";
  std::size_t start = 0;
  for (std::size_t nl; (nl = stderr_line_.find('\n', start)) != std::string::npos; start = nl + 1) {
    out += prefix;
    out.append(stderr_line_, start, nl + 1 - start);
  }
  stderr_line_.erase(0, start);
  if (eof && !stderr_line_.empty()) {
    out += prefix + stderr_line_ + "\n";
    stderr_line_.clear();
  }
  if (!out.empty()) {
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, out.data(), out.size());
  }
  if (eof) stderr_.reset();
}

void WorkerProcess::kill() noexcept {
  if (reaped() || pid_ <= 0) return;
  if (pidfd_) {
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  } else {
    ::kill(pid_, SIGKILL);  // not yet reaped, so the pid is still this process's
  }
}

std::optional<int> WorkerProcess::try_reap() noexcept {
  if (status_) return status_;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status;
    pidfd_.reset();
  } else if (r < 0) {
    status_ = 0;  // not our child any more (reaped elsewhere): nothing left to wait for
  }
  return status_;
}

}  // namespace conc::detail
