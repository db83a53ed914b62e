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

namespace {

constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kTokenLength = 8;
constexpr std::string_view kPrefix = ".conc-";
constexpr std::string_view kSuffix = ".tmp";

std::string random_word(std::size_t length) {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::string word;
  for (std::size_t i = 0; i < length; ++i) word += kAlphabet[rng() % kAlphabet.size()];
  return word;
}

bool is_word(std::string_view text, std::size_t length) {
  return text.size() == length && text.find_first_not_of(kAlphabet) == std::string_view::npos;
}

}  // namespace

Temporaries::Temporaries(std::string token) : token_(std::move(token)) {
  if (!is_word(token_, kTokenLength)) {
    throw std::invalid_argument("a temporaries token is 8 characters of [0-9a-z], not '" + token_ + "'");
  }
}

std::string Temporaries::new_token() { return random_word(kTokenLength); }

const Temporaries& Temporaries::process() {
  static const Temporaries mine(new_token());
  return mine;
}

std::string Temporaries::beside(const std::string& final_path) const {
  const fs::path folder = fs::path(final_path).parent_path();
  const std::string name = std::string(kPrefix) + token_ + "-" + random_word(kTokenLength) + std::string(kSuffix);
  return folder.empty() ? name : (folder / name).string();
}

bool Temporaries::is_ours(std::string_view filename) const {
  const std::size_t length = kPrefix.size() + kTokenLength + 1 + kTokenLength + kSuffix.size();
  if (filename.size() != length || !filename.starts_with(kPrefix) || !filename.ends_with(kSuffix)) return false;
  filename.remove_prefix(kPrefix.size());
  return filename.substr(0, kTokenLength) == token_ && filename[kTokenLength] == '-' &&
         is_word(filename.substr(kTokenLength + 1, kTokenLength), kTokenLength);
}

void write_atomically(const std::string& path, std::string_view bytes, const Temporaries& temporaries, unsigned mode) {
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec) throw std::runtime_error("cannot create " + target.parent_path().string() + ": " + ec.message());
  const std::string temp = temporaries.beside(path);
  conc::Fd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode)));
  if (!file) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(file.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      file.reset();
      ::unlink(temp.c_str());
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
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
