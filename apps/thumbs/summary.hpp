#pragma once
// conc-thumbs --summary OUT: the summary of a run split into shards, from the reports they left.

#include <filesystem>
#include <ostream>
#include <string>

namespace thumbs {

// Reads every shard's report in the output root (OUT/.conc-thumbs.report.shard-IIII-of-NNNN.json,
// or beside `report` with the shard in its name when --report was given) and the whole tree's
// report when there is one, and prints what one run would have: the counts, a line per source that
// failed, a line per shard that left no report. Returns that run's exit code: 0 all made or
// skipped, 1 something failed or a shard is missing, 2 no report found.
int summarize(const std::filesystem::path& out_root, const std::string& report, std::ostream& out, std::ostream& err);

}  // namespace thumbs
