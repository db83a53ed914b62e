#pragma once
// Bytes and descriptors over a Unix stream socket (SCM_RIGHTS): the descriptors ride with the
// first byte sent, and the receiver collects them in order.

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "conc/fd.hpp"

namespace conc::detail {

// send(2) of [data, data + n) with fds attached (none: a plain send); MSG_NOSIGNAL. Returns
// what send(2) returns.
ssize_t send_with_fds(int socket, const char* data, std::size_t n, const std::vector<Fd>& fds) noexcept;

// read(2) into [data, data + n); descriptors that arrive are appended to fds (close-on-exec).
// Returns what recvmsg(2) returns. When the kernel had to drop descriptors (this process is out
// of them), the bytes still count and `lost_fds` is set: the stream stays aligned.
ssize_t receive_with_fds(int socket, char* data, std::size_t n, std::deque<Fd>& fds, bool& lost_fds) noexcept;

// Bytes waiting to be sent, with the descriptors that go with given offsets in them.
class SocketOutbox {
 public:
  std::string& bytes() noexcept { return bytes_; }
  bool empty() const noexcept { return bytes_.empty(); }
  // The descriptors go with the bytes appended next (the start of a frame), or with those from
  // `offset` on (a frame already appended; offsets must not go back).
  void attach(std::vector<Fd> fds) { attach_at(bytes_.size(), std::move(fds)); }
  void attach_at(std::size_t offset, std::vector<Fd> fds);
  // Sends what the socket takes; true when all is sent or the socket would block, false when the
  // peer is gone (EPIPE and the like).
  bool flush(int socket);

 private:
  std::string bytes_;
  std::size_t sent_ = 0;
  std::deque<std::pair<std::size_t, std::vector<Fd>>> fds_;  // (offset in bytes_, descriptors)
};

}  // namespace conc::detail
