#pragma once
// Length-prefixed frames between the pool and its workers (same machine, native byte order).
//
//   frame  = u32 body_size, body
//   body   = u8 kind, fields...
//   Task:       u64 batch, u32 count, count x (str name, str payload)
//   Init:       str name, str payload
//   Hello:      u32 pid
//   Result:     u64 batch, u64 elapsed_ns, u32 count, count x (u8 ok, str bytes)
//   InitFailed: str message
//   str    = u32 size, bytes

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace conc::detail {

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

 private:
  template <class T>
  T load() {
    T v;
    std::memcpy(&v, take(sizeof v).data(), sizeof v);
    return v;
  }
  std::string_view take(std::size_t n) {
    if (body_.size() - pos_ < n) throw std::runtime_error("conc: malformed frame");
    auto s = body_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view body_;
  std::size_t pos_ = 0;
};

// The next complete frame body in buf at pos (advancing pos), or an empty optional-like false.
inline bool next_frame(const std::string& buf, std::size_t& pos, std::string_view& body) {
  if (buf.size() - pos < sizeof(std::uint32_t)) return false;
  std::uint32_t size;
  std::memcpy(&size, buf.data() + pos, sizeof size);
  if (buf.size() - pos - sizeof size < size) return false;
  body = std::string_view(buf).substr(pos + sizeof size, size);
  pos += sizeof size + size;
  return true;
}

}  // namespace conc::detail
