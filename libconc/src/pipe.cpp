#include "conc/pipe.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <system_error>

#include "frames.hpp"
#include "unix_socket.hpp"

namespace conc {

namespace {
// A message on the wire: u32 size (of what follows), u32 descriptor count, the bytes; the
// descriptors ride with the first byte.
constexpr std::size_t kHeader = 2 * sizeof(std::uint32_t);
}  // namespace

std::pair<Pipe, Pipe> Pipe::create(std::size_t max_message) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    throw std::system_error(errno, std::generic_category(), "conc: Pipe: socketpair");
  }
  return {Pipe(Fd(sv[0]), max_message), Pipe(Fd(sv[1]), max_message)};
}

Pipe::Pipe(Fd socket, std::size_t max_message)
    : socket_(std::move(socket)),
      max_message_(std::min<std::size_t>(max_message, UINT32_MAX - 2 * sizeof(std::uint32_t))) {}

Pipe::~Pipe() = default;

void Pipe::send(std::string_view bytes, const std::vector<Fd>& fds) {
  if (!socket_) throw PipeClosed("conc: Pipe: send on a closed end");
  if (bytes.size() > max_message_) {
    throw std::length_error("conc: Pipe: a message of " + std::to_string(bytes.size()) + " bytes is over the cap of " +
                            std::to_string(max_message_));
  }
  if (fds.size() > detail::kMaxFrameFds) throw std::length_error("conc: Pipe: too many descriptors in one message");
  std::vector<Fd> copies;
  for (const Fd& fd : fds) {
    Fd copy(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy) throw std::system_error(errno, std::generic_category(), "conc: Pipe: dup");
    copies.push_back(std::move(copy));
  }
  detail::SocketOutbox out;
  out.attach(std::move(copies));
  const auto size = static_cast<std::uint32_t>(bytes.size() + sizeof(std::uint32_t));
  const auto count = static_cast<std::uint32_t>(fds.size());
  out.bytes().append(reinterpret_cast<const char*>(&size), sizeof size);
  out.bytes().append(reinterpret_cast<const char*>(&count), sizeof count);
  out.bytes().append(bytes);
  // The socket blocks, so flush() returns only when all is sent or the peer is gone.
  if (!out.flush(socket_.get())) {
    if (errno == EPIPE || errno == ECONNRESET) throw PipeClosed("conc: Pipe: the peer closed its end");
    throw std::system_error(errno, std::generic_category(), "conc: Pipe: send");
  }
}

std::optional<Message> Pipe::recv(std::optional<std::chrono::milliseconds> timeout) {
  if (!socket_) throw PipeClosed("conc: Pipe: recv on a closed end");
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  std::deque<Fd> arrived;
  for (;;) {
    if (buffer_.size() >= kHeader) {
      std::uint32_t size;
      std::uint32_t count;
      std::memcpy(&size, buffer_.data(), sizeof size);
      std::memcpy(&count, buffer_.data() + sizeof size, sizeof count);
      if (size < sizeof(std::uint32_t) || size - sizeof(std::uint32_t) > max_message_) {
        close();  // the stream cannot be trusted past this point
        throw std::runtime_error("conc: Pipe: the peer sent a message over the cap of " + std::to_string(max_message_) +
                                 " bytes");
      }
      if (buffer_.size() >= sizeof(std::uint32_t) + size) {
        if (received_.size() < count) {
          if (!lost_fds_) {
            close();  // the peer does not speak this protocol
            throw std::runtime_error("conc: Pipe: a message whose descriptors did not arrive");
          }
          // The kernel dropped them (out of descriptors): this message is lost, the stream is not.
          buffer_.erase(0, sizeof(std::uint32_t) + size);
          received_.clear();
          lost_fds_ = false;
          throw std::runtime_error("conc: Pipe: a message's descriptors were lost: out of descriptors (EMFILE)");
        }
        Message m;
        m.bytes.assign(buffer_, kHeader, size - sizeof(std::uint32_t));
        buffer_.erase(0, sizeof(std::uint32_t) + size);
        m.fds.assign(std::make_move_iterator(received_.begin()),
                     std::make_move_iterator(received_.begin() + static_cast<std::ptrdiff_t>(count)));
        received_.erase(received_.begin(), received_.begin() + static_cast<std::ptrdiff_t>(count));
        return m;
      }
    }
    int wait_ms = -1;
    if (timeout) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      wait_ms = static_cast<int>(std::min<long long>(left.count(), 60'000));
    }
    pollfd p{socket_.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "conc: Pipe: poll");
    if (ready <= 0) continue;
    char chunk[64 * 1024];
    const ssize_t n = detail::receive_with_fds(socket_.get(), chunk, sizeof chunk, arrived, lost_fds_);
    for (Fd& fd : arrived) received_.push_back(std::move(fd));
    arrived.clear();
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0 && errno != ECONNRESET) throw std::system_error(errno, std::generic_category(), "conc: Pipe: recv");
    const bool mid_message = !buffer_.empty();
    close();
    throw PipeClosed(mid_message ? "conc: Pipe: the peer closed its end in the middle of a message"
                                 : "conc: Pipe: the peer closed its end");
  }
}

}  // namespace conc
