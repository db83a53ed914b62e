#pragma once
/// @file
/// Process: a child process running one registered task (multiprocessing.Process). The child is
/// this program started again in a mode of its own (main() begins with
/// conc::worker_main_if_requested), never a fork of a parent that may run threads. Its argument
/// may carry Pipe ends and SharedBuffers. It dies with its parent; the destructor kills and reaps
/// a child still running, so none is ever left a zombie.
///
/// ```
/// void serve(conc::Pipe pipe) { while (auto m = pipe.recv()) pipe.send(m->bytes); }
/// CONC_TASK(serve);
/// auto [mine, theirs] = conc::Pipe::create();
/// conc::Process child = conc::Process::start<serve>(theirs);
/// theirs.close();                         // the child has its own copy
/// ...
/// child.join(5s);                         // false: still running
/// child.exitcode();                       // 0, 1 (the task threw), or -SIGNAL like Python
/// ```

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "conc/message.hpp"
#include "conc/task.hpp"

namespace conc {

/// How Process::start() starts the child.
struct ProcessOptions {
  std::string executable{};  ///< the program to start; default: this program
};

/// A running (or ended) child process and its exit status. Movable, not copyable.
class Process {
 public:
  /// Starts F(argument) in a new process; F is a function registered with CONC_TASK. Throws
  /// std::system_error when it cannot be started.
  template <auto F>
  static Process start(const typename detail::TaskSignature<decltype(F)>::Argument& argument,
                       ProcessOptions options = {}) {
    Message payload;
    {
      detail::AttachFds attach(payload.fds);
      payload.bytes = encode(argument);
    }
    return start(task_name<F>(), std::move(payload), std::move(options));
  }
  /// Starts the task registered as `task` with an encoded argument (start<F>() without the types).
  static Process start(std::string task, Message payload, ProcessOptions options = {});

  /// Takes other's child; other must not be used afterwards.
  Process(Process&&) noexcept;
  /// Kills and reaps the child held, if still running, then takes other's.
  Process& operator=(Process&&) noexcept;
  ~Process();  ///< kills and reaps a child still running

  /// The child's process id.
  pid_t pid() const noexcept;
  /// Whether the child still runs (reaps it when it has ended).
  bool is_alive();
  /// Waits for the child to end, at most `timeout` when given; true when it has ended.
  bool join(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// Asks the child to stop: SIGTERM.
  void terminate();
  /// Stops the child at once: SIGKILL.
  void kill();
  /// nullopt while it runs; then its exit status, or minus the signal that killed it.
  std::optional<int> exitcode();

 private:
  struct Impl;
  explicit Process(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace conc
