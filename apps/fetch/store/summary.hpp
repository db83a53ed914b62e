#pragma once
// conc-fetch --summary OUT: the summary of a run split into shards, from every manifest they left.

#include <filesystem>
#include <ostream>
#include <string>

namespace fetch {

// Reads the manifest of the whole list (OUT/.conc-fetch.jsonl, or `manifest` when given) and
// every shard's beside it, and prints what one run of the whole list would have: the counts, a
// line per URL that failed, and a line per shard that left no manifest. For --thumbnail runs also
// img2dataset's counts merged (successes, failed to download, failed to resize, opted out,
// filtered, the longest run) and the most frequent messages. Opted-out and filtered URLs are not
// failures. Returns the exit code
// that run would have had: 0 all done, 1 something failed or a shard is missing, 2 no manifest.
int summarize(const std::filesystem::path& out_folder, const std::string& manifest, std::ostream& out,
              std::ostream& err);

}  // namespace fetch
