#pragma once
// The output folder's lock: one conc-fetch run at a time per folder, so that two runs never
// append to the same part file. An flock on OUT/.conc-fetch.lock, which holds the owner's pid;
// the kernel drops it when the process ends, however it ends.

#include <conc/fd.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace fetch {

class FolderLock {
 public:
  static constexpr const char* kFileName = ".conc-fetch.lock";

  // Takes the lock of `folder`, or (when another run holds it) returns nothing and says in
  // `holder` who holds it. Throws std::runtime_error when the lock file cannot be opened.
  static std::optional<FolderLock> try_take(const std::filesystem::path& folder, std::string& holder);
  // Takes the lock, waiting for the run that holds it.
  static FolderLock take(const std::filesystem::path& folder);

 private:
  explicit FolderLock(conc::Fd file);
  conc::Fd file_;
};

}  // namespace fetch
