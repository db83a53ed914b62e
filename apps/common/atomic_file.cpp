#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <conc/fd.hpp>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace common {

std::string temporary_name_for(const std::string& path) {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string temp = path + ".tmp-";
  for (int i = 0; i < 6; ++i) temp += alphabet[rng() % (sizeof alphabet - 1)];
  return temp;
}

bool is_temporary_name(const std::string& filename) {
  const auto at = filename.rfind(".tmp-");
  return at != std::string::npos && filename.size() == at + 5 + 6;
}

void write_atomically(const std::string& path, std::string_view bytes) {
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec) throw std::runtime_error("cannot create " + target.parent_path().string() + ": " + ec.message());
  const std::string temp = temporary_name_for(path);
  conc::Fd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!file) throw std::runtime_error("cannot write " + temp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(file.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      file.reset();
      ::unlink(temp.c_str());
      throw std::runtime_error("cannot write " + temp + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (!file.close() || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
  }
}

}  // namespace common
