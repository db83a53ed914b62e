#include "engine/sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <conc/fd.hpp>

namespace fetch {

namespace {

std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* const digits = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

// OpenSSL 3 looks the algorithm up on every init given EVP_sha256(); fetched once, it does not.
const EVP_MD* sha256_method() {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                  EVP_MD_free);
  return md ? md.get() : EVP_sha256();
}

}  // namespace

std::string sha256_of_bytes(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, sha256_method(), nullptr);
  return to_hex(digest, len);
}

std::string sha256_of_file(const std::filesystem::path& file) {
  Sha256 sha;
  const conc::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  std::uint64_t size = 0;
  if (!fd || !sha.update_from_file(fd.get(), size)) return "";
  return sha.hex();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { reset(); }
Sha256::~Sha256() = default;

void Sha256::reset() { EVP_DigestInit_ex(ctx_.get(), sha256_method(), nullptr); }

void Sha256::update(const char* data, std::size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }

bool Sha256::update_from_file(int fd, std::uint64_t& size) {
  std::vector<char> buf(1 << 16);
  size = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(size));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    update(buf.data(), static_cast<std::size_t>(n));
    size += static_cast<std::uint64_t>(n);
  }
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_.get(), digest, &len);
  return to_hex(digest, len);
}

}  // namespace fetch
