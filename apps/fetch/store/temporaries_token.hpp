#pragma once
// The token that makes an output root's temporaries provably its own (common::Temporaries), kept
// in OUT/.conc-fetch.token, or a shard's in OUT/.conc-fetch.shard-IIII-of-NNNN.token: made by the
// first run, read by every later one. A file of its own rather than the lock file, whose content
// (the holder's pid) every run rewrites and every shard truncates. Each shard has its own token,
// so that what one shard removes is never what another, running beside it, is still writing.

#include <filesystem>
#include <optional>

#include "atomic_file.hpp"
#include "shard.hpp"

namespace fetch {

inline constexpr const char* kTokenFileName = ".conc-fetch.token";

// The temporaries of `root` (for one shard when one is given). Called under the folder lock, which
// makes this run the only one of its root and shard; std::runtime_error when the token file can
// be neither read nor written.
common::Temporaries root_temporaries(const std::filesystem::path& root, const std::optional<common::Shard>& shard);

// Removes from `folder` (not below it) the files that are temporaries of `temporaries`: what a
// killed run of the same root left. Only when none of this root's writers is running.
void remove_temporaries(const std::filesystem::path& folder, const common::Temporaries& temporaries);

}  // namespace fetch
