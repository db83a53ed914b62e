#pragma once
// Where conc-fetch finds its thumbnail worker program, conc-fetch-thumbnailer: beside itself (the
// build tree), else in ../libexec/conc/ (an installed tree, wherever its prefix).

#include <optional>
#include <string>
#include <vector>

namespace fetch {

inline constexpr const char* kThumbnailWorker = "conc-fetch-thumbnailer";

// The places looked in, in order, for this running program.
std::vector<std::string> thumbnail_worker_candidates();

// The first candidate that is an executable file.
std::optional<std::string> find_thumbnail_worker();

// What `WORKER --version` prints (the formats and image libraries); empty when it cannot be run.
std::string thumbnail_worker_versions(const std::string& worker);

}  // namespace fetch
