#pragma once
// Sleeping on a 32-bit atomic word with Linux futexes, with a timeout where
// std::atomic::wait has none. The system calls live in futex.cpp.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace conc::detail {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

// Sleeps while word == expected, at most `timeout` when given (spurious returns are possible).
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                const std::chrono::nanoseconds* timeout = nullptr) noexcept;
void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept;
void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept;

// Gives the core away (sched_yield).
void yield_cpu() noexcept;
// A hint inside a spin loop that this thread waits (pause on x86, yield on Arm).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

// A sequentially consistent fence. ThreadSanitizer does not model std::atomic_thread_fence, so
// its builds use a locked read-modify-write, which is a full barrier on x86 as well.
inline void full_fence() noexcept {
#if defined(__SANITIZE_THREAD__)
  static std::atomic<int> barrier{0};
  barrier.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

// A lock for a few instructions (pushing a callback): spins, then yields.
class SpinLock {
 public:
  void lock() noexcept {
    for (int spins = 0; flag_.exchange(true, std::memory_order_acquire); ++spins) {
      while (flag_.load(std::memory_order_relaxed)) {
        if (++spins > 64) yield_cpu();
      }
    }
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace conc::detail
