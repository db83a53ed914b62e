#pragma once
// The allocator for futures' shared state. A state is allocated by the thread that submits a
// task and freed by the worker that runs it; glibc's per-thread caches never refill in that
// pattern, so the states come from oneTBB's scalable allocator, which is built for it.

#include <cstddef>

namespace conc::detail {

void* allocate_state(std::size_t bytes);
void free_state(void* p) noexcept;

template <class T>
struct StateAllocator {
  using value_type = T;
  StateAllocator() noexcept = default;
  template <class U>
  StateAllocator(const StateAllocator<U>&) noexcept {}  // NOLINT: rebinding, as std::allocator
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_state(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { free_state(p); }
  template <class U>
  bool operator==(const StateAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace conc::detail
