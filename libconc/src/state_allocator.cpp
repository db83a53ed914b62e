#include "conc/detail/state_allocator.hpp"

#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizers track only the allocations they intercept: use the ordinary heap for them.
namespace conc::detail {
void* allocate_state(std::size_t bytes) { return ::operator new(bytes); }
void free_state(void* p) noexcept { ::operator delete(p); }
}  // namespace conc::detail
#else
#include <oneapi/tbb/scalable_allocator.h>

namespace conc::detail {

void* allocate_state(std::size_t bytes) {
  void* p = scalable_malloc(bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void free_state(void* p) noexcept { scalable_free(p); }

}  // namespace conc::detail
#endif
