#pragma once
// SHA-256 through OpenSSL: of bytes, of a file, or of a body as it streams in.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace fetch {

// SHA-256 of bytes as hex.
std::string sha256_of_bytes(std::string_view bytes);
// SHA-256 of a whole file as hex; empty when it cannot be read.
std::string sha256_of_file(const std::filesystem::path& file);

// A running SHA-256: each chunk is hashed as it passes, while it is still in the cache.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void reset();
  void update(const char* data, std::size_t n);
  // Feeds the whole of an open file from its start and counts its bytes; false when it cannot be read.
  bool update_from_file(int fd, std::uint64_t& size);
  // The digest as hex; the hash must be reset() before it is used again.
  std::string hex();

 private:
  std::unique_ptr<evp_md_ctx_st, void (*)(evp_md_ctx_st*)> ctx_;
};

}  // namespace fetch
