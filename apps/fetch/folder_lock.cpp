#include "folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fetch {

namespace {

conc::Fd open_lock_file(const std::filesystem::path& folder) {
  const std::filesystem::path file = folder / FolderLock::kFileName;
  conc::Fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  return fd;
}

int flock_retrying(int fd, int operation) {
  int rc = 0;
  while ((rc = ::flock(fd, operation)) != 0 && errno == EINTR) {
  }
  return rc;
}

}  // namespace

FolderLock::FolderLock(conc::Fd file) : file_(std::move(file)) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  // The pid is only for the message another run prints; a failure to write it changes nothing.
  if (::ftruncate(file_.get(), 0) == 0) (void)!::pwrite(file_.get(), pid.data(), pid.size(), 0);
}

std::optional<FolderLock> FolderLock::try_take(const std::filesystem::path& folder, std::string& holder) {
  conc::Fd fd = open_lock_file(folder);
  if (flock_retrying(fd.get(), LOCK_EX | LOCK_NB) == 0) return FolderLock(std::move(fd));
  if (errno != EWOULDBLOCK) throw std::runtime_error("cannot lock " + folder.string() + ": " + std::strerror(errno));
  char buf[32] = {};
  const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  holder = pid.empty() ? "another conc-fetch run" : "another conc-fetch run (pid " + pid + ")";
  return std::nullopt;
}

FolderLock FolderLock::take(const std::filesystem::path& folder) {
  conc::Fd fd = open_lock_file(folder);
  if (flock_retrying(fd.get(), LOCK_EX) != 0)
    throw std::runtime_error("cannot lock " + folder.string() + ": " + std::strerror(errno));
  return FolderLock(std::move(fd));
}

}  // namespace fetch
