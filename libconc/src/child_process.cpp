#include "child_process.hpp"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <system_error>

extern char** environ;

namespace conc::detail {

namespace {

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

std::string self_executable() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::system_error(errno, std::generic_category(), "conc: readlink /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

ChildProcess::ChildProcess(const std::string& executable, const std::vector<std::string>& arguments, const Fd& socket,
                           const Fd& error_pipe) {
  SpawnAttributes sa;
  posix_spawn_file_actions_adddup2(&sa.actions, socket.get(), 3);
  if (error_pipe) posix_spawn_file_actions_adddup2(&sa.actions, error_pipe.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&sa.actions, 4);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  // Own process group: a Ctrl-C meant for the program reaches the parent, which stops its children.
  posix_spawnattr_setpgroup(&sa.attr, 0);
  posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> args;
  args.reserve(arguments.size() + 1);
  args.push_back(executable);
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, executable.c_str(), &sa.actions, &sa.attr, argv.data(), environ);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), executable);
  // Without a pidfd (old kernels) the owner looks for the exit on a short timer instead.
  pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
}

ChildProcess::~ChildProcess() {
  if (reaped() || pid_ <= 0) return;
  kill();
  wait_for(std::nullopt);
}

void ChildProcess::signal(int sig) noexcept {
  if (reaped() || pid_ <= 0) return;
  if (pidfd_) {
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0);
  } else {
    ::kill(pid_, sig);  // not yet reaped, so the pid is still this child's
  }
}

void ChildProcess::kill() noexcept { signal(SIGKILL); }

std::optional<int> ChildProcess::try_reap() noexcept {
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

std::optional<int> ChildProcess::wait_for(std::optional<std::chrono::milliseconds> timeout) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  for (;;) {
    if (auto status = try_reap()) return status;
    int ms = -1;
    if (timeout) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      ms = static_cast<int>(std::min<long long>(left.count(), 60'000));
    }
    if (pidfd_) {
      pollfd p{pidfd_.get(), POLLIN, 0};
      ::poll(&p, 1, ms);
    } else {
      ::poll(nullptr, 0, ms < 0 ? 10 : std::min(ms, 10));
    }
  }
}

}  // namespace conc::detail
