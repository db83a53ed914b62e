#include "unix_socket.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "frames.hpp"

namespace conc::detail {

namespace {
constexpr std::size_t kControlSpace = CMSG_SPACE(sizeof(int) * kMaxFrameFds);
}

ssize_t send_with_fds(int socket, const char* data, std::size_t n, const std::vector<Fd>& fds) noexcept {
  if (fds.empty()) return ::send(socket, data, n, MSG_NOSIGNAL);
  iovec iov{const_cast<char*>(data), n};
  alignas(cmsghdr) char control[kControlSpace];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  int* out = reinterpret_cast<int*>(CMSG_DATA(cmsg));
  for (std::size_t i = 0; i < fds.size(); ++i) out[i] = fds[i].get();
  return ::sendmsg(socket, &msg, MSG_NOSIGNAL);
}

ssize_t receive_with_fds(int socket, char* data, std::size_t n, std::deque<Fd>& fds, bool& lost_fds) noexcept {
  iovec iov{data, n};
  alignas(cmsghdr) char control[kControlSpace];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t got = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  if (got < 0) return got;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* in = reinterpret_cast<const int*>(CMSG_DATA(cmsg));
    for (std::size_t i = 0; i < count; ++i) fds.emplace_back(in[i]);
  }
  if (msg.msg_flags & MSG_CTRUNC) lost_fds = true;
  return got;
}

void SocketOutbox::attach_at(std::size_t offset, std::vector<Fd> fds) {
  if (!fds.empty()) fds_.emplace_back(offset, std::move(fds));
}

bool SocketOutbox::flush(int socket) {
  static const std::vector<Fd> none;
  while (sent_ < bytes_.size()) {
    // Descriptors go with the first byte of their frame; a send stops where the next ones start.
    std::size_t end = bytes_.size();
    const std::vector<Fd>* fds = &none;
    if (!fds_.empty()) {
      if (fds_.front().first == sent_) {
        fds = &fds_.front().second;
        if (fds_.size() > 1) end = fds_[1].first;
      } else {
        end = fds_.front().first;
      }
    }
    const ssize_t n = send_with_fds(socket, bytes_.data() + sent_, end - sent_, *fds);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    if (fds != &none) fds_.pop_front();  // the kernel holds them now
    sent_ += static_cast<std::size_t>(n);
  }
  bytes_.clear();
  sent_ = 0;
  return true;
}

}  // namespace conc::detail
