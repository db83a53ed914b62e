#pragma once
// The output folder's lock: one conc-fetch run at a time per folder, so that two runs never
// append to the same part file. An flock on OUT/.conc-fetch.lock, which holds the owner's pid;
// the kernel drops it when the process ends, however it ends. A shard of a run takes that lock
// shared (the other shards work beside it; a run of the whole list waits for them all) and its
// own OUT/.conc-fetch.shard-IIII-of-NNNN.lock exclusively (one run of each shard at a time).

#include <conc/fd.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "shard.hpp"

namespace fetch {

class FolderLock {
 public:
  static constexpr const char* kFileName = ".conc-fetch.lock";

  // Takes the lock of `folder` (for one shard when one is given), or (when another run holds it)
  // returns nothing and says in `holder` who holds it. Throws std::runtime_error when the lock
  // file cannot be opened.
  static std::optional<FolderLock> try_take(const std::filesystem::path& folder, std::string& holder,
                                            const std::optional<common::Shard>& shard = std::nullopt);
  // Takes the lock, waiting for the run that holds it.
  static FolderLock take(const std::filesystem::path& folder, const std::optional<common::Shard>& shard = std::nullopt);

 private:
  FolderLock(conc::Fd folder_file, conc::Fd shard_file);
  conc::Fd file_;
  conc::Fd shard_file_;  // only for a shard
};

}  // namespace fetch
