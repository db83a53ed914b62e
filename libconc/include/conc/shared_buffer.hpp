#pragma once
/// @file
/// SharedBuffer: bytes in memory that another process can map instead of copying (a memfd,
/// mmap'd). It travels by descriptor: as (part of) a ProcessPool task's argument or result, or
/// in a Pipe message. The memory lives until the last process holding it lets go.
///
/// ```
/// auto photo = conc::SharedBuffer::create(body.size());
/// std::memcpy(photo.data(), body.data(), body.size());
/// photo.seal();                                   // read-only from now on, in every process
/// auto thumb = cpu.submit<make_thumbnail>(photo); // the worker maps it: nothing is copied
/// ```
///
/// as<T>() views the bytes as an array of a trivially copyable T (multiprocessing's Array).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "conc/fd.hpp"
#include "conc/message.hpp"
#include "conc/task.hpp"

namespace conc {

/// A shared memory mapping of a fixed size, owned by this process until it lets go. Movable, not
/// copyable: another process gets its own mapping of the same memory.
class SharedBuffer {
 public:
  /// The largest buffer create() makes unless told otherwise.
  static constexpr std::size_t kDefaultMaxSize = std::size_t{1} << 34;  // 16 GiB

  /// A new zero-filled, writable buffer. Throws std::invalid_argument for size 0 or over
  /// max_size, std::system_error when memfd_create, ftruncate or mmap fails.
  static SharedBuffer create(std::size_t size, std::size_t max_size = kDefaultMaxSize);
  /// Maps a buffer received as a descriptor: read-only when it is sealed, else writable. Refuses a
  /// descriptor that is not a size-sealed memfd (as create() makes), which could shrink under it.
  static SharedBuffer map(Fd fd);

  SharedBuffer() = default;
  /// Takes other's mapping; other is left empty.
  SharedBuffer(SharedBuffer&& other) noexcept;
  /// Lets go of the mapping held, then takes other's; other is left empty.
  SharedBuffer& operator=(SharedBuffer&& other) noexcept;
  SharedBuffer(const SharedBuffer&) = delete;
  SharedBuffer& operator=(const SharedBuffer&) = delete;
  ~SharedBuffer();

  /// The bytes, writable; throws std::logic_error when sealed (read-only).
  std::byte* data();
  /// The bytes, to read; nullptr when empty.
  const std::byte* data() const noexcept { return static_cast<const std::byte*>(map_); }
  /// Bytes in the buffer; 0 when empty (default-constructed or moved from).
  std::size_t size() const noexcept { return size_; }
  /// Whether the buffer holds no mapping.
  bool empty() const noexcept { return size_ == 0; }
  /// The bytes as characters, to read.
  std::string_view view() const noexcept { return {static_cast<const char*>(map_), size_}; }
  /// The memfd, still owned by the buffer; -1 when empty.
  int fd() const noexcept { return fd_.get(); }

  /// Makes the buffer read-only for good, in this process and every other (memfd seals); the
  /// receiver can trust that nobody changes it. Idempotent. Throws std::system_error while another
  /// mapping can still write it; the buffer stays writable then.
  void seal();
  /// Whether the buffer is sealed (read-only in every process).
  bool sealed() const noexcept { return sealed_; }

  /// The bytes as writable T elements; throws std::logic_error when sealed, std::invalid_argument
  /// when the size is not a whole number of T.
  template <class T>
  std::span<T> as() {
    static_assert(std::is_trivially_copyable_v<T>, "SharedBuffer::as<T> needs a trivially copyable T");
    check_view(sizeof(T));
    return {reinterpret_cast<T*>(data()), size_ / sizeof(T)};
  }
  /// The bytes as T elements, to read; throws std::invalid_argument when the size is not a whole
  /// number of T.
  template <class T>
  std::span<const T> as() const {
    static_assert(std::is_trivially_copyable_v<T>, "SharedBuffer::as<T> needs a trivially copyable T");
    check_view(sizeof(T));
    return {reinterpret_cast<const T*>(data()), size_ / sizeof(T)};
  }

 private:
  SharedBuffer(Fd fd, void* map, std::size_t size, bool sealed) noexcept
      : fd_(std::move(fd)), map_(map), size_(size), sealed_(sealed) {}
  void check_view(std::size_t element) const;
  void unmap() noexcept;

  Fd fd_;
  void* map_ = nullptr;
  std::size_t size_ = 0;
  bool sealed_ = false;
};

/// A SharedBuffer travels as its descriptor (duplicated; the sender keeps its own).
template <>
struct Codec<SharedBuffer> {
  /// Attaches a duplicate of the buffer's memfd to the message being encoded and writes its index;
  /// throws std::logic_error outside a message (a plain conc::encode()).
  static void encode(const SharedBuffer& value, std::string& out) {
    const std::uint32_t index = detail::attach_fd(value.fd());
    out.append(reinterpret_cast<const char*>(&index), sizeof index);
  }
  /// Maps the memfd that came with the message (SharedBuffer::map()); throws std::runtime_error on a
  /// wrong size.
  static SharedBuffer decode(std::string_view bytes) {
    std::uint32_t index;
    if (bytes.size() != sizeof index) throw std::runtime_error("conc: payload size does not match its type");
    std::memcpy(&index, bytes.data(), sizeof index);
    return SharedBuffer::map(detail::take_fd(index));
  }
};

}  // namespace conc
