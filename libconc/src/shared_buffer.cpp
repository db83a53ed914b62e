#include "conc/shared_buffer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdexcept>
#include <system_error>
#include <utility>

namespace conc {

namespace {

std::system_error system_error(const char* what) { return std::system_error(errno, std::generic_category(), what); }

void* map_fd(int fd, std::size_t size, bool writable) {
  void* p = ::mmap(nullptr, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw system_error("conc: SharedBuffer: mmap");
  return p;
}

constexpr int kAllSeals = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL;

}  // namespace

SharedBuffer SharedBuffer::create(std::size_t size, std::size_t max_size) {
  if (size == 0) throw std::invalid_argument("conc: SharedBuffer of size 0");
  if (size > max_size) {
    throw std::invalid_argument("conc: SharedBuffer of " + std::to_string(size) + " bytes is over the limit of " +
                                std::to_string(max_size));
  }
  Fd fd(::memfd_create("conc-shared-buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) throw system_error("conc: SharedBuffer: memfd_create");
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) throw system_error("conc: SharedBuffer: ftruncate");
  // Its size is fixed from now on: a receiver maps exactly what it was sent.
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) != 0)
    throw system_error("conc: SharedBuffer: seal size");
  void* map = map_fd(fd.get(), size, true);
  return SharedBuffer(std::move(fd), map, size, false);
}

SharedBuffer SharedBuffer::map(Fd fd) {
  if (!fd) throw std::invalid_argument("conc: SharedBuffer::map of no descriptor");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw system_error("conc: SharedBuffer: fstat");
  if (st.st_size <= 0) throw std::invalid_argument("conc: SharedBuffer::map of an empty descriptor");
  const int seals = ::fcntl(fd.get(), F_GET_SEALS);
  // Another process could shrink a buffer that is not size-sealed under our mapping (SIGBUS here).
  if (seals < 0 || (seals & F_SEAL_SHRINK) == 0) {
    throw std::invalid_argument("conc: SharedBuffer::map of a descriptor whose size is not sealed");
  }
  const bool sealed = (seals & F_SEAL_WRITE) != 0;
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = map_fd(fd.get(), size, !sealed);
  return SharedBuffer(std::move(fd), map, size, sealed);
}

SharedBuffer::SharedBuffer(SharedBuffer&& other) noexcept
    : fd_(std::move(other.fd_)),
      map_(std::exchange(other.map_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      sealed_(std::exchange(other.sealed_, false)) {}

SharedBuffer& SharedBuffer::operator=(SharedBuffer&& other) noexcept {
  if (this != &other) {
    unmap();
    fd_ = std::move(other.fd_);
    map_ = std::exchange(other.map_, nullptr);
    size_ = std::exchange(other.size_, 0);
    sealed_ = std::exchange(other.sealed_, false);
  }
  return *this;
}

SharedBuffer::~SharedBuffer() { unmap(); }

void SharedBuffer::unmap() noexcept {
  if (map_ != nullptr) ::munmap(map_, size_);
  map_ = nullptr;
}

std::byte* SharedBuffer::data() {
  if (sealed_) throw std::logic_error("conc: SharedBuffer is sealed (read-only)");
  return static_cast<std::byte*>(map_);
}

void SharedBuffer::seal() {
  if (sealed_ || map_ == nullptr) return;
  // The kernel refuses F_SEAL_WRITE while any shared mapping may write (a read-only MAP_SHARED
  // one included): unmap, seal, map again read-only.
  ::munmap(map_, size_);
  map_ = nullptr;
  if (::fcntl(fd_.get(), F_ADD_SEALS, kAllSeals) != 0) {
    const auto error = system_error("conc: SharedBuffer: seal (is it mapped writable in another process?)");
    map_ = map_fd(fd_.get(), size_, true);
    throw error;
  }
  map_ = map_fd(fd_.get(), size_, false);
  sealed_ = true;
}

void SharedBuffer::check_view(std::size_t element) const {
  if (size_ % element != 0) {
    throw std::invalid_argument("conc: SharedBuffer of " + std::to_string(size_) +
                                " bytes is not a whole number of elements of " + std::to_string(element));
  }
}

}  // namespace conc
