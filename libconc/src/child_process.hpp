#pragma once
// A child of this program, started in one of its own modes (--conc-worker, --conc-process) with
// posix_spawn, never fork: the parts both ProcessPool's workers and conc::Process are made of.
// Ending it never blocks until asked to: kill(), then try_reap() once exit_fd() is readable, or
// wait_for(). The destructor kills and reaps a child still there, so none is left a zombie.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "conc/fd.hpp"

namespace conc::detail {

class ChildProcess {
 public:
  // Runs `executable` with `arguments` (after argv[0]); `socket` becomes its descriptor 3 and
  // `error_pipe` (when given) its stderr. Signals at their defaults, own process group. Throws
  // std::system_error naming the executable.
  ChildProcess(const std::string& executable, const std::vector<std::string>& arguments, const Fd& socket,
               const Fd& error_pipe);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  int exit_fd() const noexcept { return pidfd_.get(); }  // readable once it exited; -1 without pidfds
  void signal(int sig) noexcept;
  void kill() noexcept;
  // The wait status once it has exited (reaped), else nullopt. Never blocks.
  std::optional<int> try_reap() noexcept;
  // Waits up to timeout (forever without one) for it to exit; its status, or nullopt.
  std::optional<int> wait_for(std::optional<std::chrono::milliseconds> timeout) noexcept;
  bool reaped() const noexcept { return status_.has_value(); }

 private:
  pid_t pid_ = -1;
  Fd pidfd_;
  std::optional<int> status_;
};

// This program's own executable (/proc/self/exe).
std::string self_executable();

}  // namespace conc::detail
