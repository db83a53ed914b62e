#include "cli/thumbnail_worker.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <conc/fd.hpp>
#include <filesystem>

extern char** environ;

namespace fs = std::filesystem;

namespace fetch {

std::vector<std::string> thumbnail_worker_candidates() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path folder = self.parent_path();
  return {(folder / kThumbnailWorker).string(),
          (folder.parent_path() / "libexec" / "conc" / kThumbnailWorker).lexically_normal().string()};
}

std::optional<std::string> find_thumbnail_worker() {
  for (const std::string& candidate : thumbnail_worker_candidates()) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string thumbnail_worker_versions(const std::string& worker) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  conc::Fd read_end(fds[0]);
  conc::Fd write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  std::string path = worker;
  std::string flag = "--version";
  char* argv[] = {path.data(), flag.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, worker.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end.reset();
  if (rc != 0) return {};
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? text : std::string();
}

}  // namespace fetch
