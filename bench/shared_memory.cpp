// Tasks whose input is big: a worker reads SIZE bytes whole (zlib's adler32) and returns the sum,
// with the bytes copied into the task's payload or handed over in a SharedBuffer.
//
//   conc-bench-shm bytes|shared|in-process SIZE N [WORKERS]
// in-process: the checksum alone, on the calling thread (the ceiling per worker).
// Prints one line: "<name> tasks=<N> seconds=<s> tasks_per_s=<r> size=<SIZE>".

#include <zlib.h>
#include <conc/process_pool.hpp>
#include <conc/shared_buffer.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::uint32_t crc(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::adler32(1, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}
std::uint32_t crc_of_bytes(std::string bytes) { return crc(bytes); }
CONC_TASK(crc_of_bytes);
std::uint32_t crc_of_buffer(conc::SharedBuffer buffer) { return crc(buffer.view()); }
CONC_TASK(crc_of_buffer);

void fill(char* p, std::size_t size, std::size_t seed) {
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<char>((i * 31 + seed) & 0xff);
}

template <auto Task, class Input>
int run(const char* name, const std::vector<Input>& inputs, std::size_t size, unsigned workers,
        const std::vector<std::uint32_t>& expected) {
  conc::ProcessPool pool({.workers = workers, .max_batch = 1});
  pool.map<Task>(std::vector<Input>{});
  static_cast<void>(pool.submit<crc_of_bytes>(std::string("warm-up")).get());
  const auto start = Clock::now();
  auto results = pool.map<Task>(inputs);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i] || *results[i] != expected[i]) {
      std::fprintf(stderr, "result %zu is wrong\n", i);
      return 1;
    }
  }
  std::printf("%s tasks=%zu seconds=%.6f tasks_per_s=%.0f size=%zu\n", name, inputs.size(), seconds,
              static_cast<double>(inputs.size()) / seconds, size);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s bytes|shared SIZE N [WORKERS]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const std::size_t size = std::strtoull(argv[2], nullptr, 10);
  const std::size_t n = std::strtoull(argv[3], nullptr, 10);
  const unsigned workers = argc > 4 ? static_cast<unsigned>(std::atoi(argv[4])) : 2;
  std::vector<std::uint32_t> expected;
  if (mode == "bytes") {
    std::vector<std::string> inputs(n, std::string(size, '\0'));
    for (std::size_t i = 0; i < n; ++i) {
      fill(inputs[i].data(), size, i);
      expected.push_back(crc(inputs[i]));
    }
    return run<crc_of_bytes>("conc::ProcessPool(bytes in the payload)", inputs, size, workers, expected);
  }
  if (mode == "in-process") {
    // The same distinct inputs the pools get, each read once: no help from the cache either.
    std::vector<std::string> inputs(n, std::string(size, '\0'));
    for (std::size_t i = 0; i < n; ++i) fill(inputs[i].data(), size, i);
    std::uint32_t sum = 0;
    const auto start = Clock::now();
    for (const auto& input : inputs) sum ^= crc(input);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("adler32 in-process, 1 thread tasks=%zu seconds=%.6f tasks_per_s=%.0f size=%zu sum=%u\n", n, seconds,
                static_cast<double>(n) / seconds, size, sum);
    return 0;
  }
  if (mode == "shared") {
    std::vector<conc::SharedBuffer> inputs;
    for (std::size_t i = 0; i < n; ++i) {
      auto buffer = conc::SharedBuffer::create(size);
      fill(reinterpret_cast<char*>(buffer.data()), size, i);
      buffer.seal();
      expected.push_back(crc(buffer.view()));
      inputs.push_back(std::move(buffer));
    }
    return run<crc_of_buffer>("conc::ProcessPool(SharedBuffer)", inputs, size, workers, expected);
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
