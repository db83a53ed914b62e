#pragma once
/// @file
/// Pipe: one end of a duplex, message-framed channel between two processes (a Unix socket pair),
/// multiprocessing's Pipe(). Messages keep their boundaries, may carry file descriptors (a
/// SharedBuffer, another Pipe's end), and are refused over a size cap. A peer that exits, even
/// in the middle of a message, makes recv() throw PipeClosed: never a hang.
///
/// ```
/// auto [parent, child] = conc::Pipe::create();
/// auto worker = conc::Process::start<serve>(std::move(child));   // the child gets its end
/// parent.send("resize 256");
/// auto reply = parent.recv(5s);                                  // nullopt on timeout
/// ```
///
/// One end is for one thread at a time, like a socket.

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

/// The peer closed its end (or exited): no more messages will come, none can be sent.
class PipeClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One end of a message channel to another process: send() and recv() whole messages, with
/// descriptors. Movable, not copyable; an end reaches another process as a task's argument or
/// inside a message.
class Pipe {
 public:
  /// The default cap on one message's bytes: 64 MiB.
  static constexpr std::size_t kDefaultMaxMessage = std::size_t{64} << 20;

  /// Two connected ends; each refuses messages over max_message bytes. A cap over 4 GiB is lowered
  /// to 4 GiB (the frame's size field). Throws std::system_error when the socket pair cannot be made.
  static std::pair<Pipe, Pipe> create(std::size_t max_message = kDefaultMaxMessage);
  /// Adopts a connected stream socket (an end received from another process).
  explicit Pipe(Fd socket, std::size_t max_message = kDefaultMaxMessage);
  Pipe() = default;
  /// Takes other's end; other is left invalid.
  Pipe(Pipe&&) noexcept = default;
  /// Closes this end, then takes other's.
  Pipe& operator=(Pipe&&) noexcept = default;
  ~Pipe();

  /// Sends one message, blocking until the kernel took it. Throws std::length_error over the cap,
  /// PipeClosed when the peer is gone.
  void send(std::string_view bytes) { send(bytes, {}); }
  /// As send(bytes), with duplicates of fds travelling beside the bytes; the caller keeps its own.
  void send(std::string_view bytes, const std::vector<Fd>& fds);
  /// As send(bytes, fds) with the message's parts.
  void send(const Message& message) { send(message.bytes, message.fds); }
  /// Sends a value through its Codec (a SharedBuffer or a Pipe travels by descriptor).
  template <class T>
  void send_value(const T& value) {
    Message m;
    {
      detail::AttachFds attach(m.fds);
      m.bytes = encode(value);
    }
    send(m);
  }

  /// The next message; nullopt when none came within timeout (none: wait as long as it takes).
  /// Throws PipeClosed at the peer's end, std::runtime_error for a message over the cap.
  std::optional<Message> recv(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// The next message decoded as T by its Codec (the counterpart of send_value()); nullopt on
  /// timeout, as recv(). Also throws what the Codec throws for bytes that are not a T.
  template <class T>
  std::optional<T> recv_value(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    std::optional<Message> m = recv(timeout);
    if (!m) return std::nullopt;
    detail::ReceiveFds receive(m->fds);
    return decode<T>(m->bytes);
  }

  /// Whether this end is open (false when default-constructed, moved from or closed).
  bool valid() const noexcept { return static_cast<bool>(socket_); }
  /// The socket, for poll(); still owned by the Pipe.
  int fd() const noexcept { return socket_.get(); }
  /// The cap on one message's bytes, both ways.
  std::size_t max_message() const noexcept { return max_message_; }
  /// Closes this end now: the peer's recv() throws PipeClosed once it has read what was sent.
  void close() noexcept { socket_.reset(); }

 private:
  Fd socket_;
  std::size_t max_message_ = kDefaultMaxMessage;
  std::string buffer_;        // bytes read and not yet returned
  std::vector<Fd> received_;  // descriptors read and not yet returned, in order
  bool lost_fds_ = false;     // the kernel dropped descriptors sent to this end
};

/// A Pipe end travels by descriptor: the receiving process gets its own copy of the end.
template <>
struct Codec<Pipe> {
  /// Attaches a duplicate of the end's socket to the message being encoded; writes its index and
  /// the cap.
  static void encode(const Pipe& value, std::string& out) {
    const std::uint32_t index = detail::attach_fd(value.fd());
    const std::uint64_t cap = value.max_message();
    out.append(reinterpret_cast<const char*>(&index), sizeof index);
    out.append(reinterpret_cast<const char*>(&cap), sizeof cap);
  }
  /// The end whose socket came with the message; throws std::runtime_error on a wrong size.
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
