#pragma once
// Length-prefixed frames between the pool and its workers (same machine, native byte order).
//
//   frame  = u32 body_size, body
//   body   = u8 kind, fields...
//   Task:       u64 batch, u32 count, count x (str name, str payload, u32 fds)
//   Init:       str name, str payload
//   Hello:      u32 pid
//   Result:     u64 batch, u64 elapsed_ns, u32 count, count x (u8 ok, str bytes, u32 fds)
// A frame's descriptors (SharedBuffers) ride with its first byte (SCM_RIGHTS), `fds` of them per
// task or result, in order.
//   InitFailed: str message
//   str    = u32 size, bytes

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace conc::detail {

// A frame that does not parse, or announces more bytes than the receiver accepts.
class MalformedFrame : public std::runtime_error {
 public:
  explicit MalformedFrame(const std::string& why) : std::runtime_error("malformed frame: " + why) {}
};

// The most descriptors one frame may carry (the kernel's SCM_MAX_FD).
constexpr std::size_t kMaxFrameFds = 253;

enum class FrameKind : std::uint8_t { Task = 1, Init = 2, Hello = 10, Result = 11, InitFailed = 12 };

class FrameWriter {
 public:
  FrameWriter(std::string& out, FrameKind kind) : out_(out), start_(out.size()) {
    put_u32(0);
    put_u8(static_cast<std::uint8_t>(kind));
  }
  void put_u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void put_u32(std::uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void put_u64(std::uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void put_str(std::string_view s) {
    put_u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  // Patches the size; the writer must not be used afterwards.
  void finish() {
    const auto size = static_cast<std::uint32_t>(out_.size() - start_ - sizeof(std::uint32_t));
    std::memcpy(out_.data() + start_, &size, sizeof size);
  }
  // Where the value written next will be, to patch it once known.
  std::size_t mark() const { return out_.size(); }
  void patch_u64(std::size_t at, std::uint64_t v) { std::memcpy(out_.data() + at, &v, sizeof v); }

 private:
  std::string& out_;
  std::size_t start_;
};

class FrameReader {
 public:
  explicit FrameReader(std::string_view body) : body_(body) {}
  FrameKind kind() { return static_cast<FrameKind>(get_u8()); }
  std::uint8_t get_u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint32_t get_u32() { return load<std::uint32_t>(); }
  std::uint64_t get_u64() { return load<std::uint64_t>(); }
  std::string_view get_str() { return take(get_u32()); }
  bool at_end() const { return pos_ == body_.size(); }

 private:
  template <class T>
  T load() {
    T v;
    std::memcpy(&v, take(sizeof v).data(), sizeof v);
    return v;
  }
  std::string_view take(std::size_t n) {
    if (body_.size() - pos_ < n) throw MalformedFrame("truncated");
    auto s = body_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view body_;
  std::size_t pos_ = 0;
};

// Frames out of a byte stream that arrives in pieces. A size prefix over `max_body` (or of zero)
// throws MalformedFrame before anything is buffered for it.
class FrameStream {
 public:
  explicit FrameStream(std::size_t max_body) : max_body_(max_body) {}

  void append(const char* data, std::size_t n) {
    if (pos_ != 0) {
      buf_.erase(0, pos_);  // bodies handed out before are no longer needed
      pos_ = 0;
    }
    buf_.append(data, n);
  }
  // The next whole frame's body, valid until the next call of append() or next(); nullopt until
  // more bytes arrive.
  std::optional<std::string_view> next() {
    if (buf_.size() - pos_ < sizeof(std::uint32_t)) return std::nullopt;
    std::uint32_t size;
    std::memcpy(&size, buf_.data() + pos_, sizeof size);
    if (size == 0) throw MalformedFrame("empty frame");
    if (size > max_body_) {
      throw MalformedFrame("a frame of " + std::to_string(size) + " bytes, over the cap of " +
                           std::to_string(max_body_));
    }
    if (buf_.size() - pos_ - sizeof size < size) return std::nullopt;
    const std::string_view body = std::string_view(buf_).substr(pos_ + sizeof size, size);
    pos_ += sizeof size + size;
    return body;
  }
  // Whether another frame's size prefix has arrived.
  bool more_buffered() const { return buf_.size() - pos_ >= sizeof(std::uint32_t); }
  // Whether any byte of another frame has arrived.
  bool partial() const { return buf_.size() != pos_; }

 private:
  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t max_body_;
};

// A Result frame, parsed whole before anything acts on it.
struct ResultFrame {
  struct Item {
    bool ok;
    std::string_view bytes;  // into the frame's body
    std::uint32_t fds;
  };
  std::uint64_t batch = 0;
  std::uint64_t elapsed_ns = 0;
  std::vector<Item> items;
  std::size_t fds = 0;  // in all
};

// The rest of a Result frame whose kind was read; throws MalformedFrame.
inline ResultFrame parse_result(FrameReader& in) {
  ResultFrame r;
  r.batch = in.get_u64();
  r.elapsed_ns = in.get_u64();
  const std::uint32_t count = in.get_u32();
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint8_t ok = in.get_u8();
    if (ok > 1) throw MalformedFrame("bad result flag");
    const std::string_view bytes = in.get_str();
    const std::uint32_t fds = in.get_u32();
    if (fds > kMaxFrameFds - r.fds) throw MalformedFrame("too many descriptors");
    r.fds += fds;
    r.items.push_back({ok == 1, bytes, fds});
  }
  if (!in.at_end()) throw MalformedFrame("trailing bytes");
  return r;
}

}  // namespace conc::detail
