#pragma once
/// @file
/// Message: bytes and the file descriptors that travel with them between processes (a Pipe
/// message, a ProcessPool task or result). Codecs of types that stand for a descriptor (a
/// SharedBuffer) put the descriptor beside the bytes and an index into them.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "conc/fd.hpp"

namespace conc {

/// One message between processes: its bytes, and the descriptors sent beside them (SCM_RIGHTS).
struct Message {
  std::string bytes;    ///< the payload, boundaries kept
  std::vector<Fd> fds;  ///< descriptors that travel with it, in the order the bytes index them
};

namespace detail {

// Where the encode() running on this thread puts descriptors, and where the decode() running on
// this thread takes them from. Set for the duration of one message by the scopes below.
struct FdTransfer {
  std::vector<Fd>* out = nullptr;
  std::vector<Fd>* in = nullptr;
};
FdTransfer& fd_transfer() noexcept;

// While alive, descriptors attached by encode() on this thread go (duplicated) into `fds`.
class AttachFds {
 public:
  explicit AttachFds(std::vector<Fd>& fds) : previous_(std::exchange(fd_transfer().out, &fds)) {}
  ~AttachFds() { fd_transfer().out = previous_; }
  AttachFds(const AttachFds&) = delete;
  AttachFds& operator=(const AttachFds&) = delete;

 private:
  std::vector<Fd>* previous_;
};

// While alive, decode() on this thread takes descriptors from `fds`.
class ReceiveFds {
 public:
  explicit ReceiveFds(std::vector<Fd>& fds) : previous_(std::exchange(fd_transfer().in, &fds)) {}
  ~ReceiveFds() { fd_transfer().in = previous_; }
  ReceiveFds(const ReceiveFds&) = delete;
  ReceiveFds& operator=(const ReceiveFds&) = delete;

 private:
  std::vector<Fd>* previous_;
};

// Attaches a duplicate of fd to the message being encoded and returns its index there.
std::uint32_t attach_fd(int fd);
// Takes the descriptor at index from the message being decoded.
Fd take_fd(std::uint32_t index);

}  // namespace detail
}  // namespace conc
