// libFuzzer target: the process pool's frame reader, fed what a worker might write. The first
// eight bytes choose where the stream is cut into reads; the frames found, and where the stream
// turns out malformed, must not depend on the cuts, and nothing may read out of bounds.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "frames.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::size_t kCap = 1 << 16;

// What the pool makes of the stream: one line per frame, then "malformed" if it stops on one.
std::vector<std::string> read_stream(const std::uint8_t* data, std::size_t size, std::uint64_t cuts) {
  conc::detail::FrameStream stream(kCap);
  std::vector<std::string> seen;
  std::mt19937_64 rng(cuts);
  std::size_t pos = 0;
  while (pos < size) {
    const std::size_t n = cuts == 0 ? size - pos : std::min<std::size_t>(size - pos, 1 + rng() % 64);
    stream.append(reinterpret_cast<const char*>(data + pos), n);
    pos += n;
    try {
      while (auto body = stream.next()) {
        require(!body->empty() && body->size() <= kCap);
        conc::detail::FrameReader in(*body);
        const auto kind = in.kind();
        std::string line = std::to_string(static_cast<int>(kind)) + ":" + std::to_string(body->size());
        if (kind == conc::detail::FrameKind::Result) {
          const auto result = conc::detail::parse_result(in);
          line += ":" + std::to_string(result.batch) + ":" + std::to_string(result.items.size());
          for (const auto& item : result.items) {
            require(item.bytes.data() >= body->data() &&
                    item.bytes.data() + item.bytes.size() <= body->data() + body->size());
            line += item.ok ? "+" : "-";
            line += std::to_string(item.bytes.size()) + "/" + std::to_string(item.fds);
          }
          require(result.fds <= conc::detail::kMaxFrameFds);
        }
        seen.push_back(line);
      }
    } catch (const conc::detail::MalformedFrame&) {
      seen.push_back("malformed");
      return seen;
    }
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(std::uint64_t)) return 0;
  std::uint64_t cuts;
  std::memcpy(&cuts, data, sizeof cuts);
  data += sizeof cuts;
  size -= sizeof cuts;
  require(read_stream(data, size, cuts | 1) == read_stream(data, size, 0));
  return 0;
}
