#pragma once
// SharedBuffer: bytes in memory that another process can map instead of copying (a memfd,
// mmap'd). It travels by descriptor: as (part of) a ProcessPool task's argument or result, or
// in a Pipe message. The memory lives until the last process holding it lets go.
//
//   auto photo = conc::SharedBuffer::create(body.size());
//   std::memcpy(photo.data(), body.data(), body.size());
//   photo.seal();                                   // read-only from now on, in every process
//   auto thumb = cpu.submit<make_thumbnail>(photo); // the worker maps it: nothing is copied
//
// as<T>() views the bytes as an array of a trivially copyable T (multiprocessing's Array).

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

class SharedBuffer {
 public:
  // The largest buffer create() makes unless told otherwise.
  static constexpr std::size_t kDefaultMaxSize = std::size_t{1} << 34;  // 16 GiB

  // A new zero-filled, writable buffer. Throws std::invalid_argument for size 0 or over
  // max_size, std::system_error when memfd_create, ftruncate or mmap fails.
  static SharedBuffer create(std::size_t size, std::size_t max_size = kDefaultMaxSize);
  // Maps a buffer received as a descriptor: read-only when it is sealed, else writable. Refuses a
  // descriptor that is not a size-sealed memfd (as create() makes), which could shrink under it.
  static SharedBuffer map(Fd fd);

  SharedBuffer() = default;
  SharedBuffer(SharedBuffer&& other) noexcept;
  SharedBuffer& operator=(SharedBuffer&& other) noexcept;
  SharedBuffer(const SharedBuffer&) = delete;
  SharedBuffer& operator=(const SharedBuffer&) = delete;
  ~SharedBuffer();

  std::byte* data();  // throws std::logic_error when sealed (read-only)
  const std::byte* data() const noexcept { return static_cast<const std::byte*>(map_); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::string_view view() const noexcept { return {static_cast<const char*>(map_), size_}; }
  int fd() const noexcept { return fd_.get(); }

  // Makes the buffer read-only for good, in this process and every other (memfd seals); the
  // receiver can trust that nobody changes it. Idempotent.
  void seal();
  bool sealed() const noexcept { return sealed_; }

  template <class T>
  std::span<T> as() {
    static_assert(std::is_trivially_copyable_v<T>, "SharedBuffer::as<T> needs a trivially copyable T");
    check_view(sizeof(T));
    return {reinterpret_cast<T*>(data()), size_ / sizeof(T)};
  }
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

// A SharedBuffer travels as its descriptor (duplicated; the sender keeps its own).
template <>
struct Codec<SharedBuffer> {
  static void encode(const SharedBuffer& value, std::string& out) {
    const std::uint32_t index = detail::attach_fd(value.fd());
    out.append(reinterpret_cast<const char*>(&index), sizeof index);
  }
  static SharedBuffer decode(std::string_view bytes) {
    std::uint32_t index;
    if (bytes.size() != sizeof index) throw std::runtime_error("conc: payload size does not match its type");
    std::memcpy(&index, bytes.data(), sizeof index);
    return SharedBuffer::map(detail::take_fd(index));
  }
};

}  // namespace conc
