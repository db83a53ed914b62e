#include "store/folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fetch {

namespace {

conc::Fd open_lock_file(const std::filesystem::path& file) {
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

std::filesystem::path shard_lock_file(const std::filesystem::path& folder, const common::Shard& shard) {
  return folder / common::shard_file_name(FolderLock::kFileName, shard);
}

// Who holds the lock on fd, as its holder wrote it.
std::string holder_of(int fd, const std::string& run) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? run : run + " (pid " + pid + ")";
}

void lock_failed(const std::filesystem::path& folder) {
  throw std::runtime_error("cannot lock " + folder.string() + ": " + std::strerror(errno));
}

}  // namespace

FolderLock::FolderLock(conc::Fd folder_file, conc::Fd shard_file)
    : file_(std::move(folder_file)), shard_file_(std::move(shard_file)) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  // The pid is only for the message another run prints; a failure to write it changes nothing.
  // Shards share the folder's lock, so none names itself there.
  const int owned = shard_file_ ? shard_file_.get() : file_.get();
  if (shard_file_) (void)!::ftruncate(file_.get(), 0);
  if (::ftruncate(owned, 0) == 0) (void)!::pwrite(owned, pid.data(), pid.size(), 0);
}

std::optional<FolderLock> FolderLock::try_take(const std::filesystem::path& folder, std::string& holder,
                                               const std::optional<common::Shard>& shard) {
  conc::Fd fd = open_lock_file(folder / kFileName);
  if (flock_retrying(fd.get(), (shard ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) lock_failed(folder);
    holder = holder_of(fd.get(), shard ? "a conc-fetch run of the whole list" : "another conc-fetch run");
    return std::nullopt;
  }
  if (!shard) return FolderLock(std::move(fd), conc::Fd());
  conc::Fd own = open_lock_file(shard_lock_file(folder, *shard));
  if (flock_retrying(own.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) lock_failed(folder);
    holder = holder_of(own.get(), "another conc-fetch run of " + common::shard_tag(*shard));
    return std::nullopt;
  }
  return FolderLock(std::move(fd), std::move(own));
}

FolderLock FolderLock::take(const std::filesystem::path& folder, const std::optional<common::Shard>& shard) {
  conc::Fd fd = open_lock_file(folder / kFileName);
  if (flock_retrying(fd.get(), shard ? LOCK_SH : LOCK_EX) != 0) lock_failed(folder);
  if (!shard) return FolderLock(std::move(fd), conc::Fd());
  conc::Fd own = open_lock_file(shard_lock_file(folder, *shard));
  if (flock_retrying(own.get(), LOCK_EX) != 0) lock_failed(folder);
  return FolderLock(std::move(fd), std::move(own));
}

}  // namespace fetch
