#pragma once
/// @file
/// Fd: an owned file descriptor, closed exactly once (on destruction, reset(), or close(), which
/// reports the error that a write-back may only reveal at close).
///
/// ```
/// conc::Fd file(::open(path, O_RDONLY | O_CLOEXEC));
/// if (!file) throw std::system_error(errno, std::generic_category(), path);
/// ```

#include <unistd.h>

#include <utility>

namespace conc {

/// Owns one file descriptor (or none: -1) and closes it when destroyed. Movable, not copyable.
class Fd {
 public:
  Fd() = default;
  /// Takes ownership of fd; a negative fd (a failed open()) makes an empty Fd.
  explicit Fd(int fd) noexcept : fd_(fd) {}
  /// Takes other's descriptor; other is left empty.
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  /// Closes the descriptor held, then takes other's; other is left empty.
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  /// The descriptor, still owned by this Fd; -1 when empty.
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// Whether a descriptor is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives up ownership: returns the descriptor (the caller closes it) and leaves this Fd empty.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the descriptor held, ignoring errors, and takes fd instead.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  /// Closes now; false (errno set) when close(2) reported an error. The descriptor is gone either way.
  [[nodiscard]] bool close() noexcept { return fd_ < 0 || ::close(std::exchange(fd_, -1)) == 0; }

 private:
  int fd_ = -1;
};

}  // namespace conc
