#pragma once
// What tests check after processes and descriptors come and go.

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

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
