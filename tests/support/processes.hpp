#pragma once
// What tests check after processes and descriptors come and go.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <conc/fd.hpp>

extern char** environ;

// Descriptors open in this process now.
inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// True when pid no longer runs: gone, or a zombie.
inline bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || line.substr(close + 2, 1) == "Z";
}

// Runs this test program with `flag` (a helper mode of tests/conc/main.cpp that starts children and
// prints their pids, one a line), reads `count` pids (waiting at most 20 s), then kills the helper
// with SIGKILL and reaps it. Returns the pids read: the children of a parent that died.
inline std::vector<pid_t> children_of_killed_helper(const char* flag, std::size_t count) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string mode = flag;
  char* argv[] = {exe.data(), mode.data(), nullptr};
  pid_t helper = -1;
  const int rc = ::posix_spawn(&helper, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::vector<pid_t> pids;
  if (rc == 0) {
    std::string text;
    char buf[256];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (pids.size() < count && std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      pids.clear();
      std::istringstream lines(text);
      for (int pid; lines >> pid;) pids.push_back(pid);
      if (!text.empty() && text.back() != '\n' && !pids.empty()) pids.pop_back();
    }
    ::kill(helper, SIGKILL);
    int status = 0;
    ::waitpid(helper, &status, 0);
  }
  ::close(out[0]);
  return pids;
}

// Lowers the soft RLIMIT_NOFILE for the scope.
class FileLimit {
 public:
  explicit FileLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lower = saved_;
    lower.rlim_cur = soft;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lower) == 0;
  }
  ~FileLimit() { restore(); }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

// The highest descriptor open, leaving out the one used to list them.
inline int highest_open_fd() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int highest = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != ::dirfd(dir)) highest = std::max(highest, fd);
  }
  ::closedir(dir);
  return highest;
}

// Opens /dev/null into every hole below the highest open descriptor, so that a limit set just
// above it leaves exactly the room the test means. Closed when the vector goes.
inline std::vector<conc::Fd> fill_descriptor_holes() {
  std::vector<conc::Fd> fillers;
  for (;;) {
    conc::Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd) break;
    const bool was_hole = fd.get() < highest_open_fd();
    fillers.push_back(std::move(fd));
    if (!was_hole) break;
  }
  return fillers;
}
