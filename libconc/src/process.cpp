#include "conc/process.hpp"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <system_error>

#include "child_process.hpp"
#include "frames.hpp"
#include "unix_socket.hpp"

namespace conc {

struct Process::Impl {
  std::unique_ptr<detail::ChildProcess> child;
};

Process::Process(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;
Process::~Process() = default;

Process Process::start(std::string task, Message payload, ProcessOptions options) {
  if (payload.fds.size() > detail::kMaxFrameFds) throw std::length_error("conc: Process: too many descriptors");
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    throw std::system_error(errno, std::generic_category(), "conc: Process: socketpair");
  }
  Fd parent_end(sv[0]);
  Fd child_end(sv[1]);
  const std::string executable = options.executable.empty() ? detail::self_executable() : options.executable;
  auto impl = std::make_unique<Impl>();
  impl->child = std::make_unique<detail::ChildProcess>(
      executable, std::vector<std::string>{"--conc-process", "3", std::to_string(::getpid())}, child_end, Fd());
  child_end.reset();
  // The task goes as one Init frame; the child reads it, runs it and exits.
  const auto descriptors = static_cast<std::uint32_t>(payload.fds.size());
  detail::SocketOutbox out;
  out.attach(std::move(payload.fds));
  detail::FrameWriter frame(out.bytes(), detail::FrameKind::Init);
  frame.put_str(task);
  frame.put_str(payload.bytes);
  frame.put_u32(descriptors);
  frame.finish();
  // A child that died at once closes its end: send() fails, and exitcode() will tell why.
  out.flush(parent_end.get());
  return Process(std::move(impl));
}

pid_t Process::pid() const noexcept { return impl_->child->pid(); }

bool Process::is_alive() { return !impl_->child->try_reap().has_value(); }

bool Process::join(std::optional<std::chrono::milliseconds> timeout) {
  return impl_->child->wait_for(timeout).has_value();
}

void Process::terminate() { impl_->child->signal(SIGTERM); }

void Process::kill() { impl_->child->kill(); }

std::optional<int> Process::exitcode() {
  const std::optional<int> status = impl_->child->try_reap();
  if (!status) return std::nullopt;
  if (WIFSIGNALED(*status)) return -WTERMSIG(*status);
  if (WIFEXITED(*status)) return WEXITSTATUS(*status);
  return -1;
}

}  // namespace conc
