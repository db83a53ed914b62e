#include "conc/message.hpp"

#include <fcntl.h>

#include <system_error>

namespace conc::detail {

FdTransfer& fd_transfer() noexcept {
  thread_local FdTransfer transfer;
  return transfer;
}

std::uint32_t attach_fd(int fd) {
  std::vector<Fd>* out = fd_transfer().out;
  if (out == nullptr) {
    throw std::logic_error("conc: a descriptor (SharedBuffer) can only travel in a ProcessPool task or a Pipe message");
  }
  if (fd < 0) throw std::invalid_argument("conc: cannot send an empty SharedBuffer");
  Fd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) throw std::system_error(errno, std::generic_category(), "conc: dup of a descriptor to send");
  out->push_back(std::move(copy));
  return static_cast<std::uint32_t>(out->size() - 1);
}

Fd take_fd(std::uint32_t index) {
  std::vector<Fd>* in = fd_transfer().in;
  if (in == nullptr || index >= in->size() || !(*in)[index]) {
    throw std::runtime_error("conc: the message does not carry the descriptor its payload names");
  }
  return std::move((*in)[index]);
}

}  // namespace conc::detail
