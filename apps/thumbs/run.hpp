#pragma once
// A whole conc-thumbs run: plan, make the thumbnails on the chosen engine, report.

#include <iosfwd>

#include "options.hpp"

namespace thumbs {

// A report names its kind and version (docs/schemas/conc-thumbs-report.schema.json).
inline constexpr const char* kReportSchema = "conc-thumbs-report/1";

// A shard's report when --report is not given, in the output root, with the shard in its name.
inline constexpr const char* kReportName = ".conc-thumbs.report.json";

// Returns the exit code: 0 when every image was made, up to date or skipped as unsupported;
// 1 when any failed; 2 for a usage error. Errors go to `err` one line each.
int run(const Options& options, std::istream& paths_in, std::ostream& out, std::ostream& err);

}  // namespace thumbs
