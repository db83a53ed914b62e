#pragma once
// One worker of the process pool as a resource: the spawned process (this program re-executed
// in worker mode), its socket, its stderr pipe and a pidfd that says when it has exited. Frame
// I/O never blocks; ending it never blocks either: ask it to exit or kill it, then reap it once
// exit_fd() is readable (or try_reap() says so). The destructor kills and reaps what is left,
// so no worker outlives its object as a zombie.

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "conc/fd.hpp"
#include "frames.hpp"
#include "unix_socket.hpp"

namespace conc::detail {

struct WorkerSpawn {
  std::string executable;
  bool capture_stderr = true;  // else the worker writes to the pool's stderr
  std::size_t max_frame = 0;   // the largest frame body either side accepts
};

class WorkerProcess {
 public:
  // Starts a worker; throws std::system_error naming what failed (socketpair, pipe, spawn).
  explicit WorkerProcess(const WorkerSpawn& spawn);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  int socket_fd() const noexcept { return socket_.get(); }
  int stderr_fd() const noexcept { return stderr_.get(); }
  int exit_fd() const noexcept { return child_->exit_fd(); }  // -1 where pidfds are not available

  // Frames to send: attach() the next frame's descriptors, append the frame with FrameWriter,
  // then flush() when the socket is writable.
  std::string& outbox() noexcept { return outbox_.bytes(); }
  void attach(std::vector<Fd> fds) { outbox_.attach(std::move(fds)); }
  bool has_output() const noexcept { return !outbox_.empty(); }
  // Writes what the socket takes now; false when the worker is gone.
  bool flush();
  // Reads what has arrived into inbox(); false on EOF or error (the worker is gone).
  bool receive();
  FrameStream& inbox() noexcept { return inbox_; }
  // Descriptors received so far and not yet claimed by a frame, in order.
  std::deque<Fd>& received_fds() noexcept { return received_fds_; }
  // Whether the kernel dropped descriptors the worker sent (the pool's process was out of them).
  bool lost_fds() const noexcept { return lost_fds_; }

  // Copies what the worker wrote to stderr onto the pool's, each line as "[worker PID] line",
  // without ever blocking (what stderr does not take now waits, up to a bound, then is dropped
  // and counted). At eof, a last unterminated line is written too and the pipe is closed.
  void forward_stderr(bool eof);

  // Closes the socket: a worker that reads EOF exits.
  void close_channel() noexcept { socket_.reset(); }
  void kill() noexcept { child_->kill(); }
  // The wait status once the process has exited (and is reaped), else nullopt. Never blocks.
  std::optional<int> try_reap() noexcept { return child_->try_reap(); }
  bool reaped() const noexcept { return child_->reaped(); }

 private:
  std::unique_ptr<ChildProcess> child_;
  pid_t pid_ = -1;
  Fd socket_;
  Fd stderr_;
  SocketOutbox outbox_;
  FrameStream inbox_;
  std::deque<Fd> received_fds_;
  bool lost_fds_ = false;
  static constexpr std::size_t kMaxStderrLine = 16 * 1024;
  static constexpr std::size_t kMaxStderrPending = 1 << 20;
  void write_stderr();
  std::string stderr_line_;
  std::string stderr_pending_;
  std::size_t stderr_dropped_ = 0;
};

}  // namespace conc::detail
