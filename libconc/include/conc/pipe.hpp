#pragma once
// Pipe: one end of a duplex, message-framed channel between two processes (a Unix socket pair),
// multiprocessing's Pipe(). Messages keep their boundaries, may carry file descriptors (a
// SharedBuffer, another Pipe's end), and are refused over a size cap. A peer that exits, even
// in the middle of a message, makes recv() throw PipeClosed: never a hang.
//
//   auto [parent, child] = conc::Pipe::create();
//   auto worker = conc::Process::start<serve>(std::move(child));   // the child gets its end
//   parent.send("resize 256");
//   auto reply = parent.recv(5s);                                  // nullopt on timeout
//
// One end is for one thread at a time, like a socket.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conc/fd.hpp"
#include "conc/message.hpp"
#include "conc/task.hpp"

namespace conc {

// The peer closed its end (or exited): no more messages will come, none can be sent.
class PipeClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Pipe {
 public:
  static constexpr std::size_t kDefaultMaxMessage = std::size_t{64} << 20;

  // Two connected ends. A cap over 4 GiB is lowered to 4 GiB (the frame's size field).
  static std::pair<Pipe, Pipe> create(std::size_t max_message = kDefaultMaxMessage);
  // Adopts a connected stream socket (an end received from another process).
  explicit Pipe(Fd socket, std::size_t max_message = kDefaultMaxMessage);
  Pipe() = default;
  Pipe(Pipe&&) noexcept = default;
  Pipe& operator=(Pipe&&) noexcept = default;
  ~Pipe();

  // Sends one message, blocking until the kernel took it. Throws std::length_error over the cap,
  // PipeClosed when the peer is gone.
  void send(std::string_view bytes) { send(bytes, {}); }
  void send(std::string_view bytes, const std::vector<Fd>& fds);
  void send(const Message& message) { send(message.bytes, message.fds); }
  // A value through its Codec (a SharedBuffer or a Pipe travels by descriptor).
  template <class T>
  void send_value(const T& value) {
    Message m;
    {
      detail::AttachFds attach(m.fds);
      m.bytes = encode(value);
    }
    send(m);
  }

  // The next message; nullopt when none came within timeout (none: wait as long as it takes).
  // Throws PipeClosed at the peer's end, std::runtime_error for a message over the cap.
  std::optional<Message> recv(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  template <class T>
  std::optional<T> recv_value(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    std::optional<Message> m = recv(timeout);
    if (!m) return std::nullopt;
    detail::ReceiveFds receive(m->fds);
    return decode<T>(m->bytes);
  }

  bool valid() const noexcept { return static_cast<bool>(socket_); }
  int fd() const noexcept { return socket_.get(); }
  std::size_t max_message() const noexcept { return max_message_; }
  void close() noexcept { socket_.reset(); }

 private:
  Fd socket_;
  std::size_t max_message_ = kDefaultMaxMessage;
  std::string buffer_;        // bytes read and not yet returned
  std::vector<Fd> received_;  // descriptors read and not yet returned, in order
  bool lost_fds_ = false;     // the kernel dropped descriptors sent to this end
};

// A Pipe end travels by descriptor: the receiving process gets its own copy of the end.
template <>
struct Codec<Pipe> {
  static void encode(const Pipe& value, std::string& out) {
    const std::uint32_t index = detail::attach_fd(value.fd());
    const std::uint64_t cap = value.max_message();
    out.append(reinterpret_cast<const char*>(&index), sizeof index);
    out.append(reinterpret_cast<const char*>(&cap), sizeof cap);
  }
  static Pipe decode(std::string_view bytes) {
    std::uint32_t index;
    std::uint64_t cap;
    if (bytes.size() != sizeof index + sizeof cap)
      throw std::runtime_error("conc: payload size does not match its type");
    std::memcpy(&index, bytes.data(), sizeof index);
    std::memcpy(&cap, bytes.data() + sizeof index, sizeof cap);
    return Pipe(detail::take_fd(index), static_cast<std::size_t>(cap));
  }
};

}  // namespace conc
