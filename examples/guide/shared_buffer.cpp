// A SharedBuffer handed to a process-pool task. It travels by descriptor: the worker maps the
// same memory, so however large the buffer, no byte of it goes through the pool's socket.

#include <conc/process_pool.hpp>
#include <conc/shared_buffer.hpp>

#include <cstdint>
#include <cstdio>
#include <numeric>
#include <span>

// Runs in a worker: sums numbers that the parent wrote. Taken by const reference, as<T>() reads.
std::uint64_t sum(const conc::SharedBuffer& numbers) {
  std::span<const std::uint32_t> values = numbers.as<std::uint32_t>();
  return std::accumulate(values.begin(), values.end(), std::uint64_t{0});
}
CONC_TASK(sum);

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);

  const std::size_t count = std::size_t{4} << 20;  // 16 MiB of numbers
  conc::SharedBuffer numbers = conc::SharedBuffer::create(count * sizeof(std::uint32_t));
  std::span<std::uint32_t> values = numbers.as<std::uint32_t>();
  std::iota(values.begin(), values.end(), 0u);
  numbers.seal();  // read-only from now on, here and in the worker: it can trust what it reads

  conc::ProcessPool cpu({.workers = 1});
  const std::uint64_t total = cpu.submit<sum>(numbers).get();
  std::printf("a worker summed %zu numbers it never received: %llu\n", count, static_cast<unsigned long long>(total));
}
